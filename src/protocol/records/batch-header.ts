/**
 * The 61-byte header of a Kafka record batch, magic v2 (Kafka's DefaultRecordBatch):
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
 *   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
 *   producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records...
 *
 * batchLength counts the bytes after itself; the CRC-32C covers attributes to the end of the
 * batch, so baseOffset and partitionLeaderEpoch (which the broker assigns) can be rewritten without
 * recomputing it. Offsets below are from the start of the batch; names follow Kafka's.
 */
import type { CompressionType } from '../compression/index.js';
import { InvalidBatchError, InvalidBatchReason } from './invalid-batch-error.js';
import { readInt64BE, writeInt64BE } from '../primitives/int64.js';

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;

/** baseOffset and batchLength: the framing every magic shares (Kafka's LOG_OVERHEAD). */
export const LOG_OVERHEAD = 12;
/** The whole v2 header: the smallest possible batch (Kafka's RECORD_BATCH_OVERHEAD). */
export const RECORD_BATCH_OVERHEAD = RECORDS_OFFSET;
/** The smallest batchLength a v2 batch can declare. */
export const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
export const CURRENT_MAGIC = 2;

/** Kafka's sentinels for a batch without a producer, sequence, leader epoch or timestamp. */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1n;

export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_MASK = 0x08;
const TRANSACTIONAL_MASK = 0x10;
const CONTROL_MASK = 0x20;
const DELETE_HORIZON_MASK = 0x40;

/** Compression id, attribute bits 0-2; ids above 4 are invalid (validateBatch refuses them). */
export function compressionOf(attributes: number): CompressionType {
  return (attributes & COMPRESSION_MASK) as CompressionType;
}

/** Bit 3: 0 for CreateTime (producer's timestamps), 1 for LogAppendTime (the broker's). */
export function timestampTypeOf(attributes: number): TimestampType {
  return (attributes & TIMESTAMP_TYPE_MASK) === 0 ? TimestampType.CreateTime : TimestampType.LogAppendTime;
}

/** Bit 4: the batch belongs to a transaction. */
export function isTransactional(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_MASK) !== 0;
}

/** Whether the batch at `pos` (whose header may not have been checked yet) says it belongs to a transaction. */
export function isTransactionalBatch(buf: Buffer, pos = 0): boolean {
  return buf.length >= pos + ATTRIBUTES_OFFSET + 2 && isTransactional(buf.readInt16BE(pos + ATTRIBUTES_OFFSET));
}

/** Bit 5: the batch holds control records (transaction markers). */
export function isControlBatch(attributes: number): boolean {
  return (attributes & CONTROL_MASK) !== 0;
}

/** Bit 6: baseTimestamp holds the compaction delete horizon (KIP-534). */
export function hasDeleteHorizonMs(attributes: number): boolean {
  return (attributes & DELETE_HORIZON_MASK) !== 0;
}

export interface BatchAttributes {
  compression?: CompressionType;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControlBatch?: boolean;
  hasDeleteHorizonMs?: boolean;
}

/** The attributes int16 for the given flags (absent flags are 0). */
export function makeAttributes(a: BatchAttributes): number {
  return (
    ((a.compression ?? 0) & COMPRESSION_MASK) |
    (a.timestampType === TimestampType.LogAppendTime ? TIMESTAMP_TYPE_MASK : 0) |
    (a.isTransactional ? TRANSACTIONAL_MASK : 0) |
    (a.isControlBatch ? CONTROL_MASK : 0) |
    (a.hasDeleteHorizonMs ? DELETE_HORIZON_MASK : 0)
  );
}

/** Sets or clears the timestamp-type bit, keeping the other attribute bits. */
export function withTimestampType(attributes: number, type: TimestampType): number {
  return type === TimestampType.LogAppendTime ? attributes | TIMESTAMP_TYPE_MASK : attributes & ~TIMESTAMP_TYPE_MASK;
}

export interface RecordBatchHeader {
  baseOffset: bigint;
  /** Bytes after this field: the whole batch is LOG_OVERHEAD + batchLength bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  /** The stored CRC-32C, unsigned. */
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * The header fields of the batch at `pos`, as stored: nothing is validated beyond the 61 bytes
 * being present (a DecodeError otherwise). Check `magic` before trusting the rest, or use
 * validateBatch.
 */
export function readBatchHeader(buf: Buffer, pos = 0): RecordBatchHeader {
  if (!Number.isInteger(pos) || pos < 0 || buf.length - pos < RECORD_BATCH_OVERHEAD) {
    throw new InvalidBatchError(InvalidBatchReason.Truncated, pos, `a batch header needs ${RECORD_BATCH_OVERHEAD} bytes, ${Math.max(0, buf.length - pos)} present`);
  }
  return {
    baseOffset: readInt64BE(buf, pos + BASE_OFFSET_OFFSET),
    batchLength: buf.readInt32BE(pos + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: readInt64BE(buf, pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64BE(buf, pos + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64BE(buf, pos + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(pos + RECORDS_COUNT_OFFSET),
  };
}

/** Writes every header field except the CRC (computed once the records are in place). */
export function writeBatchHeader(buf: Buffer, pos: number, h: Omit<RecordBatchHeader, 'crc' | 'magic'>): void {
  writeInt64BE(buf, h.baseOffset, pos + BASE_OFFSET_OFFSET);
  buf.writeInt32BE(h.batchLength, pos + BATCH_LENGTH_OFFSET);
  buf.writeInt32BE(h.partitionLeaderEpoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
  buf.writeInt8(CURRENT_MAGIC, pos + MAGIC_OFFSET);
  buf.writeInt16BE(h.attributes, pos + ATTRIBUTES_OFFSET);
  buf.writeInt32BE(h.lastOffsetDelta, pos + LAST_OFFSET_DELTA_OFFSET);
  writeInt64BE(buf, h.baseTimestamp, pos + BASE_TIMESTAMP_OFFSET);
  writeInt64BE(buf, h.maxTimestamp, pos + MAX_TIMESTAMP_OFFSET);
  writeInt64BE(buf, h.producerId, pos + PRODUCER_ID_OFFSET);
  buf.writeInt16BE(h.producerEpoch, pos + PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(h.baseSequence, pos + BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(h.recordCount, pos + RECORDS_COUNT_OFFSET);
}
