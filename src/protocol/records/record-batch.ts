/**
 * Full encode and decode of a v2 record batch with its records, for producers, consumers and the
 * few broker paths that must look inside a batch (compaction, transaction markers). The broker's
 * append path does not come here: see validate-batch.ts and batch-patch.ts.
 */
import { type CompressionType, compress, decompress } from '../compression/index.js';
import { Writer } from '../primitives/writer.js';
import { DecodeError, EncodeError } from '../samsa-error.js';
import { computeBatchCrc, completeBatchSizeAt } from './batch-frame.js';
import {
  type RecordBatchHeader,
  CRC_OFFSET,
  LOG_OVERHEAD,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  NO_TIMESTAMP,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  compressionOf,
  hasDeleteHorizonMs,
  isControlBatch,
  isTransactional,
  makeAttributes,
  readBatchHeader,
  timestampTypeOf,
  writeBatchHeader,
} from './batch-header.js';
import { InvalidBatchError, InvalidBatchReason } from './invalid-batch-error.js';
import { type KafkaRecord, type MeasuredRecords, type RecordFactory, type RecordInput, decodeRecordsWith, kafkaRecord, measureRecords, writeRecords } from './record.js';

export interface RecordBatchInput {
  /** Default 0: producers send 0 and the broker assigns the real offset. */
  baseOffset?: bigint;
  /** Default -1 (none): the broker stamps it on append. */
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  /** The codec's level (Kafka's `compression.<codec>.level`); its default when absent. */
  compressionLevel?: number;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControlBatch?: boolean;
  hasDeleteHorizonMs?: boolean;
  /** Default: the first record's timestamp, or -1 (no timestamp) when it has none. */
  baseTimestamp?: bigint;
  /** Default: the largest record timestamp, -1 for an empty batch. For LogAppendTime, the append time. */
  maxTimestamp?: bigint;
  /** Default: the last record's offsetDelta (0 for an empty batch; compaction keeps the original). */
  lastOffsetDelta?: number;
  /** Default -1 (not idempotent). */
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  records: readonly RecordInput[];
}

export interface DecodedRecordBatch<T = KafkaRecord> {
  header: RecordBatchHeader;
  sizeInBytes: number;
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControlBatch: boolean;
  hasDeleteHorizonMs: boolean;
  records: T[];
}

export interface DecodeRecordBatchOptions {
  /** The most bytes decompression may produce; beyond it the batch is refused (decompression-failed). */
  maxUncompressedBytes: number;
  /** Check the CRC before decoding (default true, as Kafka's consumers do with check.crcs). */
  verifyCrc?: boolean;
  /** Where the bytes given end (default the buffer's end). */
  end?: number;
}

const MAX_COMPRESSION_ID = 4;
/** Writer reserves up to 10 bytes for a varint; the slack keeps the last one from opening a new chunk. */
const WRITER_SLACK_BYTES = 10;

interface PlannedBatch {
  header: Omit<RecordBatchHeader, 'crc' | 'magic' | 'batchLength'>;
  measured: MeasuredRecords;
  compression: CompressionType;
}

function planBatch(input: RecordBatchInput): PlannedBatch {
  const records = input.records;
  const compression = input.compression ?? 0;
  if (!Number.isInteger(compression) || compression < 0 || compression > MAX_COMPRESSION_ID) throw new EncodeError(`unknown compression ${compression}`);
  const baseTimestamp = input.baseTimestamp ?? records[0]?.timestamp ?? NO_TIMESTAMP;
  checkInt64('baseTimestamp', baseTimestamp);
  const measured = measureRecords(records, baseTimestamp);
  const n = records.length;
  const header = {
    baseOffset: input.baseOffset ?? 0n,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
    attributes: makeAttributes({
      compression,
      timestampType: input.timestampType ?? TimestampType.CreateTime,
      isTransactional: input.isTransactional ?? false,
      isControlBatch: input.isControlBatch ?? false,
      hasDeleteHorizonMs: input.hasDeleteHorizonMs ?? false,
    }),
    lastOffsetDelta: input.lastOffsetDelta ?? (n === 0 ? 0 : measured.offsetDeltas[n - 1]!),
    baseTimestamp,
    maxTimestamp: input.maxTimestamp ?? (n === 0 ? NO_TIMESTAMP : baseTimestamp + BigInt(measured.maxTimestampDelta)),
    producerId: input.producerId ?? NO_PRODUCER_ID,
    producerEpoch: input.producerEpoch ?? NO_PRODUCER_EPOCH,
    baseSequence: input.baseSequence ?? NO_SEQUENCE,
    recordCount: n,
  };
  checkInt64('baseOffset', header.baseOffset);
  checkInt64('maxTimestamp', header.maxTimestamp);
  checkInt64('producerId', header.producerId);
  checkInt('partitionLeaderEpoch', header.partitionLeaderEpoch, 32);
  checkInt('lastOffsetDelta', header.lastOffsetDelta, 32);
  checkInt('producerEpoch', header.producerEpoch, 16);
  checkInt('baseSequence', header.baseSequence, 32);
  return { header, measured, compression };
}

/** Encodes an uncompressed batch synchronously, writing header and records into one buffer. */
export function encodeUncompressedRecordBatch(input: RecordBatchInput): Buffer {
  const plan = planBatch(input);
  if (plan.compression !== 0) throw new EncodeError('encodeUncompressedRecordBatch cannot compress: use encodeRecordBatch');
  const size = RECORD_BATCH_OVERHEAD + plan.measured.bytes;
  const w = new Writer(size + WRITER_SLACK_BYTES);
  w.reserve(RECORD_BATCH_OVERHEAD);
  writeRecords(w, input.records, plan.measured);
  return finishBatch(w.toBuffer(), size, plan);
}

