/**
 * Walks zstd frames (RFC 8878) without decompressing, to validate their structure and bound their
 * output before the decoder allocates anything.
 *
 *   frame:  magic 0xFD2FB528 (LE) | header descriptor | [window descriptor] | [dictionary id]
 *           | [content size] | blocks | [checksum u32]
 *   block:  u24 LE header (bit 0 last, bits 1-2 type, bits 3-23 size) | content
 *
 * Raw and RLE blocks state their regenerated size exactly; a compressed block regenerates at most
 * Block_Maximum_Size = min(window size, 128 KiB). The content size field is optional: Kafka's Java
 * client (zstd-jni's streaming ZstdOutputStream) omits it, one-shot compressors write it.
 * Skippable frames (magic 0x184D2A5?) are passed over, as streaming decoders do.
 */
import { ByteCursor } from './byte-cursor.js';
import { corrupt } from './codec-errors.js';

export const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
export const ZSTD_BLOCK_MAX_BYTES = 128 * 1024;
/**
 * The largest window accepted: zstd's default decoder limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 2^27),
 * which zstd-jni's streaming decoder in Kafka's Java client and librdkafka keep. Also keeps every
 * header within what the 32-bit wasm decoder can parse (window log 30).
 */
export const ZSTD_WINDOW_MAX_BYTES = 2 ** 27;
const DICT_ID_BYTES = [0, 1, 2, 4] as const;
const CONTENT_SIZE_BYTES = [0, 2, 4, 8] as const;

/** One zstd frame: where it is, what it declares, and the bounds its blocks give. */
export interface ZstdFrame {
  start: number;
  end: number;
  contentSize: number | undefined;
  /** Bytes the raw and RLE blocks regenerate, exactly. */
  exactBytes: number;
  /** Most bytes the frame can regenerate: exactBytes plus Block_Maximum_Size per compressed block. */
  maxBytes: number;
}

interface FrameHeader {
  windowBytes: number;
  contentSize: number | undefined;
  checksum: boolean;
}

/** The data frames in `data`, in order; throws a DecodeError for anything malformed. */
export function parseZstdFrames(data: Buffer): ZstdFrame[] {
  if (data.length === 0) throw corrupt('zstd', 'empty input has no frame');
  const c = new ByteCursor(data, 'zstd');
  const frames: ZstdFrame[] = [];
  while (c.remaining > 0) {
    const start = c.pos;
    const magic = c.u32le('frame magic');
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      c.skip(c.u32le('skippable frame size'), 'skippable frame');
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw corrupt('zstd', `bad frame magic 0x${magic.toString(16).padStart(8, '0')} at offset ${start}`);
    frames.push(readFrame(c, start));
  }
  return frames;
}

function readFrame(c: ByteCursor, start: number): ZstdFrame {
  const header = readFrameHeader(c);
  const blockMax = Math.min(header.windowBytes, ZSTD_BLOCK_MAX_BYTES);
  let exactBytes = 0;
  let compressedBlocks = 0;
  let last = false;
  while (!last) {
    const at = c.pos;
    const h = c.u24le('block header');
    last = (h & 1) === 1;
    const type = (h >>> 1) & 3;
    const size = h >>> 3;
    if (type === 3) throw corrupt('zstd', `reserved block type at offset ${at}`);
    if (size > blockMax) throw corrupt('zstd', `block of ${size} bytes at offset ${at} exceeds the frame's ${blockMax}-byte maximum`);
    if (type === 1) {
      c.skip(1, 'RLE block byte');
      exactBytes += size;
    } else {
      c.skip(size, 'block content');
      if (type === 0) exactBytes += size;
      else compressedBlocks++;
    }
  }
  if (header.checksum) c.skip(4, 'content checksum');
  const maxBytes = exactBytes + compressedBlocks * blockMax;
  return { start, end: c.pos, contentSize: header.contentSize, exactBytes, maxBytes };
}

function readFrameHeader(c: ByteCursor): FrameHeader {
  const fhd = c.u8('frame header descriptor');
  const singleSegment = (fhd & 0x20) !== 0;
  if ((fhd & 0x08) !== 0) throw corrupt('zstd', 'reserved frame header bit set');
  let windowBytes = 0;
  if (!singleSegment) {
    const wd = c.u8('window descriptor');
    const base = 2 ** (10 + (wd >>> 3));
    windowBytes = base + (base / 8) * (wd & 7);
    if (windowBytes > ZSTD_WINDOW_MAX_BYTES) {
      throw corrupt('zstd', `window of ${windowBytes} bytes is larger than the ${ZSTD_WINDOW_MAX_BYTES} Kafka clients accept`);
    }
  }
  const dictionaryId = c.uintle(DICT_ID_BYTES[fhd & 3]!, 'dictionary id');
  if (dictionaryId !== 0) throw corrupt('zstd', `frame needs dictionary ${dictionaryId}; Kafka does not use zstd dictionaries`);
  const fcsFlag = fhd >>> 6;
  const fcsBytes = fcsFlag === 0 && singleSegment ? 1 : CONTENT_SIZE_BYTES[fcsFlag]!;
  let contentSize: number | undefined;
  if (fcsBytes > 0) contentSize = c.uintle(fcsBytes, 'frame content size') + (fcsBytes === 2 ? 256 : 0);
  // A single-segment frame's window is its whole content.
  if (singleSegment) windowBytes = contentSize ?? 0;
  return { windowBytes, contentSize, checksum: (fhd & 0x04) !== 0 };
}
