/**
 * The in-place edits a broker makes to a validated batch before appending it, none of which
 * decode records: the base offset and partition leader epoch lie outside the CRC, and setting
 * LogAppendTime rewrites two fields and the CRC (Kafka's DefaultRecordBatch.setLastOffset,
 * setPartitionLeaderEpoch and setMaxTimestamp). `pos` is where the batch starts in `buf`.
 */
import { computeBatchCrc, completeBatchSizeAt } from './batch-frame.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  CRC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  timestampTypeOf,
  withTimestampType,
} from './batch-header.js';
import { InvalidBatchError, InvalidBatchReason } from './invalid-batch-error.js';
import { readInt64BE, writeInt64BE } from '../primitives/int64.js';

function checkHeaderPresent(buf: Buffer, pos: number): void {
  if (!Number.isInteger(pos) || pos < 0 || buf.length - pos < RECORD_BATCH_OVERHEAD) {
    throw new InvalidBatchError(InvalidBatchReason.Truncated, pos, `no ${RECORD_BATCH_OVERHEAD}-byte batch header at ${pos} of ${buf.length}`);
  }
}

/** Assigns the batch's first offset; records keep their deltas, so theirs follow. Outside the CRC. */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: bigint): void {
  checkHeaderPresent(buf, pos);
  writeInt64BE(buf, baseOffset, pos + BASE_OFFSET_OFFSET);
}

/** Stamps the leader epoch the batch was appended under (KIP-101). Outside the CRC. */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  checkHeaderPresent(buf, pos);
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}

/**
 * Sets the timestamp type bit and maxTimestamp, then recomputes the CRC over the whole batch.
 * Does nothing when both already hold, as Kafka does, so CreateTime batches cost no CRC pass.
 * Other attribute bits (compression, transactional, control, delete horizon) are kept.
 */
export function setMaxTimestamp(buf: Buffer, pos: number, type: TimestampType, maxTimestamp: bigint): void {
  const size = completeBatchSizeAt(buf, pos, buf.length);
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  if (timestampTypeOf(attributes) === type && readInt64BE(buf, pos + MAX_TIMESTAMP_OFFSET) === maxTimestamp) return;
  buf.writeInt16BE(withTimestampType(attributes, type), pos + ATTRIBUTES_OFFSET);
  writeInt64BE(buf, maxTimestamp, pos + MAX_TIMESTAMP_OFFSET);
  buf.writeUInt32BE(computeBatchCrc(buf, pos, size), pos + CRC_OFFSET);
}

/**
 * For topics with message.timestamp.type=LogAppendTime: marks the batch LogAppendTime with the
 * broker's clock as maxTimestamp, which every record of the batch then reports as its timestamp.
 * baseTimestamp and the records' deltas keep the producer's create times, as in Kafka.
 */
export function setLogAppendTime(buf: Buffer, pos: number, logAppendTimeMs: bigint): void {
  setMaxTimestamp(buf, pos, TimestampType.LogAppendTime, logAppendTimeMs);
}
