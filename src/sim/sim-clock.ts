/**
 * A node's clock in the simulator: the world's time seen through the node's own skew. `rate` is
 * how fast the node's clock runs against world time (1.1 = 10% fast) and `offset` where it stands;
 * both may change during a run (drift, a jump). Timers fire after the node's own milliseconds
 * have passed, and a clock that is `stop`ped (its node crashed) fires nothing more.
 */
import type { Clock, TimerHandle } from '../common/clock.js';
import type { SimWorld } from './sim-world.js';

export class SimClock implements Clock {
  private rateValue = 1;
  private base: number;
  private baseWorld: number;
  private stopped = false;

  constructor(
    private readonly world: SimWorld,
    offset = 0,
  ) {
    this.base = world.now + offset;
    this.baseWorld = world.now;
  }

  now(): number {
    return Math.floor(this.base + (this.world.now - this.baseWorld) * this.rateValue);
  }

  get rate(): number {
    return this.rateValue;
  }

  /** Changes the rate from now on (the clock's reading does not jump). */
  setRate(rate: number): void {
    if (!(rate > 0)) throw new RangeError(`clock rate must be positive, got ${rate}`);
    this.base = this.base + (this.world.now - this.baseWorld) * this.rateValue;
    this.baseWorld = this.world.now;
    this.rateValue = rate;
  }

  /** Moves the reading by `ms` at once (forward or back), as an NTP step would. */
  jump(ms: number): void {
    this.setRate(this.rateValue);
    this.base += ms;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    let cancelled = false;
    const worldDelay = Math.max(0, Math.ceil(Math.max(0, ms) / this.rateValue));
    this.world.schedule(worldDelay, () => {
      if (!cancelled && !this.stopped) fn();
    });
    return { cancel: () => (cancelled = true) };
  }

  /** The node is gone: no timer of this clock fires again. */
  stop(): void {
    this.stopped = true;
  }
}
