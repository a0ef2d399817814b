/**
 * The exact decompressed size of LZ4 blocks, read from their sequence headers without decoding.
 *
 * A block is a run of sequences: a token (4 bits literal length, 4 bits match length - 4), length
 * extension bytes (each 255 adds 255 and continues), the literals, a 2-byte offset and more
 * extension bytes; the last sequence stops after its literals. Summing the lengths costs one pass
 * over the compressed bytes that skips the literals, far less than decoding, and is only needed when
 * the cheap bound (block maximum times the number of blocks) is above the caller's limit: a 10 KB
 * batch that kafkajs-lz4 wrote with 4 MiB blocks must not be refused under a 1 MiB limit.
 */
import { corrupt } from './codec-errors.js';
import type { Lz4Frame } from './lz4-frame.js';

/**
 * The frame's exact output size, or, once the running total passes `limit`, the total so far
 * (which is then above `limit`). Throws a DecodeError for a block whose sequences do not fit it.
 */
export function lz4FrameOutputSize(data: Buffer, frame: Lz4Frame, limit: number): number {
  let total = 0;
  for (const block of frame.blocks) {
    total += block.compressed ? lz4BlockOutputSize(data, block.start, block.end, limit - total) : block.end - block.start;
    if (total > limit) return total;
  }
  return total;
}

/** The decoded size of the block in data[start, end); stops early once past `limit`. */
export function lz4BlockOutputSize(data: Buffer, start: number, end: number, limit: number): number {
  let p = start;
  let out = 0;
  for (;;) {
    if (p >= end) throw truncatedSequence(p);
    const token = data[p++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (p >= end) throw truncatedSequence(p);
        b = data[p++]!;
        literals += b;
      } while (b === 255);
    }
    p += literals;
    out += literals;
    if (p === end) return out; // the last sequence has literals only
    if (p + 2 > end) throw truncatedSequence(p);
    p += 2; // match offset: validated by the decoder, it does not change the size
    let match = (token & 15) + 4;
    if (match === 19) {
      let b: number;
      do {
        if (p >= end) throw truncatedSequence(p);
        b = data[p++]!;
        match += b;
      } while (b === 255);
    }
    out += match;
    if (out > limit) return out;
  }
}

function truncatedSequence(at: number): Error {
  return corrupt('lz4', `block ends inside a sequence at offset ${at}`);
}
