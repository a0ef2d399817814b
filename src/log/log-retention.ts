/**
 * Retention (Kafka's UnifiedLog.deleteOldSegments): which whole segments go, from the oldest,
 * while one of these holds — never the active segment (PartitionLog rolls it first when
 * retention.ms has passed all of it, as Kafka does) and never one the acknowledged end and the high
 * watermark have not passed:
 * - the log start offset has moved past the segment (DeleteRecords, or an earlier deletion);
 * - cleanup.policy includes delete and the segment's newest record is older than retention.ms;
 * - cleanup.policy includes delete and the log would still be at least retention.bytes without it.
 * PartitionLog.deleteOldSegments retires them (renamed `.deleted`, removed after
 * file.delete.delay.ms) under the log's maintenance lock, so appends never wait for it.
 */
import type { LogConfig } from './log-config.js';
import type { LogSegment } from './log-segment.js';

export type RetentionReason = 'log-start-offset' | 'retention.ms' | 'retention.bytes';

export interface RetentionResult {
  deleted: { baseOffset: bigint; size: number; reason: RetentionReason }[];
}

export interface DeletableSegment {
  segment: LogSegment;
  reason: RetentionReason;
}

export interface RetentionBounds {
  logStartOffset: bigint;
  /** Segments are deleted only once this has passed them: the acknowledged end, or the high watermark when lower. */
  acknowledgedEnd: bigint;
  now: number;
}

/** The oldest segments retention deletes now, with the reason for each. */
export async function deletableSegments(segs: readonly LogSegment[], cfg: LogConfig, b: RetentionBounds): Promise<DeletableSegment[]> {
  const byTime = cfg.cleanupPolicy.delete && cfg.retentionMs >= 0;
  let excess = cfg.cleanupPolicy.delete && cfg.retentionBytes >= 0 ? totalSize(segs) - cfg.retentionBytes : -1;
  const out: DeletableSegment[] = [];
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    const next = segs[i + 1]!;
    if (next.baseOffset > b.acknowledgedEnd) break;
    let reason: RetentionReason | undefined;
    if (next.baseOffset <= b.logStartOffset) reason = 'log-start-offset';
    else if (byTime && b.now - (await seg.largestTimestamp()) > cfg.retentionMs) reason = 'retention.ms';
    else if (excess >= seg.size) reason = 'retention.bytes';
    if (reason === undefined) break;
    excess -= seg.size;
    out.push({ segment: seg, reason });
  }
  return out;
}

function totalSize(segs: readonly LogSegment[]): number {
  let n = 0;
  for (const s of segs) n += s.size;
  return n;
}
