/**
 * The simulator's randomness: a seeded PRNG (mulberry32) that can fork independent streams, so
 * that adding a draw in one component does not shift the numbers every other component sees.
 * `random` is the same stream as the plain Random the code under test takes.
 */
import { type Random, randomInt } from '../common/random.js';

export class SeededRandom {
  private state: number;
  /** This stream as the `Random` function the broker and the Raft core take. */
  readonly random: Random = () => this.next();

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, bound). */
  nextInt(bound: number): number {
    return randomInt(() => this.next(), bound);
  }

  /** An independent stream named by `label`, seeded from this one's seed (not its position). */
  fork(label: string): SeededRandom {
    let h = this.seed ^ 0x9e3779b9;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new SeededRandom(h >>> 0);
  }
}
