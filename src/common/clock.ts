/**
 * Time as an injected dependency (design principle 4), so retention, group session timeouts
 * and replication can be driven by a manual clock in tests and a seeded simulator.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface TimerOptions {
  /**
   * Whether the pending timer keeps the process alive (a ref'd Node timer). Default false: a
   * broker's timers (retention, session expiry, purgatory deadlines) never hold a process open.
   * A client sets it on a timer that a caller's promise waits on (a producer's linger, a retry
   * backoff), so that a script awaiting a send is not ended with the send unfinished; background
   * timers (heartbeats, sweeps) leave it off.
   */
  keepAlive?: boolean;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number, options?: TimerOptions): TimerHandle;
  /**
   * Milliseconds with sub-millisecond precision from an arbitrary origin, for measuring how long
   * work takes (request-time quotas). Optional: clocks without it are measured with `now()`.
   */
  highResNow?(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  highResNow: () => performance.now(),
  setTimeout(fn, ms, options) {
    const t = setTimeout(fn, ms);
    if (!options?.keepAlive) t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to; timers fire in due order during `advance`. */
export class ManualClock implements Clock {
  private timers: ManualTimer[] = [];
  private seq = 0;

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  /** `options.keepAlive` means nothing here: a manual timer never keeps a process alive. */
  setTimeout(fn: () => void, ms: number, _options?: TimerOptions): TimerHandle {
    const t: ManualTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => (t.cancelled = true) };
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.time = due.at;
      due.fn();
    }
    this.time = end;
  }

  /** Timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
