/**
 * The few header fields the log reads per batch, read straight from the bytes: readBatchHeader
 * builds an object with six bigints, which the append and scan paths do not need.
 */
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  BASE_SEQUENCE_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
} from '../protocol/records/batch-header.js';
import { computeBatchCrc } from '../protocol/records/batch-frame.js';
import { readInt64BE } from '../protocol/primitives/int64.js';

export const baseOffsetAt = (buf: Buffer, pos: number): bigint => readInt64BE(buf, pos + BASE_OFFSET_OFFSET);
export const batchSizeOf = (buf: Buffer, pos: number): number => LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
export const lastOffsetDeltaAt = (buf: Buffer, pos: number): number => buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
export const lastOffsetAt = (buf: Buffer, pos: number): bigint => baseOffsetAt(buf, pos) + BigInt(lastOffsetDeltaAt(buf, pos));
export const partitionLeaderEpochAt = (buf: Buffer, pos: number): number => buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET);
export const maxTimestampAt = (buf: Buffer, pos: number): bigint => readInt64BE(buf, pos + MAX_TIMESTAMP_OFFSET);
export const attributesAt = (buf: Buffer, pos: number): number => buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
export const producerIdAt = (buf: Buffer, pos: number): bigint => readInt64BE(buf, pos + PRODUCER_ID_OFFSET);
export const producerEpochAt = (buf: Buffer, pos: number): number => buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET);
export const baseSequenceAt = (buf: Buffer, pos: number): number => buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
export const recordCountAt = (buf: Buffer, pos: number): number => buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);

/** Whether the stored CRC-32C matches the batch's bytes. */
export function crcMatches(buf: Buffer, pos: number, size: number): boolean {
  return buf.readUInt32BE(pos + CRC_OFFSET) === computeBatchCrc(buf, pos, size);
}
