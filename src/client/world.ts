/**
 * The client's world (design principle 4): time and timers, randomness and the network. A
 * SamsaClient is given them (`clock`, `random`, `network`, the real ones by default) and passes
 * them down to its connections, producers, consumers and retries, so that a test or the simulator
 * can drive a client with a ManualClock, a seeded Random and a Network of its own. Nothing else
 * in src/client reads the time, sets a timer or draws a random number (eslint.config.js).
 *
 * Timers a caller's promise waits on (a linger, a retry backoff, a connect timeout) keep the
 * process alive, as bare Node timers did; background ones (a heartbeat, a sweep) do not.
 */
import type { Clock, TimerHandle } from '../common/clock.js';

export type { Clock, TimerHandle } from '../common/clock.js';
export type { Random } from '../common/random.js';
export type { Network } from '../network/network.js';

/** Resolves after `ms` on `clock`, keeping the process alive meanwhile (a caller waits on it). */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms, { keepAlive: true }));
}

/**
 * Runs `fn` every `ms` (at least 1) on `clock` until cancelled, as background work: it does not
 * keep the process alive. The next run is scheduled before `fn` runs, so a slow or throwing `fn`
 * does not stop the series.
 */
export function every(clock: Clock, ms: number, fn: () => void): TimerHandle {
  const period = Math.max(1, ms);
  let cancelled = false;
  let handle: TimerHandle;
  const tick = () => {
    if (cancelled) return;
    handle = clock.setTimeout(tick, period);
    fn();
  };
  handle = clock.setTimeout(tick, period);
  return {
    cancel: () => {
      cancelled = true;
      handle.cancel();
    },
  };
}

/**
 * Resolves once the event loop has run the I/O callbacks pending now (Node's check phase). The
 * consumer waits for this before decoding a fetched chunk, so that the poll loop, woken by the same
 * answer, writes the next Fetch first (docs/client.md, Performance: one partition went from ~700k
 * to ~950k records/s). It reads no time and draws nothing: it orders this process's own work after
 * its pending I/O, which a Network delivers through the same event loop. A zero-delay timer on the
 * Clock would be injectable, but a real one waits at least 1 ms, per chunk: in alternating runs
 * the consumer then read 8 partitions at ~240k records/s against ~350k with this.
 */
export function afterPendingIo(): Promise<void> {
  // eslint-disable-next-line no-restricted-globals -- a turn of the event loop, not time: see above
  return new Promise((resolve) => setImmediate(resolve));
}
