/**
 * The snappy-java ("xerial") block framing that Kafka's Java client writes for snappy batches
 * (org.xerial.snappy.SnappyOutputStream):
 *
 *   magic   8 bytes  0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
 *   version int32 BE (1)     compatible version int32 BE (1)
 *   then any number of [int32 BE length][raw snappy block of that length]
 *
 * and the raw snappy length preamble (a varint of the uncompressed length) that starts every raw
 * block, which is what bounds the output before anything is decompressed.
 *
 * A raw snappy stream can never be mistaken for this framing: after its length preamble (0x82 0x53)
 * the magic would continue with 'N' (0x4E), a copy element, and no raw stream can start with a copy.
 */
import { corrupt } from './codec-errors.js';

export const XERIAL_MAGIC: Buffer = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const XERIAL_HEADER_BYTES = 16;
/** snappy-java's SnappyCodec.DEFAULT_VERSION and MINIMUM_COMPATIBLE_VERSION. */
const XERIAL_VERSION = 1;

/** The uncompressed length a raw snappy block declares, and how many bytes the declaration took. */
export interface SnappyPreamble {
  length: number;
  preambleBytes: number;
}

export function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_BYTES && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

/**
 * The raw snappy blocks of a xerial stream, as views. A second header in the middle (streams
 * concatenated, which snappy-java reads) is skipped. Unlike snappy-java, which stops silently at
 * 1-3 stray trailing bytes, a partial length is rejected.
 */
export function xerialBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (atHeader(data, pos)) {
      checkHeader(data, pos);
      pos += XERIAL_HEADER_BYTES;
      continue;
    }
    if (data.length - pos < 4) throw corrupt('snappy', `truncated xerial block length at offset ${pos}`);
    const length = data.readInt32BE(pos);
    pos += 4;
    if (length <= 0) throw corrupt('snappy', `invalid xerial block length ${length} at offset ${pos - 4}`);
    if (length > data.length - pos) {
      throw corrupt('snappy', `xerial block of ${length} bytes at offset ${pos - 4} runs past the ${data.length - pos} bytes left`);
    }
    blocks.push(data.subarray(pos, pos + length));
    pos += length;
  }
  return blocks;
}

function atHeader(data: Buffer, pos: number): boolean {
  return data.length - pos >= 8 && data.compare(XERIAL_MAGIC, 0, 8, pos, pos + 8) === 0;
}

function checkHeader(data: Buffer, pos: number): void {
  if (data.length - pos < XERIAL_HEADER_BYTES) throw corrupt('snappy', `truncated xerial header at offset ${pos}`);
  // snappy-java refuses streams older than its minimum compatible version; so do we.
  const version = data.readInt32BE(pos + 8);
  if (version < XERIAL_VERSION) throw corrupt('snappy', `unsupported xerial stream version ${version}`);
}

/** A xerial stream: the header, then each compressed block behind its length. */
export function writeXerial(blocks: readonly Buffer[]): Buffer {
  let total = XERIAL_HEADER_BYTES;
  for (const b of blocks) total += 4 + b.length;
  const out = Buffer.allocUnsafe(total);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(XERIAL_VERSION, 8);
  out.writeInt32BE(XERIAL_VERSION, 12);
  let pos = XERIAL_HEADER_BYTES;
  for (const b of blocks) {
    out.writeInt32BE(b.length, pos);
    b.copy(out, pos + 4);
    pos += 4 + b.length;
  }
  return out;
}

/**
 * Reads a raw snappy block's length preamble and checks it is possible: the densest snappy element
 * (a 3-byte copy) yields 64 bytes, so a block can expand at most 64/3 times. A larger claim is
 * corrupt, and rejecting it here stops a few hostile bytes from making the decoder allocate.
 */
export function snappyPreamble(block: Buffer): SnappyPreamble {
  let length = 0;
  let multiplier = 1;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i]!;
    length += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) {
      const preambleBytes = i + 1;
      if (length > 0xffffffff) throw corrupt('snappy', `length preamble ${length} is out of range`);
      if (length > Math.ceil(((block.length - preambleBytes) * 64) / 3)) {
        throw corrupt('snappy', `block of ${block.length} bytes cannot hold the ${length} bytes its preamble declares`);
      }
      return { length, preambleBytes };
    }
    multiplier *= 128;
  }
  throw corrupt('snappy', 'truncated or overlong length preamble');
}
