/**
 * Cutting the end of a log's segments (Kafka's LocalLog.truncateTo and truncateFullyAndStartAt),
 * for replication: a follower drops what the leader does not have. PartitionLog.truncateTo runs
 * these with appends refused and then brings its own state (log start offset, producer state,
 * leader epochs) in line. The segment that becomes active is cut at the first batch holding
 * `offset` or later (batches are never split, so the log end may land below `offset`), later
 * segments are retired, and the recovery point is moved back before anything is cut, so a crash
 * in the middle is recovered by scanning.
 */
import type { LocalLog } from './local-log.js';
import type { LogSegment } from './log-segment.js';
import { findBatch } from './segment-read.js';
import { loadTailState } from './segment-recovery.js';

/**
 * Removes every batch holding `offset` or later (`offset` below the log end, at or above the
 * first segment's base); returns the new log end offset.
 */
export async function truncateSegmentsTo(local: LocalLog, offset: bigint): Promise<bigint> {
  const kept = local.segments.filter((s) => s.baseOffset <= offset);
  const removed = local.segments.filter((s) => s.baseOffset > offset);
  const active = kept[kept.length - 1]!;
  await local.lowerRecoveryPoint(active.baseOffset);
  await local.retireSegments(removed);
  const cut = await findBatch(active, offset);
  if (cut) {
    await active.offsetIndex.truncateTo(cut.baseOffset);
    await active.timeIndex.truncateTo(cut.baseOffset);
    if (active.hasTxnIndex) await active.txnIndex.truncateTo(cut.baseOffset);
    await active.truncateFile(cut.position);
  }
  active.reactivate();
  const end = await loadTailState(active);
  local.replaceSegments(kept, end);
  return end;
}

/** Retires every segment and starts an empty one at `offset` (Kafka's truncateFullyAndStartAt). */
export async function replaceWithEmptySegmentAt(local: LocalLog, offset: bigint): Promise<void> {
  await local.lowerRecoveryPoint(offset < local.active.baseOffset ? offset : local.active.baseOffset);
  let fresh: LogSegment | undefined;
  await local.retireSegments(local.segments, async () => {
    fresh = local.newSegment(offset);
    await fresh.ensureFile();
    return fresh;
  });
  local.replaceSegments([fresh!], offset);
}
