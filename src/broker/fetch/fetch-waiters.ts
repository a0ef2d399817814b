/**
 * Fetch purgatory: long-poll fetches wait here until enough bytes have been appended to the
 * partitions they watch (Kafka's fetch.min.bytes) or their max wait runs out. The produce path
 * reports every append with its size; nothing polls.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';

interface Waiter {
  keys: readonly string[];
  needBytes: number;
  gotBytes: number;
  timer: TimerHandle;
  resolve: () => void;
}

export class FetchWaiters {
  private readonly byKey = new Map<string, Set<Waiter>>();

  constructor(private readonly clock: Clock) {}

  /** How many fetches are parked (bounded by connections × in-flight requests). */
  get size(): number {
    let n = 0;
    for (const set of this.byKey.values()) n += set.size;
    return n;
  }

  /**
   * Resolves once `needBytes` have been appended across `keys` (partition keys), or after
   * `maxWaitMs`, whichever comes first. Always resolves; the caller reads the logs again.
   */
  wait(keys: readonly string[], needBytes: number, maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const w: Waiter = {
        keys,
        needBytes: Math.max(1, needBytes),
        gotBytes: 0,
        resolve,
        timer: this.clock.setTimeout(() => this.finish(w), maxWaitMs),
      };
      for (const k of keys) {
        let set = this.byKey.get(k);
        if (!set) this.byKey.set(k, (set = new Set()));
        set.add(w);
      }
    });
  }

  /** Reports `bytes` appended to partition `key`, waking the fetches that now have enough. */
  appended(key: string, bytes: number): void {
    const set = this.byKey.get(key);
    if (!set) return;
    for (const w of [...set]) {
      w.gotBytes += bytes;
      if (w.gotBytes >= w.needBytes) this.finish(w);
    }
  }

  private finish(w: Waiter): void {
    w.timer.cancel();
    for (const k of w.keys) {
      const set = this.byKey.get(k);
      if (!set) continue;
      set.delete(w);
      if (set.size === 0) this.byKey.delete(k);
    }
    w.resolve();
  }
}
