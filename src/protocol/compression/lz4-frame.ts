/**
 * The LZ4 frame format (lz4_Frame_format.md, magic 0x184D2204) as Kafka uses it: one frame per
 * record batch. This module walks a frame's header and block headers without decompressing, to
 * validate its structure and bound its output, and builds the header Kafka's Java client writes.
 *
 *   magic u32 | FLG | BD | [content size u64] | HC | blocks: [u32 size][data][block checksum u32]...
 *   | end mark u32 0 | [content checksum u32]      (all little-endian)
 *
 * Accepted: what Kafka's Java client, librdkafka and kafkajs-lz4 write, plus linked blocks (lz4js
 * writes those). Rejected: dictionary ids and reserved bits (Java rejects them too), the legacy
 * and skippable frame formats, and bytes after the frame (librdkafka rejects those too).
 */
import { ByteCursor } from './byte-cursor.js';
import { corrupt } from './codec-errors.js';

export const LZ4_MAGIC = 0x184d2204;
const LZ4_LEGACY_MAGIC = 0x184c2102;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** The high bit of a block size marks a block stored uncompressed. */
export const LZ4_UNCOMPRESSED_BIT = 0x80000000;

/**
 * The frame header Kafka's Java client (Lz4BlockOutputStream) and librdkafka write: FLG 0x60
 * (version 1, independent blocks, no checksums, no content size), BD 0x40 (64 KiB blocks), and the
 * header checksum (xxHash32 of FLG and BD, second byte) 0x82.
 */
export const KAFKA_LZ4_FRAME_HEADER: Buffer = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
export const KAFKA_LZ4_BLOCK_BYTES = 64 * 1024;

/** One data block: where its bytes are and whether they are LZ4-compressed or stored. */
export interface Lz4Block {
  start: number;
  end: number;
  compressed: boolean;
}

export interface Lz4Frame {
  /** Largest decompressed size of one block, from BD. */
  blockMaxBytes: number;
  /** The content size the header declares, if it does. */
  contentSize: number | undefined;
  blocks: Lz4Block[];
  /** Most bytes the frame can decompress to: stored blocks exactly, compressed ones at their maximum. */
  maxOutputBytes: number;
}

interface Lz4Header {
  blockMaxBytes: number;
  contentSize: number | undefined;
  blockChecksums: boolean;
  contentChecksum: boolean;
}

/** Walks the whole frame; throws a DecodeError for anything malformed or unsupported. */
export function parseLz4Frame(data: Buffer): Lz4Frame {
  const c = new ByteCursor(data, 'lz4');
  const header = readHeader(c);
  const blocks: Lz4Block[] = [];
  let maxOutputBytes = 0;
  for (;;) {
    const word = c.u32le('block size');
    if (word === 0) break; // end mark
    const size = (word & ~LZ4_UNCOMPRESSED_BIT) >>> 0;
    const compressed = (word & LZ4_UNCOMPRESSED_BIT) === 0;
    if (size > header.blockMaxBytes) {
      throw corrupt('lz4', `block of ${size} bytes at offset ${c.pos - 4} exceeds the frame's ${header.blockMaxBytes}-byte maximum`);
    }
    const start = c.pos;
    c.skip(size, 'block data');
    if (header.blockChecksums) c.skip(4, 'block checksum');
    blocks.push({ start, end: start + size, compressed });
    maxOutputBytes += compressed ? header.blockMaxBytes : size;
  }
  if (header.contentChecksum) c.skip(4, 'content checksum');
  if (c.remaining !== 0) throw corrupt('lz4', `${c.remaining} bytes after the end of the frame`);
  return { blockMaxBytes: header.blockMaxBytes, contentSize: header.contentSize, blocks, maxOutputBytes };
}

function readHeader(c: ByteCursor): Lz4Header {
  const magic = c.u32le('frame magic');
  if (magic !== LZ4_MAGIC) throw corrupt('lz4', describeMagic(magic));
  const flg = c.u8('FLG');
  const bd = c.u8('BD');
  if (flg >>> 6 !== 1) throw corrupt('lz4', `unsupported frame version ${flg >>> 6}`);
  if ((flg & 0x02) !== 0) throw corrupt('lz4', 'reserved FLG bit set');
  // Kafka's Java client treats this bit as reserved and rejects it; a dictionary would be needed anyway.
  if ((flg & 0x01) !== 0) throw corrupt('lz4', 'frames with a dictionary id are not supported');
  if ((bd & 0x8f) !== 0) throw corrupt('lz4', 'reserved BD bits set');
  const sizeId = (bd >>> 4) & 7;
  if (sizeId < 4) throw corrupt('lz4', `invalid block maximum size id ${sizeId}`);
  const contentSize = (flg & 0x08) !== 0 ? c.u64le('content size') : undefined;
  // The header checksum byte is verified by the decoder (lz4_flex) before any block is decoded.
  c.skip(1, 'header checksum');
  return {
    blockMaxBytes: 1 << (2 * sizeId + 8),
    contentSize,
    blockChecksums: (flg & 0x10) !== 0,
    contentChecksum: (flg & 0x04) !== 0,
  };
}

function describeMagic(magic: number): string {
  if (magic === LZ4_LEGACY_MAGIC) return 'the legacy LZ4 format is not supported (Kafka uses the frame format)';
  if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) return 'skippable frames are not supported (Kafka writes a single LZ4 frame)';
  return `bad frame magic 0x${magic.toString(16).padStart(8, '0')}`;
}
