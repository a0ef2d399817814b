import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { Writer } from '../../../src/protocol/primitives/writer.js';
import { DecodeError, EncodeError } from '../../../src/protocol/samsa-error.js';

function bytes(write: (w: Writer) => void): Buffer {
  const w = new Writer(4);
  write(w);
  return w.toBuffer();
}

describe('varints', () => {
  it('encodes unsigned varints as Kafka does', () => {
    assert.deepEqual(bytes((w) => w.writeUVarint(0)), Buffer.from([0]));
    assert.deepEqual(bytes((w) => w.writeUVarint(127)), Buffer.from([0x7f]));
    assert.deepEqual(bytes((w) => w.writeUVarint(128)), Buffer.from([0x80, 0x01]));
    assert.deepEqual(bytes((w) => w.writeUVarint(300)), Buffer.from([0xac, 0x02]));
    assert.deepEqual(bytes((w) => w.writeUVarint(0xffffffff)), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
  });

  it('zigzags signed varints and varlongs', () => {
    assert.deepEqual(bytes((w) => w.writeVarint(-1)), Buffer.from([0x01]));
    assert.deepEqual(bytes((w) => w.writeVarint(1)), Buffer.from([0x02]));
    assert.deepEqual(bytes((w) => w.writeVarint(-64)), Buffer.from([0x7f]));
    assert.deepEqual(bytes((w) => w.writeVarint(2147483647)), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]));
    assert.deepEqual(bytes((w) => w.writeVarlong(-1n)), Buffer.from([0x01]));
    assert.deepEqual(bytes((w) => w.writeVarlong(-(2n ** 63n))), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
  });

  it('round-trips edge values', () => {
    for (const v of [0, 1, -1, 63, -64, 64, 2147483647, -2147483648]) {
      assert.equal(new Reader(bytes((w) => w.writeVarint(v))).readVarint(), v);
    }
    for (const v of [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 1700000000000n]) {
      assert.equal(new Reader(bytes((w) => w.writeVarlong(v))).readVarlong(), v);
    }
  });

  it('rejects overlong and truncated varints with DecodeError', () => {
    assert.throws(() => new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).readUVarint(), DecodeError);
    assert.throws(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f])).readUVarint(), DecodeError);
    assert.throws(() => new Reader(Buffer.from([0x80])).readUVarint(), DecodeError);
    assert.throws(() => new Reader(Buffer.alloc(10, 0xff)).readVarlong(), DecodeError);
  });
});

describe('Reader bounds', () => {
  it('throws DecodeError, never RangeError, past the end', () => {
    const r = new Reader(Buffer.from([1, 2, 3]));
    assert.throws(() => r.readInt32(), DecodeError);
    assert.throws(() => r.readInt64(), DecodeError);
    assert.throws(() => r.readUuid(), DecodeError);
    assert.equal(r.readInt16(), 0x0102);
    assert.throws(() => r.readInt16(), DecodeError);
  });

  it('checks lengths against the bytes left before allocating', () => {
    const huge = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
    assert.throws(() => new Reader(huge).readBytes(false), /exceeds/);
    assert.throws(() => new Reader(huge).readArray(false, (r) => r.readInt8()), /exceeds/);
    assert.throws(() => new Reader(Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f])).readArray(true, (r) => r.readInt8()), /exceeds/);
    assert.throws(() => new Reader(Buffer.from([0xff, 0xfe])).readString(false), /negative/);
    assert.throws(() => new Reader(Buffer.from([0xff, 0xff])).readString(false), /null/);
    assert.equal(new Reader(Buffer.from([0xff, 0xff])).readNullableString(false), null);
    assert.equal(new Reader(Buffer.from([0])).readNullableString(true), null);
  });

  it('bounds a sub-reader to its slice', () => {
    const r = new Reader(Buffer.from([0, 0, 0, 1, 9, 9]));
    const sub = r.sub(4);
    assert.equal(sub.readInt32(), 1);
    assert.throws(() => sub.readInt8(), DecodeError);
    assert.equal(r.readInt8(), 9);
  });
});

describe('Writer', () => {
  it('keeps reserved slots valid across growth', () => {
    const w = new Writer(8);
    const slot = w.reserve(4);
    for (let i = 0; i < 1000; i++) w.writeInt32(i);
    slot.buf.writeInt32BE(w.length, slot.off);
    const out = w.toBuffer();
    assert.equal(out.length, 4004);
    assert.equal(out.readInt32BE(0), 4004);
    assert.equal(out.readInt32BE(4000), 999);
  });

  it('references large record sets instead of copying them', () => {
    const big = Buffer.alloc(100_000, 7);
    const w = new Writer(64);
    w.writeInt16(1);
    w.writeRecordsRef([big, big], true, true);
    w.writeInt16(2);
    const chunks = w.toChunks();
    assert.ok(chunks.some((c) => c === big), 'the record buffer itself is a chunk');
    const all = Buffer.concat(chunks);
    const r = new Reader(all);
    assert.equal(r.readInt16(), 1);
    assert.equal(r.readBytes(true).length, 200_000);
    assert.equal(r.readInt16(), 2);
  });

  it('refuses values a version cannot carry', () => {
    const w = new Writer();
    assert.throws(() => w.writeString(null, false), EncodeError);
    assert.throws(() => w.writeString('x'.repeat(40000), false), EncodeError);
    assert.throws(() => w.writeRecordsRef(null, false, false), EncodeError);
    assert.throws(() => w.writeUuid('not-a-uuid'), EncodeError);
  });

  it('writes strings by UTF-8 byte length', () => {
    const b = bytes((w) => w.writeString('héllo🙂', true));
    assert.equal(b[0], Buffer.byteLength('héllo🙂') + 1);
    assert.equal(new Reader(b).readString(true), 'héllo🙂');
  });
});
