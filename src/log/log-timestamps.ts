/**
 * ListOffsets by time over a whole log (Kafka's UnifiedLog.fetchOffsetByTimestamp): the first
 * record at or after a timestamp, and the record with the largest timestamp (MAX_TIMESTAMP,
 * KIP-734). Only acknowledged records (below the high watermark) are answered.
 */
import type { PartitionLog } from './partition-log.js';
import { findBatch, findOffsetByTimestamp, firstRecordAtOrAfter } from './segment-read.js';
import { readFully } from '../storage/disk-files.js';
import type { TimestampOffset } from './time-index.js';

export async function offsetForTimestamp(log: PartitionLog, timestamp: bigint): Promise<TimestampOffset | undefined> {
  const hw = log.highWatermark;
  const start = log.logStartOffset;
  for (const seg of log.segments) {
    if (seg.baseOffset >= hw) break;
    const max = await seg.acknowledgedMaxTimestamp();
    if (max.timestamp < timestamp) continue;
    const found = await log.withIndexRepair(seg, () => findOffsetByTimestamp(seg, timestamp, start));
    if (found) return found.offset < hw ? found : undefined;
  }
  return undefined;
}

export async function maxTimestampOffset(log: PartitionLog): Promise<TimestampOffset | undefined> {
  const hw = log.highWatermark;
  let best: { seg: (typeof log.segments)[number]; max: TimestampOffset } | undefined;
  for (const seg of log.segments) {
    if (seg.baseOffset >= hw) break;
    const max = await seg.acknowledgedMaxTimestamp();
    if (max.timestamp >= 0n && (!best || max.timestamp > best.max.timestamp)) best = { seg, max };
  }
  if (!best) return undefined;
  const { seg, max } = best;
  const batch = await log.withIndexRepair(seg, () => findBatch(seg, max.offset));
  if (!batch) return undefined;
  const bytes = await seg.files.use(seg, (f) => readFully(f, batch.position, batch.size));
  const found = await firstRecordAtOrAfter(bytes, max.timestamp, log.logStartOffset, seg.segmentEnv.maxDecodeBytes);
  return found && found.offset < hw ? found : undefined;
}
