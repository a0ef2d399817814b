/**
 * Whether and how much of a compacted log can be cleaned (Kafka's LogCleanerManager.cleanableOffsets
 * and LogToClean): the dirty range runs from the first dirty offset (the cleaner checkpoint) to
 * the first uncleanable offset, the lowest of
 * - the active segment's base offset (the active segment is never cleaned),
 * - the recovery point (only flushed, finalized segments are rewritten),
 * - the acknowledged end, and the high watermark (records above it may yet be truncated),
 * - the first unstable offset (the oldest transaction not yet decided, Kafka's LSO bound),
 * - the first segment holding a record younger than min.compaction.lag.ms.
 * The log is due when its dirty share of bytes exceeds min.cleanable.dirty.ratio, when its first
 * dirty record is older than max.compaction.lag.ms, or when tombstones' delete horizon has passed.
 */
import { NEVER } from '../log-config.js';
import type { LogSegment } from '../log-segment.js';
import type { PartitionLog } from '../partition-log.js';
import { readFully } from '../../storage/disk-files.js';
import { RECORD_BATCH_OVERHEAD } from '../../protocol/records/batch-header.js';
import { maxTimestampAt } from '../batch-fields.js';

export interface Cleanable {
  log: PartitionLog;
  firstDirtyOffset: bigint;
  firstUncleanableOffset: bigint;
  cleanBytes: number;
  dirtyBytes: number;
  /** dirtyBytes / (cleanBytes + dirtyBytes) */
  dirtyRatio: number;
  /** Why it is due, or undefined when it is not. */
  due: 'dirty-ratio' | 'max-compaction-lag' | 'tombstones-expired' | undefined;
}

export async function cleanableOf(log: PartitionLog, checkpoint: bigint | undefined, now: number, latestDeleteHorizon: bigint): Promise<Cleanable | undefined> {
  const cfg = log.config;
  if (!cfg.cleanupPolicy.compact || log.isClosed || log.offlineError) return undefined;
  const start = log.logStartOffset;
  let firstDirty = checkpoint ?? start;
  if (firstDirty < start || firstDirty > log.logEndOffset) firstDirty = start;
  const segs = log.segments;
  let uncleanable = min(min(log.localLog.active.baseOffset, log.recoveryPoint), log.acknowledgedEnd);
  // Records above the high watermark may yet be truncated (a new leader without them): the older
  // values they supersede must stay until they are replicated (Kafka cleans up to the last stable
  // offset, which the high watermark bounds).
  const hw = log.highWatermark;
  if (hw !== undefined) uncleanable = min(uncleanable, hw);
  // Data of a transaction not yet decided must not displace older values of its keys.
  const unstable = log.firstUnstableOffset;
  if (unstable !== undefined) uncleanable = min(uncleanable, unstable);
  if (cfg.minCompactionLagMs > 0) {
    for (let i = 0; i < segs.length - 1; i++) {
      const seg = segs[i]!;
      if (seg.baseOffset >= uncleanable) break;
      if (segs[i + 1]!.baseOffset <= firstDirty) continue;
      if ((await seg.largestTimestamp()) > now - cfg.minCompactionLagMs) {
        uncleanable = min(uncleanable, seg.baseOffset);
        break;
      }
    }
  }
  let cleanBytes = 0;
  let dirtyBytes = 0;
  let firstDirtySegment: LogSegment | undefined;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    if (seg.baseOffset >= uncleanable) break;
    if (segs[i + 1]!.baseOffset <= firstDirty) cleanBytes += seg.size;
    else {
      dirtyBytes += seg.size;
      firstDirtySegment ??= seg;
    }
  }
  const dirtyRatio = cleanBytes + dirtyBytes === 0 ? 0 : dirtyBytes / (cleanBytes + dirtyBytes);
  const result: Cleanable = { log, firstDirtyOffset: firstDirty, firstUncleanableOffset: uncleanable, cleanBytes, dirtyBytes, dirtyRatio, due: undefined };
  if (dirtyBytes > 0 && dirtyRatio > cfg.minCleanableDirtyRatio) result.due = 'dirty-ratio';
  else if (dirtyBytes > 0 && firstDirtySegment && cfg.maxCompactionLagMs < NEVER && now - (await firstBatchTimestamp(firstDirtySegment)) > cfg.maxCompactionLagMs) result.due = 'max-compaction-lag';
  else if (latestDeleteHorizon >= 0n && latestDeleteHorizon <= BigInt(now) && cleanBytes > 0) result.due = 'tombstones-expired';
  return result;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Kafka's getFirstBatchTimestamp: the first batch's max timestamp (the file time when it has none). */
async function firstBatchTimestamp(seg: LogSegment): Promise<number> {
  if (seg.rollingBasedTimestamp !== undefined && seg.rollingBasedTimestamp >= 0n) return Number(seg.rollingBasedTimestamp);
  const head = await seg.files.use(seg, (f) => readFully(f, 0, RECORD_BATCH_OVERHEAD));
  const ts = head.length === RECORD_BATCH_OVERHEAD ? maxTimestampAt(head, 0) : -1n;
  return ts >= 0n ? Number(ts) : seg.lastModifiedMs;
}
