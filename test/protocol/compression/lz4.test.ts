/**
 * LZ4: frames from independent encoders (the lz4 reference CLI in the shapes librdkafka, Kafka's
 * Java client and kafkajs-lz4 write; lz4js in-test) decode; ours have the exact shape Kafka's Java
 * client writes and reads (Lz4BlockInputStream) and decode with lz4js; malformed frames are refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import lz4js from 'lz4js';
import xxh32 from 'lz4js/xxh32.js';
import { CompressionType, compress, decompress } from '../../../src/protocol/compression/index.js';
import { fixture, fixtureSource, recordPayload, rejectsDecode, seededBytes } from './helpers.js';

const lz4 = (data: Buffer, max: number): Promise<Buffer> => decompress(CompressionType.Lz4, data, max);

/** The header checksum byte: second byte of xxHash32 over the descriptor (FLG to before HC). */
function headerChecksum(frame: Buffer, descriptorEnd: number): number {
  return (xxh32.hash(0, frame, 4, descriptorEnd - 4) >>> 8) & 0xff;
}

/** A frame with a rewritten FLG/BD and a correct header checksum, so only the change is tested. */
function withDescriptor(frame: Buffer, flg: number, bd: number): Buffer {
  const f = Buffer.from(frame);
  f[4] = flg;
  f[5] = bd;
  f[6] = headerChecksum(f, 6);
  return f;
}

/** Splits a frame without checksums or content size into its block headers, independently of the code under test. */
function blockWords(frame: Buffer): number[] {
  const words: number[] = [];
  for (let pos = 7; ; ) {
    const w = frame.readUInt32LE(pos);
    words.push(w);
    pos += 4;
    if (w === 0) {
      assert.equal(pos, frame.length, 'nothing after the end mark');
      return words;
    }
    pos += w & 0x7fffffff;
  }
}

describe('lz4 reading', () => {
  const source = fixtureSource();
  const fixtures = [
    'lz4-librdkafka-64k-independent.lz4',
    'lz4-kafkajs-4m-content-checksum.lz4',
    'lz4-content-size.lz4',
    'lz4-block-checksums.lz4',
    'lz4-linked-blocks.lz4',
  ];
  for (const name of fixtures) {
    it(`decodes ${name} from the lz4 CLI`, async () => {
      assert.ok((await lz4(fixture(name), source.length)).equals(source));
      await rejectsDecode(lz4(fixture(name), source.length - 1), /exceeds maxOutputBytes/);
    });
  }

  it('decodes lz4js frames (linked-block flag, 4 MiB blocks, stored blocks for random data)', async () => {
    for (const input of [recordPayload(300_000), seededBytes(100_000, 5), Buffer.from('x')]) {
      assert.ok((await lz4(Buffer.from(lz4js.compress(input)), input.length)).equals(input));
    }
  });

  it('sizes a 4 MiB-block frame exactly from its sequences, so a small limit still admits it', async () => {
    // kafkajs-lz4 writes 4 MiB blocks: the block-header bound is 4 MiB, the content 70,000 bytes.
    const frame = fixture('lz4-kafkajs-4m-content-checksum.lz4');
    assert.equal((await lz4(frame, 70_000)).length, 70_000);
    await rejectsDecode(lz4(frame, 69_999), /at least \d+ bytes exceeds maxOutputBytes 69999/);
  });

  it('verifies the header, block and content checksums and the content size', async () => {
    const flip = (name: string, at: number): Buffer => {
      const f = Buffer.from(fixture(name));
      f[at < 0 ? f.length + at : at]! ^= 0x01;
      return f;
    };
    await rejectsDecode(lz4(flip('lz4-librdkafka-64k-independent.lz4', 6), 1 << 20), /HeaderChecksum/);
    await rejectsDecode(lz4(flip('lz4-block-checksums.lz4', 30), 1 << 20), /BlockChecksum/);
    await rejectsDecode(lz4(flip('lz4-kafkajs-4m-content-checksum.lz4', -2), 1 << 20), /ContentChecksum/);
    const sized = Buffer.from(fixture('lz4-content-size.lz4'));
    sized.writeBigUInt64LE(69_999n, 6);
    sized[14] = headerChecksum(sized, 14);
    await rejectsDecode(lz4(sized, 1 << 20), /ContentLength/);
    sized.writeBigUInt64LE(70_001n, 6);
    sized[14] = headerChecksum(sized, 14);
    await rejectsDecode(lz4(sized, 70_000), /output of 70001 bytes exceeds/);
  });

  it('refuses what Kafka clients refuse or cannot write', async () => {
    const good = fixture('lz4-librdkafka-64k-independent.lz4');
    const cases: [string, Buffer, RegExp][] = [
      ['dictionary id', withDescriptor(good, 0x61, 0x40), /dictionary/],
      ['reserved FLG bit', withDescriptor(good, 0x62, 0x40), /reserved FLG/],
      ['version 0', withDescriptor(good, 0x20, 0x40), /version 0/],
      ['block size id 3', withDescriptor(good, 0x60, 0x30), /size id 3/],
      ['reserved BD bit', withDescriptor(good, 0x60, 0x41), /reserved BD/],
      ['legacy magic', Buffer.concat([Buffer.from([0x02, 0x21, 0x4c, 0x18]), good.subarray(4)]), /legacy/],
      ['skippable frame', Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0]), good]), /skippable/],
      ['bytes after the frame', Buffer.concat([good, good]), /after the end of the frame/],
      ['missing end mark', good.subarray(0, good.length - 4), /truncated/],
      ['block past the end', good.subarray(0, 20), /truncated/],
    ];
    for (const [what, input, pattern] of cases) await rejectsDecode(lz4(input, 1 << 20), pattern, what);
  });

  it('refuses a block larger than the frame maximum', async () => {
    const f = Buffer.from(fixture('lz4-librdkafka-64k-independent.lz4'));
    f.writeUInt32LE(0x80000000 + 65537, 7); // a stored block of 64 KiB + 1 in a 64 KiB frame
    await rejectsDecode(lz4(f, 1 << 20), /exceeds the frame's 65536-byte maximum/);
  });
});

describe('lz4 writing', () => {
  it('writes the frame Kafka Java client writes: FLG 0x60, BD 0x40, HC 0x82, 64 KiB blocks, no checksums', async () => {
    const input = recordPayload(200_000);
    const frame = await compress(CompressionType.Lz4, input);
    assert.deepEqual([...frame.subarray(0, 7)], [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
    assert.equal(headerChecksum(frame, 6), 0x82);
    const words = blockWords(frame);
    assert.equal(words.length, 5, 'four blocks for 200,000 bytes, then the end mark');
    assert.ok(Buffer.from(lz4js.decompress(frame)).equals(input), 'lz4js decodes it');
  });

  it('stores incompressible blocks uncompressed (high bit set), as Java does', async () => {
    const input = seededBytes(100_000, 11);
    const frame = await compress(CompressionType.Lz4, input);
    const words = blockWords(frame);
    assert.deepEqual(words, [0x80000000 + 65536, 0x80000000 + (100_000 - 65536), 0]);
    assert.ok(Buffer.from(lz4js.decompress(frame)).equals(input));
  });

  it('writes just the header and end mark for empty input', async () => {
    const frame = await compress(CompressionType.Lz4, Buffer.alloc(0));
    assert.equal(frame.toString('hex'), '04224d1860408200000000');
  });
});
