/**
 * Completing a segment swap interrupted by a crash (Kafka's LogLoader swap handling). The
 * cleaner writes a cleaned segment as `.cleaned`, fsyncs it, renames it `.swap`, retires the
 * segments it replaces, then renames it to its final name. A `.swap` found at load was complete
 * on disk, so the swap is finished: the segments it covers are deleted and it takes their place.
 */
import { join } from 'node:path';
import type { Disk } from '../storage/disk.js';
import { unlinkIfExists } from '../storage/disk-files.js';
import { lastOffsetAt } from './batch-fields.js';
import { INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, SWAP_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX, parseSegmentFileName, segmentFilePath } from './file-names.js';
import { scanBatches } from './segment-scan.js';

/** Completes the swaps found in `dir` (`names`: its listing, if the caller has it); returns how many. */
export async function completeSwaps(env: { disk: Disk }, dir: string, listed?: readonly string[]): Promise<number> {
  const names = listed ?? (await env.disk.readdir(dir));
  const swaps = names
    .map((n) => parseSegmentFileName(n))
    .filter((f) => f !== undefined && f.kind === LOG_FILE_SUFFIX && f.state === SWAP_FILE_SUFFIX)
    .map((f) => f!.baseOffset)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const base of swaps) {
    const swapPath = segmentFilePath(dir, base, LOG_FILE_SUFFIX + SWAP_FILE_SUFFIX);
    const next = await nextOffsetOf(env.disk, swapPath, base);
    for (const name of names) {
      const f = parseSegmentFileName(name);
      if (f && f.state === '' && f.baseOffset >= base && f.baseOffset < next) await unlinkIfExists(env.disk, join(dir, name));
    }
    for (const kind of [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX]) {
      const from = segmentFilePath(dir, base, kind + SWAP_FILE_SUFFIX);
      if (await env.disk.stat(from)) await env.disk.rename(from, segmentFilePath(dir, base, kind));
    }
  }
  if (swaps.length > 0) await env.disk.syncDir(dir);
  // Index swaps without their log (the log was renamed first) are useless. Without any swap file
  // in the listing there is nothing to remove (and nothing was renamed: the listing still holds).
  if (names.some((n) => n.endsWith(SWAP_FILE_SUFFIX))) {
    for (const name of await env.disk.readdir(dir)) {
      if (name.endsWith(SWAP_FILE_SUFFIX)) await unlinkIfExists(env.disk, join(dir, name));
    }
  }
  return swaps.length;
}

/** The offset after the last batch of the segment file at `path`. */
async function nextOffsetOf(disk: Disk, path: string, base: bigint): Promise<bigint> {
  const file = await disk.open(path, 'read');
  try {
    let next = base;
    await scanBatches(file, 0, await file.size(), (buf, pos) => {
      next = lastOffsetAt(buf, pos) + 1n;
    });
    return next;
  } finally {
    await file.close();
  }
}
