/**
 * Milliseconds spent in each named phase of a sequence (the broker's start-up), on the injected
 * clock: `mark(name)` ends the phase running since the previous mark (or the timer's creation).
 */
import type { Clock } from './clock.js';

export class PhaseTimer {
  private last: number;
  private readonly phases: Record<string, number> = {};

  constructor(private readonly clock: Clock) {
    this.last = clock.now();
  }

  mark(name: string): void {
    const now = this.clock.now();
    this.phases[name] = (this.phases[name] ?? 0) + (now - this.last);
    this.last = now;
  }

  /** Each phase's milliseconds, in the order first marked. */
  get ms(): Readonly<Record<string, number>> {
    return this.phases;
  }
}
