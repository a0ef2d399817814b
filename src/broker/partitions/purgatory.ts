/**
 * Kafka's DelayedOperationPurgatory: operations that cannot complete yet (a long-poll fetch
 * waiting for bytes, an acks=all produce waiting for the high watermark) wait here, watching the
 * partitions they depend on, until something happens to one of them (`checkAndComplete`) or their
 * timeout passes. Nothing polls: the partition layer calls `checkAndComplete` when a partition's
 * high watermark moves or its leadership changes.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';

export interface DelayedOperation {
  /** Completes the operation if it can now, and says whether it did. Called until it returns true. */
  tryComplete(): boolean;
  /** The timeout passed before the operation could complete: complete it as it stands. */
  expire(): void;
}

interface Watched {
  op: DelayedOperation;
  keys: readonly string[];
  timer: TimerHandle;
  done: boolean;
}

export class Purgatory {
  private readonly watchers = new Map<string, Set<Watched>>();
  private count = 0;

  /** `maxOperations` bounds what waits here; beyond it an operation is expired at once. */
  constructor(
    private readonly clock: Clock,
    private readonly maxOperations: number,
  ) {}

  /** Operations waiting. */
  get size(): number {
    return this.count;
  }

  /** Tries `op` now; if it cannot complete, watches `keys` for it until `timeoutMs` has passed. */
  tryCompleteElseWatch(op: DelayedOperation, keys: readonly string[], timeoutMs: number): void {
    if (op.tryComplete()) return;
    if (this.count >= this.maxOperations || keys.length === 0 || timeoutMs <= 0) {
      op.expire();
      return;
    }
    const w: Watched = { op, keys, done: false, timer: this.clock.setTimeout(() => this.finish(w, true), timeoutMs) };
    this.count++;
    for (const k of keys) {
      let set = this.watchers.get(k);
      if (!set) this.watchers.set(k, (set = new Set()));
      set.add(w);
    }
  }

  /** Something changed for `key`: completes the operations watching it that now can. */
  checkAndComplete(key: string): void {
    const set = this.watchers.get(key);
    if (!set) return;
    for (const w of [...set]) if (!w.done && w.op.tryComplete()) this.finish(w, false);
  }

  /** Expires every waiting operation (the broker is closing). */
  expireAll(): void {
    const all = new Set<Watched>();
    for (const set of this.watchers.values()) for (const w of set) all.add(w);
    for (const w of all) this.finish(w, true);
  }

  private finish(w: Watched, expire: boolean): void {
    if (w.done) return;
    w.done = true;
    this.count--;
    w.timer.cancel();
    for (const k of w.keys) {
      const set = this.watchers.get(k);
      if (!set) continue;
      set.delete(w);
      if (set.size === 0) this.watchers.delete(k);
    }
    if (expire) w.op.expire();
  }
}
