/**
 * snappy (Kafka compression type 2) via the `snappy` napi-rs addon (rust-snappy).
 *
 * Writes what Kafka's Java client writes: xerial framing with 32 KiB blocks. Every Kafka client
 * has to read that (it is what the reference producer emits), whereas raw snappy, which
 * librdkafka writes, relies on each reader's fallback. Reads both.
 *
 * The output is bounded exactly before anything is decompressed: each raw block states its
 * uncompressed length up front, and the decoder fails unless the block produces exactly that.
 */
import { compress as rawCompress, uncompress as rawUncompress } from 'snappy';
import { mapLimited, splitBlocks } from './blocks.js';
import { corrupt, libraryDecodeFailure, libraryEncodeFailure, tooLarge } from './codec-errors.js';
import { isXerial, snappyPreamble, writeXerial, xerialBlocks } from './snappy-xerial.js';

/** SnappyOutputStream's default block size, which Kafka's Java producer uses. */
export const XERIAL_BLOCK_BYTES = 32 * 1024;

export async function snappyCompress(data: Buffer): Promise<Buffer> {
  // An empty input still gets one (empty) block: librdkafka only recognises the xerial framing when
  // something follows the 16-byte header, and would misread a bare header as raw snappy.
  const inputs = data.length === 0 ? [data] : splitBlocks(data, XERIAL_BLOCK_BYTES);
  try {
    return writeXerial(await mapLimited(inputs, (b) => rawCompress(b)));
  } catch (err) {
    throw libraryEncodeFailure('snappy', err);
  }
}

export async function snappyDecompress(data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  const blocks = isXerial(data) ? xerialBlocks(data) : [data];
  const lengths = blocks.map((b) => snappyPreamble(b).length);
  let total = 0;
  for (const n of lengths) total += n;
  if (total > maxOutputBytes) throw tooLarge('snappy', total, maxOutputBytes);
  const outputs = await mapLimited(blocks, decodeBlock);
  // rust-snappy already fails a block whose output differs from its preamble; checked again here
  // because the bound above depends on it.
  outputs.forEach((out, i) => {
    if (out.length !== lengths[i]) throw corrupt('snappy', `block ${i} produced ${out.length} bytes, not the ${lengths[i]} declared`);
  });
  return outputs.length === 1 ? outputs[0]! : Buffer.concat(outputs, total);
}

async function decodeBlock(block: Buffer): Promise<Buffer> {
  let out: string | Buffer;
  try {
    out = await rawUncompress(block, { asBuffer: true });
  } catch (err) {
    throw libraryDecodeFailure('snappy', err);
  }
  if (!Buffer.isBuffer(out)) throw corrupt('snappy', 'decoder returned a string');
  return out;
}
