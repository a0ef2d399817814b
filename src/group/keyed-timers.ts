/**
 * Timers on the injected clock, one per key: scheduling a key again replaces its timer, as
 * Kafka's coordinator timer does. Keys name what the timer guards (a group's join phase, a
 * member's session), so a stale timer can never fire for something it no longer describes.
 */
import type { Clock, TimerHandle } from '../common/clock.js';

export class KeyedTimers {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  schedule(key: string, delayMs: number, fn: () => void): void {
    this.timers.get(key)?.cancel();
    const handle = this.clock.setTimeout(() => {
      if (this.timers.get(key) !== handle) return;
      this.timers.delete(key);
      fn();
    }, delayMs);
    this.timers.set(key, handle);
  }

  cancel(key: string): void {
    this.timers.get(key)?.cancel();
    this.timers.delete(key);
  }

  has(key: string): boolean {
    return this.timers.has(key);
  }

  cancelAll(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  get size(): number {
    return this.timers.size;
  }
}

export const joinKey = (groupId: string): string => `join\0${groupId}`;
export const syncKey = (groupId: string): string => `sync\0${groupId}`;
export const heartbeatKey = (groupId: string, memberId: string): string => `heartbeat\0${groupId}\0${memberId}`;
