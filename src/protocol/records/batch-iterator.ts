/**
 * Walks the batches of a records field (a produce request's partition data, a fetch response's
 * records, a log segment) without decoding them.
 */
import { readBatchHeader, type RecordBatchHeader, BATCH_LENGTH_OFFSET, LOG_OVERHEAD } from './batch-header.js';
import { TRUNCATED, batchSizeAt } from './batch-frame.js';
import { InvalidBatchError, InvalidBatchReason } from './invalid-batch-error.js';

export interface CompleteBatchSpan {
  complete: true;
  /** Where the batch starts in the buffer. */
  position: number;
  /** Bytes the whole batch takes: LOG_OVERHEAD + batchLength. */
  sizeInBytes: number;
  header: RecordBatchHeader;
}

/**
 * The last entry when the bytes stop inside a batch. A fetch response may end this way (the broker
 * fills up to the size limit) and clients skip it; in a produce request it is an error.
 */
export interface TruncatedBatchSpan {
  complete: false;
  position: number;
  /** Bytes present from `position` to the end. */
  available: number;
  /** The declared size, when the length field is present. */
  sizeInBytes: number | null;
}

export type BatchSpan = CompleteBatchSpan | TruncatedBatchSpan;

/**
 * Yields each batch between `start` and `end`, then at most one truncated tail. Throws
 * InvalidBatchError (a DecodeError) for a magic other than 2 or an impossible batchLength, since
 * nothing after such a batch can be framed. The CRC is not checked here: see validateBatch.
 */
export function* iterateBatches(buf: Buffer, start = 0, end = buf.length): Generator<BatchSpan, void, undefined> {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > buf.length || start > end) {
    throw new InvalidBatchError(InvalidBatchReason.Truncated, start, `range ${start}..${end} is outside the ${buf.length} bytes given`);
  }
  let pos = start;
  while (pos < end) {
    const size = batchSizeAt(buf, pos, end);
    if (size === TRUNCATED) {
      const available = end - pos;
      const sizeInBytes = available >= LOG_OVERHEAD ? LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) : null;
      yield { complete: false, position: pos, available, sizeInBytes };
      return;
    }
    yield { complete: true, position: pos, sizeInBytes: size, header: readBatchHeader(buf, pos) };
    pos += size;
  }
}
