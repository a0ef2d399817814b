/**
 * ListOffsets by time over a whole log (Kafka's UnifiedLog.fetchOffsetByTimestamp): the first
 * record at or after a timestamp, and the record with the largest timestamp (MAX_TIMESTAMP,
 * KIP-734). Only acknowledged records are answered, and none below the log start offset.
 */
import type { LocalLog } from './local-log.js';
import type { LogSegment } from './log-segment.js';
import { findBatch, findOffsetByTimestamp, firstRecordAtOrAfter } from './segment-read.js';
import { readFully } from '../storage/disk-files.js';
import type { TimestampOffset } from './time-index.js';

/** The readable range: from the log start offset to the acknowledged end. */
export interface TimestampBounds {
  logStartOffset: bigint;
  acknowledgedEnd: bigint;
}

export async function offsetForTimestamp(local: LocalLog, timestamp: bigint, b: TimestampBounds): Promise<TimestampOffset | undefined> {
  for (const seg of local.segments) {
    if (seg.baseOffset >= b.acknowledgedEnd) break;
    const max = await seg.acknowledgedMaxTimestamp();
    if (max.timestamp < timestamp) continue;
    const found = await local.withIndexRepair(seg, () => findOffsetByTimestamp(seg, timestamp, b.logStartOffset));
    if (found) return found.offset < b.acknowledgedEnd ? found : undefined;
  }
  return undefined;
}

export async function maxTimestampOffset(local: LocalLog, b: TimestampBounds): Promise<TimestampOffset | undefined> {
  let best: { seg: LogSegment; max: TimestampOffset } | undefined;
  for (const seg of local.segments) {
    if (seg.baseOffset >= b.acknowledgedEnd) break;
    const max = await seg.acknowledgedMaxTimestamp();
    if (max.timestamp >= 0n && (!best || max.timestamp > best.max.timestamp)) best = { seg, max };
  }
  if (!best) return undefined;
  const { seg, max } = best;
  const batch = await local.withIndexRepair(seg, () => findBatch(seg, max.offset));
  if (!batch) return undefined;
  const bytes = await seg.files.use(seg, (f) => readFully(f, batch.position, batch.size));
  const found = await firstRecordAtOrAfter(bytes, max.timestamp, b.logStartOffset, seg.segmentEnv.maxDecodeBytes);
  return found && found.offset < b.acknowledgedEnd ? found : undefined;
}