/** Encodes a batch, compressing its records with the codec named by `compression`. */
export async function encodeRecordBatch(input: RecordBatchInput): Promise<Buffer> {
  if ((input.compression ?? 0) === 0) return encodeUncompressedRecordBatch(input);
  const plan = planBatch(input);
  const w = new Writer(plan.measured.bytes + WRITER_SLACK_BYTES);
  writeRecords(w, input.records, plan.measured);
  const compressed = await compress(plan.compression, w.toBuffer(), input.compressionLevel);
  const size = RECORD_BATCH_OVERHEAD + compressed.length;
  const buf = Buffer.allocUnsafe(size);
  buf.set(compressed, RECORD_BATCH_OVERHEAD);
  return finishBatch(buf, size, plan);
}

/** Fills in the header of a buffer whose records are in place, then the CRC over both. */
function finishBatch(buf: Buffer, size: number, plan: PlannedBatch): Buffer {
  if (buf.length !== size) throw new EncodeError(`batch measured as ${size} bytes came out as ${buf.length}`);
  if (size - LOG_OVERHEAD > 0x7fffffff) throw new EncodeError(`batch of ${size} bytes exceeds the int32 batchLength`);
  writeBatchHeader(buf, 0, { ...plan.header, batchLength: size - LOG_OVERHEAD });
  buf.writeUInt32BE(computeBatchCrc(buf, 0, size), CRC_OFFSET);
  return buf;
}

/**
 * Decodes the batch at `pos` and all its records. Bounded: the batch must be complete within
 * the bytes given, decompression stops at `maxUncompressedBytes`, and record counts and lengths
 * are checked against the bytes present. Every failure is an InvalidBatchError (a DecodeError).
 */
export function decodeRecordBatch(buf: Buffer, pos: number, options: DecodeRecordBatchOptions): Promise<DecodedRecordBatch> {
  return decodeRecordBatchWith(buf, pos, options, kafkaRecord);
}

/** decodeRecordBatch, each record made by `make` from its fields (see decodeRecordsWith). */
export async function decodeRecordBatchWith<T>(buf: Buffer, pos: number, options: DecodeRecordBatchOptions, make: RecordFactory<T>): Promise<DecodedRecordBatch<T>> {
  const size = completeBatchSizeAt(buf, pos, options.end ?? buf.length);
  const header = readBatchHeader(buf, pos);
  if (options.verifyCrc !== false) {
    const computed = computeBatchCrc(buf, pos, size);
    if (computed !== header.crc) throw new InvalidBatchError(InvalidBatchReason.CrcMismatch, pos, `stored crc ${header.crc}, computed ${computed}`);
  }
  const compression = compressionOf(header.attributes);
  if (compression > MAX_COMPRESSION_ID) throw new InvalidBatchError(InvalidBatchReason.UnknownCompression, pos, `compression id ${compression}`);
  if (header.recordCount < 0) throw new InvalidBatchError(InvalidBatchReason.InvalidRecordCount, pos, `negative record count ${header.recordCount}`);
  const timestampType = timestampTypeOf(header.attributes);
  const context = {
    baseOffset: header.baseOffset,
    baseTimestamp: header.baseTimestamp,
    logAppendTime: timestampType === TimestampType.LogAppendTime ? header.maxTimestamp : null,
    baseSequence: header.baseSequence,
  };
  // As in Kafka, an empty batch (compaction can leave one) has no records to read, compressed or not.
  let records: T[] = [];
  if (header.recordCount > 0) {
    const body = buf.subarray(pos + RECORD_BATCH_OVERHEAD, pos + size);
    const data = compression === 0 ? body : await decompressRecords(compression, body, options.maxUncompressedBytes, pos);
    try {
      records = decodeRecordsWith(data, 0, data.length, header.recordCount, context, make);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      throw new InvalidBatchError(InvalidBatchReason.InvalidRecords, pos, err.message, { cause: err });
    }
  }
  return {
    header,
    sizeInBytes: size,
    compression,
    timestampType,
    isTransactional: isTransactional(header.attributes),
    isControlBatch: isControlBatch(header.attributes),
    hasDeleteHorizonMs: hasDeleteHorizonMs(header.attributes),
    records,
  };
}

async function decompressRecords(compression: CompressionType, body: Buffer, maxBytes: number, pos: number): Promise<Buffer> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxUncompressedBytes must be a non-negative integer, not ${maxBytes}`);
  try {
    return await decompress(compression, body, maxBytes);
  } catch (err) {
    // Codecs are third-party code: whatever they throw becomes one error the broker can map.
    const detail = err instanceof Error ? err.message : String(err);
    throw new InvalidBatchError(InvalidBatchReason.DecompressionFailed, pos, detail, { cause: err });
  }
}

function checkInt64(name: string, v: bigint): void {
  if (BigInt.asIntN(64, v) !== v) throw new EncodeError(`${name} ${v} is not an int64`);
}

function checkInt(name: string, v: number, bits: 16 | 32): void {
  const limit = 2 ** (bits - 1);
  if (!Number.isInteger(v) || v < -limit || v >= limit) throw new EncodeError(`${name} ${v} is not an int${bits}`);
}
