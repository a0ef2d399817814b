import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { Writer } from '../../../src/protocol/primitives/writer.js';
import { readVarlongSafe, sizeOfVarint, sizeOfVarlongNumber } from '../../../src/protocol/records/varint-sizes.js';
import { DecodeError, EncodeError } from '../../../src/protocol/samsa-error.js';
import { SeededRandom } from './seeded-random.js';

function bytes(write: (w: Writer) => void): Buffer {
  const w = new Writer(4);
  write(w);
  return w.toBuffer();
}

const EDGE_LONGS = [0, 1, -1, 63, -64, 64, -65, 8191, 8192, 2 ** 31, -(2 ** 31) - 1, 2 ** 52, -(2 ** 52), 2 ** 53 - 1, -(2 ** 53 - 1), 1700000000000];

describe('varint sizes and number varlongs', () => {
  it('sizeOfVarint matches what Writer writes', () => {
    const rnd = new SeededRandom(11);
    const values = [0, 1, -1, 63, -64, 64, 8191, -8193, 2 ** 20, 2 ** 31 - 1, -(2 ** 31)];
    for (let i = 0; i < 500; i++) values.push((rnd.nextUint32() | 0) >> rnd.int(32));
    for (const v of values) assert.equal(sizeOfVarint(v), bytes((w) => w.writeVarint(v)).length, String(v));
  });

  it('writeVarlongNumber writes the bytes writeVarlong writes, and sizeOfVarlongNumber measures them', () => {
    const rnd = new SeededRandom(12);
    const values = [...EDGE_LONGS];
    for (let i = 0; i < 500; i++) values.push(Math.floor((rnd.nextUint32() / 2 ** 32 - 0.5) * 2 ** rnd.int(54)));
    for (const v of values) {
      const expected = bytes((w) => w.writeVarlong(BigInt(v)));
      assert.deepEqual(bytes((w) => w.writeVarlongNumber(v)), expected, String(v));
      assert.equal(sizeOfVarlongNumber(v), expected.length, String(v));
      assert.equal(readVarlongSafe(new Reader(expected)), v, String(v));
    }
    assert.throws(() => bytes((w) => w.writeVarlongNumber(2 ** 53)), EncodeError);
    assert.throws(() => bytes((w) => w.writeVarlongNumber(1.5)), EncodeError);
  });

  it('readVarlongSafe refuses values beyond 2^53 and truncated or overlong input', () => {
    for (const v of [2n ** 53n, -(2n ** 53n), 2n ** 62n, -(2n ** 63n)]) {
      assert.throws(() => readVarlongSafe(new Reader(bytes((w) => w.writeVarlong(v)))), DecodeError, String(v));
    }
    assert.throws(() => readVarlongSafe(new Reader(Buffer.from([0x80, 0x80]))), DecodeError);
    assert.throws(() => readVarlongSafe(new Reader(Buffer.alloc(11, 0x80))), DecodeError);
    const r = new Reader(Buffer.from([0x80, 0x80, 0x00, 0x05]));
    assert.equal(readVarlongSafe(r), 0, 'a zero-padded varlong is still a varlong');
    assert.equal(r.pos, 3);
  });

  it('writeUtf8 writes a measured string without a length', () => {
    for (const s of ['', 'abc', 'ключ', '🔑x', 'x'.repeat(65), 'trace-id\u007f']) {
      assert.deepEqual(bytes((w) => w.writeUtf8(s, Buffer.byteLength(s))), Buffer.from(s, 'utf8'));
    }
    assert.throws(() => bytes((w) => w.writeUtf8('ключ', 3)), EncodeError, 'a length that splits a character');
    assert.throws(() => bytes((w) => w.writeUtf8('ab\u00e9', 3)), EncodeError, 'a non-ASCII string measured as its UTF-16 length');
    assert.throws(() => bytes((w) => w.writeUtf8('ключ', 10)), EncodeError, 'a length beyond the string');
  });
});
