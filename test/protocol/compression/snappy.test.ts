/**
 * snappy: reads raw snappy (librdkafka) and xerial framing (Kafka's Java client) made by snappyjs,
 * an independent implementation; writes xerial framing shaped like snappy-java's, which snappyjs
 * decodes block by block.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import snappyjs from 'snappyjs';
import { CompressionType, compress, decompress } from '../../../src/protocol/compression/index.js';
import { recordPayload, rejectsDecode, seededBytes } from './helpers.js';

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

function xerialHeader(version = 1, compatible = 1): Buffer {
  const h = Buffer.alloc(16);
  MAGIC.copy(h);
  h.writeInt32BE(version, 8);
  h.writeInt32BE(compatible, 12);
  return h;
}

/** A xerial stream as snappy-java writes it, blocks compressed by snappyjs. */
function xerialBySnappyjs(data: Buffer, blockSize: number): Buffer {
  const parts = [xerialHeader()];
  for (let at = 0; at < data.length; at += blockSize) {
    const block = snappyjs.compress(data.subarray(at, at + blockSize));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

/** Splits a xerial stream into its blocks, independently of the code under test. */
function parseXerial(stream: Buffer): Buffer[] {
  assert.ok(stream.subarray(0, 8).equals(MAGIC), 'xerial magic');
  assert.equal(stream.readInt32BE(8), 1, 'version');
  assert.equal(stream.readInt32BE(12), 1, 'compatible version');
  const blocks: Buffer[] = [];
  for (let pos = 16; pos < stream.length; ) {
    const n = stream.readInt32BE(pos);
    blocks.push(stream.subarray(pos + 4, pos + 4 + n));
    pos += 4 + n;
  }
  return blocks;
}

describe('snappy reading', () => {
  it('decodes raw snappy written by snappyjs', async () => {
    for (const input of [recordPayload(100_000), seededBytes(5000, 3), Buffer.from('a')]) {
      const out = await decompress(CompressionType.Snappy, snappyjs.compress(input), input.length);
      assert.ok(out.equals(input));
    }
  });

  it('decodes xerial framing with 32 KiB blocks (Kafka 2.x+) and 1 KiB blocks (older Java clients)', async () => {
    const input = recordPayload(200_000);
    for (const blockSize of [32 * 1024, 1024]) {
      const out = await decompress(CompressionType.Snappy, xerialBySnappyjs(input, blockSize), input.length);
      assert.ok(out.equals(input), `block size ${blockSize}`);
    }
  });

  it('decodes concatenated xerial streams and a bare header', async () => {
    const a = recordPayload(40_000);
    const b = seededBytes(3000, 9);
    const joined = Buffer.concat([xerialBySnappyjs(a, 32 * 1024), xerialBySnappyjs(b, 32 * 1024)]);
    assert.ok((await decompress(CompressionType.Snappy, joined, 43_000)).equals(Buffer.concat([a, b])));
    assert.equal((await decompress(CompressionType.Snappy, xerialHeader(), 0)).length, 0);
  });

  it('bounds xerial output by the sum of the block preambles', async () => {
    const stream = xerialBySnappyjs(recordPayload(100_000), 32 * 1024);
    await rejectsDecode(decompress(CompressionType.Snappy, stream, 99_999), /output of 100000 bytes exceeds/);
  });

  it('refuses a preamble no block of that size could produce', async () => {
    // 2^28 declared, then a 3-byte body: at most 64 bytes can come out of it.
    const bogus = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x01, 0x00, 0x61, 0x62]);
    await rejectsDecode(decompress(CompressionType.Snappy, bogus, 2 ** 30), /cannot hold/);
  });

  it('refuses malformed framing', async () => {
    const good = xerialBySnappyjs(recordPayload(1000), 32 * 1024);
    const cases: [string, Buffer][] = [
      ['version 0', Buffer.concat([xerialHeader(0), good.subarray(16)])],
      ['partial length', Buffer.concat([good, Buffer.from([0, 0])])],
      ['negative length', Buffer.concat([xerialHeader(), Buffer.from([0xff, 0xff, 0xff, 0xf0, 0])])],
      ['zero length', Buffer.concat([xerialHeader(), Buffer.alloc(4)])],
      ['block past the end', good.subarray(0, good.length - 1)],
      ['mismatched preamble', Buffer.from([10, 0x10, 0x61, 0x62, 0x63, 0x64, 0x65])],
    ];
    for (const [what, input] of cases) await rejectsDecode(decompress(CompressionType.Snappy, input, 1 << 20), undefined, what);
  });
});

describe('snappy writing', () => {
  it('writes snappy-java framing: version 1/1, 32 KiB blocks, each raw snappy that snappyjs decodes', async () => {
    const input = recordPayload(100_000);
    const blocks = parseXerial(await compress(CompressionType.Snappy, input));
    assert.equal(blocks.length, 4);
    const decoded = blocks.map((b) => snappyjs.uncompress(b));
    assert.deepEqual(
      decoded.map((d) => d.length),
      [32768, 32768, 32768, 100_000 - 3 * 32768],
    );
    assert.ok(Buffer.concat(decoded).equals(input));
  });

  it('writes one empty block for empty input, so librdkafka sees the framing (it needs more than 20 bytes)', async () => {
    const out = await compress(CompressionType.Snappy, Buffer.alloc(0));
    assert.ok(out.length > 20);
    const blocks = parseXerial(out);
    assert.equal(blocks.length, 1);
    assert.equal(snappyjs.uncompress(blocks[0]!).length, 0);
  });
});
