/**
 * Typed errors of the log layer, each with a stable string code (the broker switches on `code`:
 * SAMSA_OFFSET_OUT_OF_RANGE answers OFFSET_OUT_OF_RANGE, the rest KAFKA_STORAGE_ERROR).
 */
import { SamsaError } from '../protocol/samsa-error.js';

/** A read or lookup below the log start offset or beyond the log end offset. */
export class OffsetOutOfRangeError extends SamsaError {
  constructor(
    readonly offset: bigint,
    readonly logStartOffset: bigint,
    readonly logEndOffset: bigint,
    where: string,
  ) {
    super('SAMSA_OFFSET_OUT_OF_RANGE', `offset ${offset} is outside ${where} [${logStartOffset}, ${logEndOffset}]`);
  }
}

/**
 * A write, fsync or other I/O on the log failed: the log takes no more appends until it is
 * reopened (recovery then truncates whatever the failure left behind). Reads of what was
 * acknowledged still work. `cause` is the StorageIoError.
 */
export class LogOfflineError extends SamsaError {
  constructor(
    readonly log: string,
    options: { cause?: unknown },
  ) {
    const detail = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super('SAMSA_LOG_OFFLINE', `log ${log} is offline after an I/O error: ${detail}`, options);
  }
}

/** The log was closed or deleted. */
export class LogClosedError extends SamsaError {
  constructor(readonly log: string) {
    super('SAMSA_LOG_CLOSED', `log ${log} is closed`);
  }
}

/** An append arrived while truncateTo was rewinding the log end; the caller retries after it. */
export class LogTruncatingError extends SamsaError {
  constructor(readonly log: string) {
    super('SAMSA_LOG_TRUNCATING', `log ${log} is being truncated; append refused`);
  }
}

/** The bytes given to append are not whole v2 batches (the broker validates before appending). */
export class InvalidAppendError extends SamsaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SAMSA_INVALID_APPEND', message, options);
  }
}

/** Bytes inside the acknowledged part of a segment did not frame as batches when read back. */
export class CorruptSegmentError extends SamsaError {
  constructor(
    readonly path: string,
    readonly position: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('SAMSA_CORRUPT_SEGMENT', `${path} at ${position}: ${detail}`, options);
  }
}

/** An index file whose size or entries cannot be right; the segment rebuilds it from the log. */
export class CorruptIndexError extends SamsaError {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super('SAMSA_CORRUPT_INDEX', `${path}: ${detail}`);
  }
}
