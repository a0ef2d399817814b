/**
 * Retention (Kafka's UnifiedLog.deleteOldSegments): whole segments are deleted from the oldest
 * while one of these holds, never the active segment and never one the high watermark has not
 * passed:
 * - the log start offset has moved past the segment (DeleteRecords, or an earlier deletion);
 * - cleanup.policy includes delete and the segment's newest record is older than retention.ms;
 * - cleanup.policy includes delete and the log would still be at least retention.bytes without it.
 * Deleting renames the files `.deleted` and removes them after file.delete.delay.ms; appends
 * never wait for it (it holds only the log's maintenance lock).
 */
import type { LogSegment } from './log-segment.js';
import type { PartitionLog } from './partition-log.js';

export type RetentionReason = 'log-start-offset' | 'retention.ms' | 'retention.bytes';

export interface RetentionResult {
  deleted: { baseOffset: bigint; size: number; reason: RetentionReason }[];
}

export function deleteOldSegments(log: PartitionLog, now: number): Promise<RetentionResult> {
  return log.withMaintenance(async () => {
    if (log.isClosed || log.offlineError) return { deleted: [] };
    const doomed = await deletableSegments(log, now);
    if (doomed.length === 0) return { deleted: [] };
    await log.retireSegments(doomed.map((d) => d.segment));
    log.advanceStartToFirstSegment();
    return { deleted: doomed.map((d) => ({ baseOffset: d.segment.baseOffset, size: d.segment.size, reason: d.reason })) };
  });
}

async function deletableSegments(log: PartitionLog, now: number): Promise<{ segment: LogSegment; reason: RetentionReason }[]> {
  const cfg = log.config;
  const segs = log.segments;
  const byTime = cfg.cleanupPolicy.delete && cfg.retentionMs >= 0;
  let excess = cfg.cleanupPolicy.delete && cfg.retentionBytes >= 0 ? log.sizeInBytes - cfg.retentionBytes : -1;
  const out: { segment: LogSegment; reason: RetentionReason }[] = [];
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    const next = segs[i + 1]!;
    if (next.baseOffset > log.highWatermark) break;
    let reason: RetentionReason | undefined;
    if (next.baseOffset <= log.logStartOffset) reason = 'log-start-offset';
    else if (byTime && now - (await seg.largestTimestamp()) > cfg.retentionMs) reason = 'retention.ms';
    else if (excess >= seg.size) reason = 'retention.bytes';
    if (reason === undefined) break;
    excess -= seg.size;
    out.push({ segment: seg, reason });
  }
  return out;
}
