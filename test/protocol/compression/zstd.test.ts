/**
 * zstd: frames from the reference CLI decode, with and without a content size (Kafka's Java client
 * omits it), several frames and skippable frames; the limit holds exactly in both cases; frames
 * Kafka clients would refuse are refused before the decoder sees them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionType, compress, decompress } from '../../../src/protocol/compression/index.js';
import { fixture, fixtureSource, recordPayload, rejectsDecode } from './helpers.js';

const zstd = (data: Buffer, max: number): Promise<Buffer> => decompress(CompressionType.Zstd, data, max);

/** A skippable frame (magic 0x184D2A50..5F) carrying `payload`. */
function skippable(payload: Buffer, nibble = 0): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(0x184d2a50 + nibble, 0);
  h.writeUInt32LE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

describe('zstd reading', () => {
  const source = fixtureSource();

  it('decodes a frame without a content size (zstd-jni streaming, as Kafka Java writes)', async () => {
    const frame = fixture('zstd-no-content-size.zst');
    assert.equal(frame[4]! >>> 6, 0, 'no content size field');
    assert.ok((await zstd(frame, source.length)).equals(source));
    await rejectsDecode(zstd(frame, source.length - 1), /at least 70000 bytes exceeds maxOutputBytes 69999/);
  });

  it('decodes a frame with a content size and checksum, refusing a smaller limit from the header alone', async () => {
    const frame = fixture('zstd-content-size-checksum.zst');
    assert.ok((await zstd(frame, source.length)).equals(source));
    await rejectsDecode(zstd(frame, source.length - 1), /output of 70000 bytes exceeds maxOutputBytes 69999/);
  });

  it('decodes several frames and skips skippable frames anywhere', async () => {
    const two = fixture('zstd-two-frames.zst');
    assert.ok((await zstd(two, source.length)).equals(source));
    await rejectsDecode(zstd(two, source.length - 1), /exceeds maxOutputBytes/);
    const framed = Buffer.concat([skippable(Buffer.from('meta')), two, skippable(Buffer.alloc(0), 0xf)]);
    assert.ok((await zstd(framed, source.length)).equals(source));
  });

  it('detects corruption through the content checksum', async () => {
    const f = Buffer.from(fixture('zstd-content-size-checksum.zst'));
    f[f.length - 1]! ^= 0x01;
    await rejectsDecode(zstd(f, 1 << 20), /libzstd error 22 checksum_wrong/);
  });

  it('refuses a declared content size the blocks cannot produce, before decoding', async () => {
    const f = Buffer.from(await compress(CompressionType.Zstd, Buffer.from('hello')));
    assert.equal(f[4], 0x20, 'single segment, 1-byte content size');
    f[5] = 6; // declares 6 bytes; the frame holds one 5-byte raw block
    await rejectsDecode(zstd(f, 100), /does not fit the frame's blocks/);
  });

  it('refuses frames Kafka clients would refuse or that need what Kafka never uses', async () => {
    const good = fixture('zstd-no-content-size.zst');
    const [fhd, wd] = [good[4]!, good[5]!];
    const at = (fhdByte: number, rest: Buffer): Buffer => Buffer.concat([good.subarray(0, 4), Buffer.from([fhdByte]), rest]);
    const cases: [string, Buffer, RegExp][] = [
      ['dictionary id', at(fhd | 0x01, Buffer.concat([Buffer.from([wd, 7]), good.subarray(6)])), /needs dictionary 7/],
      ['reserved bit', at(fhd | 0x08, good.subarray(5)), /reserved frame header bit/],
      ['window 2^28', at(fhd, Buffer.concat([Buffer.from([(28 - 10) << 3]), good.subarray(6)])), /window of 268435456 bytes/],
      ['reserved block type', blockType3(good), /reserved block type/],
      ['trailing garbage', Buffer.concat([good, Buffer.from('junk')]), /bad frame magic/],
      ['truncated', good.subarray(0, good.length - 10), /truncated/],
      ['not zstd', Buffer.from('definitely not a zstd frame'), /bad frame magic/],
    ];
    for (const [what, input, pattern] of cases) await rejectsDecode(zstd(input, 1 << 20), pattern, what);
  });
});

/** The fixture with its first block's type changed to the reserved value 3. */
function blockType3(frame: Buffer): Buffer {
  const f = Buffer.from(frame);
  f[6] = f[6]! | 0x06; // first block header starts after magic, FHD and window descriptor
  return f;
}

describe('zstd writing', () => {
  it('writes one frame with a content size, no dictionary and no checksum', async () => {
    const input = recordPayload(200_000);
    const frame = await compress(CompressionType.Zstd, input);
    assert.equal(frame.readUInt32LE(0), 0xfd2fb528);
    const fhd = frame[4]!;
    assert.notEqual(fhd >>> 6, 0, 'content size present');
    assert.equal(fhd & 0x03, 0, 'no dictionary id');
    assert.equal(fhd & 0x04, 0, 'no checksum');
    assert.ok((await zstd(frame, input.length)).equals(input));
  });
});
