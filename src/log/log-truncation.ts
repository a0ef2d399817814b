/**
 * Truncation of the log end (Kafka's UnifiedLog.truncateTo), for replication: a follower drops
 * what the leader does not have. Appends are refused while it runs. The segment that becomes
 * active is cut at the first batch holding `offset` or later (batches are never split, so the
 * log end may land below `offset`), later segments are deleted, and the recovery point is moved
 * back before anything is cut, so a crash in the middle is recovered by scanning.
 */
import { LogSegment } from './log-segment.js';
import type { PartitionLog } from './partition-log.js';
import { findBatch } from './segment-read.js';
import { loadTailState } from './segment-recovery.js';

/** Removes every offset at or above `offset`; resolves with the new log end offset. */
export async function truncateTo(log: PartitionLog, offset: bigint, env?: { logTruncated?(log: PartitionLog): Promise<void> }): Promise<bigint> {
  const end = await cut(log, offset);
  await env?.logTruncated?.(log);
  return end;
}

function cut(log: PartitionLog, offset: bigint): Promise<bigint> {
  if (offset < 0n) return Promise.reject(new RangeError(`cannot truncate to negative offset ${offset}`));
  return log.withMaintenance(async () => {
    await log.beginTruncation();
    try {
      if (offset >= log.logEndOffset) return log.logEndOffset;
      if (offset < log.logStartOffset) return await truncateFullyAndStartAt(log, offset);
      const segs = log.segments;
      const kept = segs.filter((s) => s.baseOffset <= offset);
      const removed = segs.filter((s) => s.baseOffset > offset);
      const active = kept[kept.length - 1]!;
      await log.lowerRecoveryPoint(active.baseOffset);
      await log.retireSegments(removed);
      const cut = await findBatch(active, offset);
      if (cut) {
        await active.offsetIndex.truncateTo(cut.baseOffset);
        await active.timeIndex.truncateTo(cut.baseOffset);
        await active.truncateFile(cut.position);
      }
      active.reactivate();
      const next = await loadTailState(active);
      log.resetEnd(kept, next, log.logStartOffset);
      // The cut went through the batch holding the log start offset: nothing readable is left, and
      // offsets below the log start must never be handed out again, so restart empty there.
      if (next < log.logStartOffset) return await truncateFullyAndStartAt(log, log.logStartOffset);
      return next;
    } finally {
      log.endTruncation();
    }
  });
}

/** Deletes every segment and starts an empty log at `offset` (Kafka's truncateFullyAndStartAt). */
export async function truncateFullyAndStartAt(log: PartitionLog, offset: bigint): Promise<bigint> {
  await log.lowerRecoveryPoint(offset < log.active.baseOffset ? offset : log.active.baseOffset);
  let fresh: LogSegment | undefined;
  await log.retireSegments(log.segments, async () => {
    fresh = LogSegment.create(log.active.segmentEnv, log.dir, offset, log.segmentSettings(), log.rollJitter());
    await fresh.ensureFile();
    return fresh;
  });
  log.resetEnd([fresh!], offset, offset);
  return offset;
}
