/**
 * A bounds-checked little-endian cursor for walking LZ4 and zstd frame headers (both formats are
 * little-endian, unlike Kafka's own big-endian `Reader`). Every read checks what remains first and
 * fails with a DecodeError naming the codec, never a RangeError from Buffer.
 */
import type { CodecName } from './codec-errors.js';
import { corrupt } from './codec-errors.js';

export class ByteCursor {
  readonly buf: Buffer;
  readonly codec: CodecName;
  readonly end: number;
  pos: number;

  constructor(buf: Buffer, codec: CodecName, pos = 0, end = buf.length) {
    this.buf = buf;
    this.codec = codec;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw corrupt(this.codec, `truncated: ${what} needs ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
    }
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16le(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u24le(what: string): number {
    this.need(3, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 3;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
  }

  u32le(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** An unsigned 64-bit little-endian value as a number; values past 2^53 come back as Infinity. */
  u64le(what: string): number {
    const lo = this.u32le(what);
    const hi = this.u32le(what);
    return hi >= 0x200000 ? Infinity : hi * 2 ** 32 + lo;
  }

  /** An unsigned little-endian value of 0, 1, 2, 4 or 8 bytes. */
  uintle(size: 0 | 1 | 2 | 4 | 8, what: string): number {
    switch (size) {
      case 0:
        return 0;
      case 1:
        return this.u8(what);
      case 2:
        return this.u16le(what);
      case 4:
        return this.u32le(what);
      case 8:
        return this.u64le(what);
    }
  }
}
