/** Retries with exponential backoff and jitter, for errors a retry may cure (see isRetriable). */
import { setTimeout as sleep } from 'node:timers/promises';
import { isRetriable } from './errors.js';

export interface RetryOptions {
  /** Attempts after the first (default 5). */
  retries?: number;
  /** First backoff (default 100 ms); doubles each time up to maxBackoffMs (default 1000 ms). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Runs `fn` until it succeeds, fails with an error that is not retriable, or has failed
 * `retries + 1` times. `onRetry` runs before each retry (to refresh metadata, say).
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}, onRetry?: (err: unknown) => void | Promise<void>): Promise<T> {
  const retries = options.retries ?? 5;
  let backoff = options.initialBackoffMs ?? 100;
  const max = options.maxBackoffMs ?? 1000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= retries || !isRetriable(err)) throw err;
      await onRetry?.(err);
      await sleep(backoff * (0.8 + Math.random() * 0.4));
      backoff = Math.min(max, backoff * 2);
    }
  }
}
