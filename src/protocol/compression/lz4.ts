/**
 * LZ4 (Kafka compression type 3): the LZ4 frame format, with blocks compressed and frames decoded
 * by the `lz4-napi` addon (lz4_flex).
 *
 * Writes the frames Kafka's Java client writes, byte for byte in layout: header 04 22 4D 18 60 40
 * 82, independent blocks of at most 64 KiB (a block that does not shrink is stored, high bit set),
 * no checksums, no content size, end mark. lz4-napi's own frame writer would pick 256 KiB or 4 MiB
 * blocks, which Java accepts but which then makes every Java consumer allocate 4 MiB buffers.
 * Record batches carry their own CRC-32C over the compressed bytes, so LZ4 checksums add nothing.
 *
 * Reads any frame parseLz4Frame accepts, after bounding its output: first by the block headers
 * (block maximum per compressed block, exact size per stored block), and only when that bound is
 * above the limit by the exact size summed from the blocks' sequence headers.
 */
import { compress as compressBlockPrepended, decompressFrame } from 'lz4-napi';
import { mapLimited, splitBlocks } from './blocks.js';
import { corrupt, libraryDecodeFailure, libraryEncodeFailure, tooLarge } from './codec-errors.js';
import { lz4FrameOutputSize } from './lz4-block-size.js';
import { KAFKA_LZ4_BLOCK_BYTES, KAFKA_LZ4_FRAME_HEADER, LZ4_UNCOMPRESSED_BIT, parseLz4Frame } from './lz4-frame.js';
import { EncodeError } from '../samsa-error.js';

const END_MARK = Buffer.alloc(4);

interface EncodedBlock {
  bytes: Buffer;
  stored: boolean;
}

export async function lz4Compress(data: Buffer): Promise<Buffer> {
  let blocks: EncodedBlock[];
  try {
    blocks = await mapLimited(splitBlocks(data, KAFKA_LZ4_BLOCK_BYTES), encodeBlock);
  } catch (err) {
    throw libraryEncodeFailure('lz4', err);
  }
  let total = KAFKA_LZ4_FRAME_HEADER.length + END_MARK.length;
  for (const b of blocks) total += 4 + b.bytes.length;
  const out = Buffer.allocUnsafe(total);
  let pos = KAFKA_LZ4_FRAME_HEADER.copy(out, 0);
  for (const b of blocks) {
    out.writeUInt32LE((b.bytes.length | (b.stored ? LZ4_UNCOMPRESSED_BIT : 0)) >>> 0, pos);
    pos += 4 + b.bytes.copy(out, pos + 4);
  }
  END_MARK.copy(out, pos);
  return out;
}

/** One raw LZ4 block. lz4-napi's `compress` prefixes the block with its uncompressed size (u32 LE). */
async function encodeBlock(input: Buffer): Promise<EncodedBlock> {
  const prefixed = await compressBlockPrepended(input);
  if (prefixed.length < 4 || prefixed.readUInt32LE(0) !== input.length) {
    throw new EncodeError('lz4: unexpected block layout from lz4-napi (expected a u32 LE size prefix)');
  }
  const block = prefixed.subarray(4);
  return block.length < input.length ? { bytes: block, stored: false } : { bytes: input, stored: true };
}

export async function lz4Decompress(data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  const frame = parseLz4Frame(data);
  if (frame.contentSize !== undefined && frame.contentSize > maxOutputBytes) {
    throw tooLarge('lz4', frame.contentSize, maxOutputBytes);
  }
  if (frame.maxOutputBytes > maxOutputBytes) {
    const size = lz4FrameOutputSize(data, frame, maxOutputBytes);
    if (size > maxOutputBytes) throw tooLarge('lz4', size, maxOutputBytes, false);
  }
  let out: Buffer;
  try {
    out = await decompressFrame(data);
  } catch (err) {
    throw libraryDecodeFailure('lz4', err);
  }
  // Guaranteed by the bound above; checked because the limit is a promise to the caller.
  if (out.length > maxOutputBytes) throw corrupt('lz4', `decoder produced ${out.length} bytes, more than the frame allows`);
  return out;
}
