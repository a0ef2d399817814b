/**
 * Why a record batch was refused, with the Kafka error code a broker answers with. It is a
 * DecodeError, so code that only cares whether bytes decode can catch DecodeError alone.
 */
import { ErrorCode } from '../error-codes.js';
import { DecodeError } from '../samsa-error.js';

/**
 * The reasons, each mapped to the error Kafka's broker returns for it:
 * CORRUPT_MESSAGE where Kafka throws CorruptRecordException (framing, CRC), INVALID_RECORD where
 * it throws InvalidRecordException (well-formed bytes that break a rule), MESSAGE_TOO_LARGE where
 * it throws RecordTooLargeException.
 */
export const InvalidBatchReason = {
  /** Fewer bytes than the header or the declared batchLength need. */
  Truncated: 'truncated',
  /** batchLength below the 49 bytes a v2 header occupies after the length field. */
  InvalidBatchLength: 'invalid-batch-length',
  /** A magic other than 2: message sets v0/v1 are not accepted (as in Kafka 4). */
  UnsupportedMagic: 'unsupported-magic',
  /** Larger than the caller's limit (Kafka's max.message.bytes). */
  BatchTooLarge: 'batch-too-large',
  /** The stored CRC-32C differs from the one computed over attributes..end. */
  CrcMismatch: 'crc-mismatch',
  /** A compression id outside 0..4. */
  UnknownCompression: 'unknown-compression',
  /** A negative count, a count the bytes cannot hold, or (from clients) not lastOffsetDelta + 1. */
  InvalidRecordCount: 'invalid-record-count',
  /** From clients: a base offset other than 0, or lastOffsetDelta < 0. */
  InvalidOffsets: 'invalid-offsets',
  /** From clients: a control batch (only the transaction coordinator writes those). */
  ControlBatchFromClient: 'control-batch-from-client',
  /** From clients: a producer id with a negative base sequence. */
  InvalidSequence: 'invalid-sequence',
  /** The records inside do not decode (record lengths, varints, header counts, trailing bytes). */
  InvalidRecords: 'invalid-records',
  /** The compressed records do not decompress, or decompress beyond the caller's limit. */
  DecompressionFailed: 'decompression-failed',
} as const;
export type InvalidBatchReason = (typeof InvalidBatchReason)[keyof typeof InvalidBatchReason];

const ERROR_CODE_BY_REASON: { readonly [R in InvalidBatchReason]: number } = {
  'truncated': ErrorCode.CORRUPT_MESSAGE,
  'invalid-batch-length': ErrorCode.CORRUPT_MESSAGE,
  'unsupported-magic': ErrorCode.INVALID_RECORD,
  'batch-too-large': ErrorCode.MESSAGE_TOO_LARGE,
  'crc-mismatch': ErrorCode.CORRUPT_MESSAGE,
  'unknown-compression': ErrorCode.INVALID_RECORD,
  'invalid-record-count': ErrorCode.INVALID_RECORD,
  'invalid-offsets': ErrorCode.INVALID_RECORD,
  'control-batch-from-client': ErrorCode.INVALID_RECORD,
  'invalid-sequence': ErrorCode.INVALID_RECORD,
  'invalid-records': ErrorCode.INVALID_RECORD,
  'decompression-failed': ErrorCode.CORRUPT_MESSAGE,
};

export class InvalidBatchError extends DecodeError {
  readonly reason: InvalidBatchReason;
  /** The Kafka error code for a produce response: CORRUPT_MESSAGE, INVALID_RECORD or MESSAGE_TOO_LARGE. */
  readonly errorCode: number;
  /** Where the batch starts in the buffer it was read from. */
  readonly position: number;

  constructor(reason: InvalidBatchReason, position: number, detail: string, options?: { cause?: unknown }) {
    super(`invalid record batch at ${position} (${reason}): ${detail}`, options);
    this.reason = reason;
    this.errorCode = ERROR_CODE_BY_REASON[reason];
    this.position = position;
  }
}
