/**
 * Framing shared by iteration, validation and decoding: how many bytes the batch at a position
 * takes, and its CRC. Only the length and magic are read, so this is all the work a broker does
 * per batch before the CRC.
 */
import { crc32c } from '../primitives/crc32c.js';
import { ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, CURRENT_MAGIC, LOG_OVERHEAD, MAGIC_OFFSET, MIN_BATCH_LENGTH } from './batch-header.js';
import { InvalidBatchError, InvalidBatchReason } from './invalid-batch-error.js';

/** Returned by batchSizeAt when the bytes end before the batch does. */
export const TRUNCATED = -1;

/**
 * The size in bytes (LOG_OVERHEAD + batchLength) of the batch at `pos`, or TRUNCATED when the
 * bytes up to `end` stop before it ends. Throws InvalidBatchError for a magic other than 2 (as
 * soon as the magic byte is present) and for a batchLength no v2 batch can have.
 */
export function batchSizeAt(buf: Buffer, pos: number, end: number): number {
  const available = end - pos;
  if (available < LOG_OVERHEAD) return TRUNCATED;
  if (available > MAGIC_OFFSET) {
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic !== CURRENT_MAGIC) {
      throw new InvalidBatchError(InvalidBatchReason.UnsupportedMagic, pos, `magic ${magic}: only v2 record batches are supported`);
    }
  }
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new InvalidBatchError(InvalidBatchReason.InvalidBatchLength, pos, `batchLength ${batchLength} is below the ${MIN_BATCH_LENGTH} bytes of a v2 header`);
  }
  const size = LOG_OVERHEAD + batchLength;
  return size > available ? TRUNCATED : size;
}

/** CRC-32C of a complete batch as Kafka computes it: attributes through the last byte. */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size));
}

/** The size of the complete batch at `pos` (ending by `end`), or an InvalidBatchError. */
export function completeBatchSizeAt(buf: Buffer, pos: number, end: number): number {
  if (!Number.isInteger(pos) || pos < 0 || pos > end || end > buf.length) {
    throw new InvalidBatchError(InvalidBatchReason.Truncated, pos, `position outside the ${buf.length} bytes given`);
  }
  const size = batchSizeAt(buf, pos, end);
  if (size === TRUNCATED) {
    const declared = end - pos >= LOG_OVERHEAD ? `${LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET)} bytes` : 'a header';
    throw new InvalidBatchError(InvalidBatchReason.Truncated, pos, `the batch needs ${declared}, ${end - pos} present`);
  }
  return size;
}
