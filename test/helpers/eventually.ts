/** Waits, bounded, for a condition of a cluster test to hold. */
import assert from 'node:assert/strict';

export interface EventuallyOptions {
  /** A check that throws is tried again (the last error is in the failure), instead of failing the wait. */
  tolerateErrors?: boolean;
  /** Between checks (default 50 ms). */
  intervalMs?: number;
}

/** Resolves once `check` holds; fails with "<what> within <ms> ms" when it has not by then. */
export async function eventually(what: string, ms: number, check: () => boolean | Promise<boolean>, opts: EventuallyOptions = {}): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      if (!opts.tolerateErrors) throw err;
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`${what} within ${ms} ms${last ? ` (${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
