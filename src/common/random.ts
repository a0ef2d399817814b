/**
 * Randomness as an injected dependency (DESIGN.md principle 4): election timeouts, backoff jitter
 * and the simulator's faults draw from a Random, so a seeded one replays a run exactly.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, bound). */
  nextInt(bound: number): number;
}

function intFrom(r: () => number, bound: number): number {
  if (!Number.isInteger(bound) || bound <= 0) throw new RangeError(`nextInt bound must be a positive integer, got ${bound}`);
  return Math.floor(r() * bound);
}

/** The process's own randomness, for production. */
export const systemRandom: Random = {
  next: () => Math.random(),
  nextInt: (bound) => intFrom(Math.random, bound),
};

/**
 * A small fast PRNG (mulberry32, 32 bits of state) for tests and the simulator: the same seed
 * gives the same sequence on every platform. `fork` derives an independent stream, so adding a
 * draw in one component does not shift the numbers every other component sees.
 */
export class SeededRandom implements Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  nextInt(bound: number): number {
    return intFrom(() => this.next(), bound);
  }

  /** An independent stream named by `label`, seeded from this one's seed (not its position). */
  fork(label: string): SeededRandom {
    let h = this.seed ^ 0x9e3779b9;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new SeededRandom(h >>> 0);
  }
}
