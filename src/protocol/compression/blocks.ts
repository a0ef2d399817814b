/**
 * Block helpers shared by the snappy (xerial) and LZ4 writers and readers.
 *
 * `mapLimited` runs per-block native calls a few at a time. The napi-rs codecs do their work on
 * libuv's thread pool, and a 32-64 KiB block takes about as long to hand over and back as to
 * (de)compress, so keeping more blocks in flight than the pool has threads (4 by default) pays:
 * for 1 MiB of snappy blocks, 8 in flight decoded ~1.2x faster than 4 and ~4x faster than the
 * addon's synchronous calls one after another. Issuing all of a large batch's blocks at once would
 * instead queue them ahead of every file-system and DNS request; 8 bounds that wait to a few
 * blocks' time.
 */
export const BLOCKS_IN_FLIGHT = 8;

/** `fn` over `items`, at most `limit` at a time, results in input order; rejects on the first failure. */
export async function mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit = BLOCKS_IN_FLIGHT): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    // Stop taking blocks once one has failed: the whole call rejects anyway.
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(limit, items.length); w++) workers.push(worker());
  await Promise.all(workers);
  return results;
}

/** `data` cut into views of `size` bytes (the last may be shorter); none for empty input. No copying. */
export function splitBlocks(data: Buffer, size: number): Buffer[] {
  const blocks: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) blocks.push(data.subarray(at, Math.min(at + size, data.length)));
  return blocks;
}
