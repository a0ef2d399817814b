/**
 * The barrier for a check that a consumer group delivered each record once. Once the expected
 * records have arrived, one sentinel record is produced to every partition, and the check waits
 * until each sentinel has been delivered: delivery is in order within a partition, so whatever the
 * members delivered again before reaching the sentinels (a re-fetch after a rebalance, a record
 * stored twice) is then in what they delivered. A fixed wait instead lets a late duplicate pass
 * unseen. Each sentinel must itself be delivered once.
 */
import assert from 'node:assert/strict';
import { eventually } from './eventually.js';

export interface SentinelRecord {
  partition: number;
  value: string;
}

let rounds = 0;

/**
 * Sends a sentinel to each of `partitions` partitions of `topic` with `send`, waits until each of
 * `groups` (for each consumer group: every value its members delivered so far, all together) holds
 * every sentinel, and asserts each group has each of them once. Returns whether a value is one of
 * these sentinels, to leave them out of the data compared (an earlier barrier's sentinels are not:
 * delivered again, they are a duplicate).
 */
export async function awaitSentinels(topic: string, partitions: number, send: (records: SentinelRecord[]) => Promise<unknown>, groups: (() => readonly string[])[], timeoutMs = 60_000): Promise<(value: string) => boolean> {
  const round = ++rounds;
  const records = Array.from({ length: partitions }, (_, partition) => ({ partition, value: `sentinel:${topic}:${round}:${partition}` }));
  const isSentinel = (value: string) => records.some((r) => r.value === value);
  await send(records);
  const counts = (delivered: readonly string[]) => records.map((r) => delivered.filter((v) => v === r.value).length);
  await eventually(`${topic}: each group to deliver a sentinel from each of ${partitions} partitions`, timeoutMs, () => groups.every((g) => counts(g()).every((n) => n > 0)), { intervalMs: 20 });
  for (const [i, g] of groups.entries()) assert.deepEqual(counts(g()), records.map(() => 1), `group ${i}: each sentinel delivered once`);
  return isSentinel;
}
