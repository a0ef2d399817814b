/**
 * The simulated world (DESIGN.md principle 4): one global time and one queue of events, ordered
 * by time and then by the order they were scheduled, run one at a time. After each event the
 * simulator lets every promise that event set off settle before the next, so asynchronous code
 * under test (the Raft client's tasks, the in-memory disk) runs to quiescence deterministically:
 * nothing real is waited on, and the same seed gives the same run.
 */
import { SeededRandom } from './seeded-random.js';

interface SimEvent {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** A binary min-heap of events by (at, seq). */
class EventHeap {
  private readonly items: SimEvent[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): SimEvent | undefined {
    return this.items[0];
  }

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  push(e: SimEvent): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): SimEvent | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Lets every pending promise reaction run. Node drains the whole microtask queue (including
 * reactions queued while draining) before it runs an immediate, so one immediate suffices while
 * nothing under simulation does real I/O. This is the simulator's only contact with the real
 * event loop.
 */
export function settle(): Promise<void> {
  // The one real timer of the simulated world (see above).
  // eslint-disable-next-line no-restricted-globals
  return new Promise((resolve) => setImmediate(resolve));
}

export class SimLivelockError extends Error {
  readonly code = 'SAMSA_SIM_LIVELOCK';
}

export class SimWorld {
  private readonly heap = new EventHeap();
  private seq = 0;
  private time = 0;
  /** Events run so far. */
  steps = 0;
  readonly random: SeededRandom;

  constructor(
    readonly seed: number,
    /** At most this many events at one instant: more means something reschedules itself without end. */
    private readonly maxEventsPerInstant = 20_000,
  ) {
    this.random = new SeededRandom(seed);
  }

  get now(): number {
    return this.time;
  }

  /** Runs `fn` `delayMs` from now (0: after everything already due now). */
  schedule(delayMs: number, fn: () => void): void {
    if (!(delayMs >= 0)) throw new RangeError(`negative or invalid delay ${delayMs}`);
    this.heap.push({ at: this.time + delayMs, seq: this.seq++, fn });
  }

  /** Resolves after `delayMs` of simulated time. */
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.schedule(delayMs, resolve));
  }

  get pendingEvents(): number {
    return this.heap.size;
  }

  /**
   * Runs events up to `until` (inclusive), settling promises after each and calling `afterStep`
   * (the invariant checks). Time ends at `until` even if nothing was due then.
   */
  async runUntil(until: number, afterStep?: () => void): Promise<void> {
    let instant = -1;
    let atInstant = 0;
    for (;;) {
      const next = this.heap.peek();
      if (!next || next.at > until) break;
      this.heap.pop();
      this.time = next.at;
      if (next.at === instant) {
        if (++atInstant > this.maxEventsPerInstant) throw new SimLivelockError(`more than ${this.maxEventsPerInstant} events at t=${next.at}`);
      } else {
        instant = next.at;
        atInstant = 1;
      }
      next.fn();
      await settle();
      this.steps++;
      afterStep?.();
    }
    this.time = Math.max(this.time, until);
  }
}
