/**
 * Decompression bombs: 64 MiB of zeros in every codec and framing, refused under a 1 MiB limit
 * quickly and without the process's peak memory growing anywhere near 64 MiB.
 *
 * The bombs are built small (repeated compressed blocks, hand-made zstd and snappy streams), never
 * by compressing 64 MiB, so the peak resident set size before each call reflects only this test and
 * a decoder that materialised the output would show up in it. Each construction is first checked
 * at a small size, to be sure the bomb is a valid stream and not refused merely as corrupt.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { before, describe, it } from 'node:test';
import { createGzip } from 'node:zlib';
import lz4js from 'lz4js';
import xxh32 from 'lz4js/xxh32.js';
import snappyjs from 'snappyjs';
import { CompressionType, compress, decompress } from '../../../src/protocol/compression/index.js';
import { fixture, rejectsDecode } from './helpers.js';

const MiB = 1024 * 1024;
const BOMB_BYTES = 64 * MiB;
const LIMIT = 1 * MiB;

/** gzip of `n` zero bytes, streamed from one reused 1 MiB buffer. */
async function gzipZeros(n: number): Promise<Buffer> {
  const gz = createGzip({ level: 1 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const zeros = Buffer.alloc(Math.min(n, MiB));
  for (let left = n; left > 0; left -= zeros.length) gz.write(zeros.subarray(0, Math.min(left, zeros.length)));
  gz.end();
  await once(gz, 'end');
  return Buffer.concat(out);
}

/** Raw snappy of `n` zeros by hand: a 1-byte literal, then 64-byte copies at offset 1. */
function snappyZerosRaw(n: number): Buffer {
  const preamble: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      preamble.push(v);
      break;
    }
    preamble.push((v % 128) | 0x80);
  }
  const copies: number[] = [];
  for (let left = n - 1; left > 0; left -= Math.min(left, 64)) copies.push(Math.min(left, 64));
  const out = Buffer.alloc(preamble.length + 2 + copies.length * 3);
  Buffer.from(preamble).copy(out);
  let p = preamble.length + 2; // literal tag 0x00 (length 1) and the zero byte itself
  for (const len of copies) {
    out[p] = ((len - 1) << 2) | 2; // copy with a 2-byte offset
    out.writeUInt16LE(1, p + 1);
    p += 3;
  }
  return out;
}

/** Xerial framing of `n` zeros: one snappyjs block of 32 KiB zeros, repeated. */
function xerialZeros(n: number): Buffer {
  const block = snappyjs.compress(Buffer.alloc(32 * 1024));
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  const len = Buffer.alloc(4);
  len.writeInt32BE(block.length);
  return Buffer.concat([header, ...Array<Buffer[]>(n / (32 * 1024)).fill([len, block]).flat()]);
}

/** An LZ4 frame of `blocks` copies of one lz4js-compressed block of `blockBytes` zeros; BD from the block size. */
function lz4Zeros(blocks: number, blockBytes: number, bd: number): Buffer {
  const single = Buffer.from(lz4js.compress(Buffer.alloc(blockBytes)));
  const word = single.readUInt32LE(7);
  assert.equal(word & 0x80000000, 0, 'compressed block');
  const block = single.subarray(7, 11 + word);
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, bd, 0]);
  header[6] = (xxh32.hash(0, header, 4, 2) >>> 8) & 0xff;
  return Buffer.concat([header, ...Array<Buffer>(blocks).fill(block), Buffer.alloc(4)]);
}

/** A zstd frame declaring `n` bytes (single segment, 4-byte content size) made of 128 KiB RLE blocks of zeros. */
function zstdZerosDeclared(n: number): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt32LE(0xfd2fb528, 0);
  head[4] = (2 << 6) | 0x20;
  head.writeUInt32LE(n, 5);
  const blocks: Buffer[] = [];
  for (let left = n; left > 0; left -= 128 * 1024) {
    const size = Math.min(left, 128 * 1024);
    const b = Buffer.alloc(4);
    b.writeUIntLE((size << 3) | (1 << 1) | (left === size ? 1 : 0), 0, 3);
    blocks.push(b);
  }
  return Buffer.concat([head, ...blocks]);
}

const zeros = (n: number): Buffer => Buffer.alloc(n);

describe('decompression bombs', () => {
  const bombs: [string, CompressionType, Buffer][] = [];

  before(async () => {
    // Each construction is valid: it decodes to zeros at a small size.
    assert.ok((await decompress(CompressionType.Gzip, await gzipZeros(300_000), 300_000)).equals(zeros(300_000)));
    assert.ok((await decompress(CompressionType.Snappy, snappyZerosRaw(300_000), 300_000)).equals(zeros(300_000)));
    assert.ok((await decompress(CompressionType.Snappy, xerialZeros(128 * 1024), 128 * 1024)).equals(zeros(128 * 1024)));
    assert.ok((await decompress(CompressionType.Lz4, lz4Zeros(3, 64 * 1024, 0x40), 3 * 65536)).equals(zeros(3 * 65536)));
    assert.ok((await decompress(CompressionType.Lz4, lz4Zeros(1, 4 * MiB, 0x70), 4 * MiB)).equals(zeros(4 * MiB)));
    assert.ok((await decompress(CompressionType.Zstd, zstdZerosDeclared(300_000), 300_000)).equals(zeros(300_000)));
    // Warm the zstd wasm module so its first heap does not count against a bomb.
    await decompress(CompressionType.Zstd, await compress(CompressionType.Zstd, zeros(10)), 10);

    bombs.push(
      ['gzip', CompressionType.Gzip, await gzipZeros(BOMB_BYTES)],
      ['raw snappy', CompressionType.Snappy, snappyZerosRaw(BOMB_BYTES)],
      ['xerial snappy', CompressionType.Snappy, xerialZeros(BOMB_BYTES)],
      ['lz4, 64 KiB blocks', CompressionType.Lz4, lz4Zeros(1024, 64 * 1024, 0x40)],
      ['lz4, 4 MiB blocks', CompressionType.Lz4, lz4Zeros(16, 4 * MiB, 0x70)],
      ['zstd, declared content size', CompressionType.Zstd, zstdZerosDeclared(BOMB_BYTES)],
      ['zstd, no content size, RLE blocks', CompressionType.Zstd, fixture('zstd-bomb-64mib-zeros.zst')],
      ['zstd, no content size, compressed blocks', CompressionType.Zstd, fixture('zstd-bomb-64mib-pattern.zst')],
    );
  });

  it('refuses every bomb under a 1 MiB limit within 500 ms and 24 MiB of peak memory', async () => {
    assert.equal(bombs.length, 8);
    for (const [name, type, bomb] of bombs) {
      assert.ok(bomb.length < 4 * MiB, `${name}: the bomb itself is small (${bomb.length} bytes)`);
      const peakBefore = process.resourceUsage().maxRSS; // kilobytes
      const t0 = performance.now();
      await rejectsDecode(decompress(type, bomb, LIMIT), /exceeds maxOutputBytes 1048576/, name);
      const ms = performance.now() - t0;
      const grewKiB = process.resourceUsage().maxRSS - peakBefore;
      assert.ok(ms < 500, `${name}: took ${ms.toFixed(0)} ms`);
      assert.ok(grewKiB < 24 * 1024, `${name}: peak memory grew by ${grewKiB} KiB`);
    }
  });
});
