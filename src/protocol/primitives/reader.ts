import { DecodeError } from '../samsa-error.js';
import { readInt64BE } from './int64.js';

/**
 * A bounds-checked cursor over a Buffer, reading Kafka's primitive types.
 *
 * Every read checks the bytes it needs against `end` first and throws a DecodeError (never a
 * RangeError); lengths and counts are checked against the bytes that remain before anything is
 * allocated, so a hostile length can never make the reader allocate more than the frame holds.
 * Byte fields are returned as zero-copy views of the underlying buffer.
 */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    if (pos < 0 || end > buf.length || pos > end) throw new DecodeError(`invalid reader bounds ${pos}..${end} of ${buf.length}`);
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new DecodeError(`truncated: ${what} needs ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
    }
  }

  /** A reader over the next `n` bytes; this reader moves past them. */
  sub(n: number): Reader {
    this.need(n, 'sub-structure');
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  skip(n: number): void {
    this.need(n, 'skip');
    this.pos += n;
  }

  readInt8(): number {
    this.need(1, 'int8');
    // Sign-extended by hand: Buffer#readInt8 checks its argument again on every call.
    return (this.buf[this.pos++]! << 24) >> 24;
  }

  readUInt8(): number {
    this.need(1, 'uint8');
    return this.buf[this.pos++]!;
  }

  readBool(): boolean {
    this.need(1, 'bool');
    return this.buf[this.pos++] !== 0;
  }

  readInt16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  readUInt16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  readInt32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  readUInt32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  readInt64(): bigint {
    this.need(8, 'int64');
    const v = readInt64BE(this.buf, this.pos);
    this.pos += 8;
    return v;
  }

  readFloat64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A UUID as Kafka prints it: 22 characters of URL-safe base64 without padding. */
  readUuid(): string {
    this.need(16, 'uuid');
    const v = this.buf.toString('base64url', this.pos, this.pos + 16);
    this.pos += 16;
    return v;
  }

  /** Kafka's UNSIGNED_VARINT: at most 5 bytes, a value in 0..2^32-1. */
  readUVarint(): number {
    const buf = this.buf;
    // One byte (a value under 128) is the common case: record lengths and deltas, key and value sizes.
    if (this.pos < this.end && buf[this.pos]! < 0x80) return buf[this.pos++]!;
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new DecodeError(`truncated: varint at offset ${this.pos}`);
      const b = buf[this.pos++]!;
      value += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) {
        if (value > 0xffffffff) throw new DecodeError(`varint out of range at offset ${this.pos - 5}`);
        return value;
      }
      multiplier *= 128;
    }
    throw new DecodeError(`varint longer than 5 bytes at offset ${this.pos - 5}`);
  }

  /** Kafka's VARINT: zigzag-encoded signed 32-bit. */
  readVarint(): number {
    const u = this.readUVarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Kafka's VARLONG: zigzag-encoded signed 64-bit, at most 10 bytes. */
  readVarlong(): bigint {
    const buf = this.buf;
    let value = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new DecodeError(`truncated: varlong at offset ${this.pos}`);
      const b = buf[this.pos++]!;
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        value = BigInt.asUintN(64, value);
        return (value >> 1n) ^ -(value & 1n);
      }
      shift += 7n;
    }
    throw new DecodeError(`varlong longer than 10 bytes at offset ${this.pos - 10}`);
  }

  /** The next `n` bytes as a zero-copy view. */
  readRaw(n: number): Buffer {
    if (n < 0) throw new DecodeError(`negative length ${n} at offset ${this.pos}`);
    this.need(n, 'bytes');
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Length of a string, bytes or array: -1 for null, else checked against what remains. */
  private readLength(compact: boolean, wide: boolean, what: string): number {
    let n: number;
    if (compact) n = this.readUVarint() - 1;
    else n = wide ? this.readInt32() : this.readInt16();
    if (n < -1) throw new DecodeError(`negative ${what} length ${n} at offset ${this.pos}`);
    if (n > this.end - this.pos) throw new DecodeError(`${what} length ${n} exceeds the ${this.end - this.pos} bytes left at offset ${this.pos}`);
    return n;
  }

  readNullableString(compact: boolean): string | null {
    const n = this.readLength(compact, false, 'string');
    if (n < 0) return null;
    if (n > 0x7fff) throw new DecodeError(`string length ${n} exceeds 32767 at offset ${this.pos}`);
    const v = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  readString(compact: boolean): string {
    const v = this.readNullableString(compact);
    if (v === null) throw new DecodeError(`null for a non-nullable string at offset ${this.pos}`);
    return v;
  }

  readNullableBytes(compact: boolean): Buffer | null {
    const n = this.readLength(compact, true, 'bytes');
    if (n < 0) return null;
    return this.readRaw(n);
  }

  readBytes(compact: boolean): Buffer {
    const v = this.readNullableBytes(compact);
    if (v === null) throw new DecodeError(`null for non-nullable bytes at offset ${this.pos}`);
    return v;
  }

  readNullableArray<T>(compact: boolean, readElement: (r: Reader) => T): T[] | null {
    const n = this.readLength(compact, true, 'array');
    if (n < 0) return null;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = readElement(this);
    return out;
  }

  readArray<T>(compact: boolean, readElement: (r: Reader) => T): T[] {
    const v = this.readNullableArray(compact, readElement);
    if (v === null) throw new DecodeError(`null for a non-nullable array at offset ${this.pos}`);
    return v;
  }
}
