/** Retries with exponential backoff and jitter, for errors a retry may cure (see isRetriable). */
import { isRetriable } from './errors.js';
import { type Clock, type Random, sleep } from './world.js';

export interface RetryOptions {
  /** Attempts after the first (default 5). */
  retries?: number;
  /** First backoff (default 100 ms); doubles each time up to maxBackoffMs (default 1000 ms). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** RetryOptions with the clock the backoffs are slept on and the source of their jitter. */
export interface RetryPolicy extends RetryOptions {
  clock: Clock;
  random: Random;
}

/**
 * Runs `fn` until it succeeds, fails with an error that is not retriable, or has failed
 * `retries + 1` times. `onRetry` runs before each retry (to refresh metadata, say). Each backoff
 * is drawn from 80-120% of the current one.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, onRetry?: (err: unknown) => void | Promise<void>): Promise<T> {
  const retries = policy.retries ?? 5;
  let backoff = policy.initialBackoffMs ?? 100;
  const max = policy.maxBackoffMs ?? 1000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= retries || !isRetriable(err)) throw err;
      await onRetry?.(err);
      await sleep(policy.clock, backoff * (0.8 + policy.random() * 0.4));
      backoff = Math.min(max, backoff * 2);
    }
  }
}
