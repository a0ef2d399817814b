/**
 * What a broker checks before appending a batch, without decoding its records (DESIGN.md
 * principle 1). The checks and their error codes follow Kafka's ProduceRequest.validateRecords,
 * UnifiedLog.analyzeAndValidateRecords, DefaultRecordBatch.ensureValid and LogValidator.validateBatch.
 */
import type { CompressionType } from '../compression/index.js';
import { TRUNCATED, batchSizeAt, computeBatchCrc, completeBatchSizeAt } from './batch-frame.js';
import { type RecordBatchHeader, RECORD_BATCH_OVERHEAD, compressionOf, isControlBatch, readBatchHeader } from './batch-header.js';
import { InvalidBatchError, InvalidBatchReason } from './invalid-batch-error.js';
import { MIN_RECORD_BYTES } from './record.js';

/** Kafka's AppendOrigin: who wrote the batch decides which rules apply. */
export type AppendOrigin = 'client' | 'coordinator' | 'replication';

export interface ValidateBatchOptions {
  /** Default 'client': a producer's batch gets Kafka's extra checks on offsets, count, control flag and sequence. */
  origin?: AppendOrigin;
  /** The largest batch accepted in bytes (the topic's max.message.bytes); larger is MESSAGE_TOO_LARGE. */
  maxBatchBytes?: number;
  /** Where the bytes given end (default the buffer's end); the batch must end by then. */
  end?: number;
}

export interface ValidatedBatch {
  header: RecordBatchHeader;
  position: number;
  /** Bytes the whole batch takes. */
  sizeInBytes: number;
  compression: CompressionType;
}

const MAX_COMPRESSION_ID = 4;

/**
 * Validates the batch at `pos` and returns its header, or throws InvalidBatchError (a DecodeError)
 * whose `errorCode` is the Kafka error to answer with (CORRUPT_MESSAGE, INVALID_RECORD,
 * MESSAGE_TOO_LARGE). Records are not decoded: a record-level defect inside a batch with a valid
 * CRC surfaces only when it is decoded.
 */
export function validateBatch(buf: Buffer, pos = 0, options: ValidateBatchOptions = {}): ValidatedBatch {
  return validateSizedBatch(buf, pos, completeBatchSizeAt(buf, pos, options.end ?? buf.length), options);
}

/** validateBatch for a complete batch of `size` bytes at `pos`. */
function validateSizedBatch(buf: Buffer, pos: number, size: number, options: ValidateBatchOptions): ValidatedBatch {
  if (options.maxBatchBytes !== undefined && size > options.maxBatchBytes) {
    throw new InvalidBatchError(InvalidBatchReason.BatchTooLarge, pos, `${size} bytes exceed the limit of ${options.maxBatchBytes}`);
  }
  const header = readBatchHeader(buf, pos);
  const computed = computeBatchCrc(buf, pos, size);
  if (computed !== header.crc) {
    throw new InvalidBatchError(InvalidBatchReason.CrcMismatch, pos, `stored crc ${header.crc}, computed ${computed}`);
  }
  const compression = compressionOf(header.attributes);
  if (compression > MAX_COMPRESSION_ID) {
    throw new InvalidBatchError(InvalidBatchReason.UnknownCompression, pos, `compression id ${compression}`);
  }
  checkRecordCount(header, pos, size, compression);
  if ((options.origin ?? 'client') === 'client') checkClientBatch(header, pos);
  return { header, position: pos, sizeInBytes: size, compression };
}

function checkRecordCount(h: RecordBatchHeader, pos: number, size: number, compression: CompressionType): void {
  if (h.recordCount < 0) {
    throw new InvalidBatchError(InvalidBatchReason.InvalidRecordCount, pos, `negative record count ${h.recordCount}`);
  }
  // Uncompressed records can be counted against the bytes; compressed ones only once decompressed.
  const recordBytes = size - RECORD_BATCH_OVERHEAD;
  if (compression === 0 && h.recordCount > recordBytes / MIN_RECORD_BYTES) {
    throw new InvalidBatchError(InvalidBatchReason.InvalidRecordCount, pos, `${h.recordCount} records cannot fit in ${recordBytes} bytes`);
  }
}

/** LogValidator.validateBatch for AppendOrigin.CLIENT, plus UnifiedLog's base-offset rule. */
function checkClientBatch(h: RecordBatchHeader, pos: number): void {
  if (h.baseOffset !== 0n) {
    throw new InvalidBatchError(InvalidBatchReason.InvalidOffsets, pos, `a producer's batch must have baseOffset 0, not ${h.baseOffset}`);
  }
  if (h.lastOffsetDelta < 0) {
    throw new InvalidBatchError(InvalidBatchReason.InvalidOffsets, pos, `invalid offset range [0, ${h.lastOffsetDelta}]`);
  }
  if (h.recordCount <= 0 || h.recordCount !== h.lastOffsetDelta + 1) {
    throw new InvalidBatchError(
      InvalidBatchReason.InvalidRecordCount,
      pos,
      `record count ${h.recordCount} does not match the offset range [0, ${h.lastOffsetDelta}]`,
    );
  }
  if (isControlBatch(h.attributes)) {
    throw new InvalidBatchError(InvalidBatchReason.ControlBatchFromClient, pos, 'clients may not write control batches');
  }
  if (h.producerId >= 0n && h.baseSequence < 0) {
    throw new InvalidBatchError(InvalidBatchReason.InvalidSequence, pos, `base sequence ${h.baseSequence} with producer id ${h.producerId}`);
  }
}

/**
 * The records field of one partition in a produce request (v3+): exactly one complete, valid
 * batch and nothing after it, as Kafka's ProduceRequest.validateRecords requires.
 */
export function validateProduceRecords(records: Buffer, options: Omit<ValidateBatchOptions, 'end'> = {}): ValidatedBatch {
  // Framed directly rather than with iterateBatches: this runs once per partition of every produce
  // request, and the iterator's generator and second header read were a measurable part of it.
  const end = records.length;
  if (end === 0) throw new InvalidBatchError(InvalidBatchReason.InvalidRecords, 0, 'no record batch');
  const size = batchSizeAt(records, 0, end);
  if (size === TRUNCATED) throw new InvalidBatchError(InvalidBatchReason.Truncated, 0, `${end} bytes of an incomplete batch`);
  const first = validateSizedBatch(records, 0, size, options);
  if (size < end) {
    if (batchSizeAt(records, size, end) === TRUNCATED) {
      throw new InvalidBatchError(InvalidBatchReason.Truncated, size, `${end - size} bytes of an incomplete batch`);
    }
    throw new InvalidBatchError(InvalidBatchReason.InvalidRecords, size, 'a produce request may carry exactly one batch per partition');
  }
  return first;
}
