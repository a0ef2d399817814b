import { EncodeError } from '../samsa-error.js';
import { writeInt64BE } from './int64.js';

/** A position reserved in a Writer, to be filled once the value is known (a length, a CRC). */
export interface Slot {
  readonly buf: Buffer;
  readonly off: number;
}

/** Byte arrays at least this long are referenced, not copied, by `writeRecordsRef`. */
const ZERO_COPY_MIN_BYTES = 4096;
const MAX_CHUNK_BYTES = 1 << 20;

/**
 * A growable writer of Kafka's primitive types.
 *
 * It writes into chunks and never copies what it has written when it grows: a full chunk is
 * sealed and a new one started, so reserved slots stay valid. Large record sets can be appended
 * by reference (`writeRecordsRef`), which lets a fetch response go to the socket as a list of
 * buffers (`toChunks`) without copying the log's bytes.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  private start = 0;
  private readonly chunks: Buffer[] = [];
  private sealedBytes = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.sealedBytes + this.pos - this.start;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.seal();
    const size = Math.max(n, Math.min(this.buf.length * 2, MAX_CHUNK_BYTES));
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
    this.start = 0;
  }

  private seal(): void {
    if (this.pos === this.start) return;
    this.chunks.push(this.buf.subarray(this.start, this.pos));
    this.sealedBytes += this.pos - this.start;
    this.start = this.pos;
  }

  /** The written bytes as a list of buffers (no copy). The writer may still be appended to. */
  toChunks(): Buffer[] {
    this.seal();
    return this.chunks.slice();
  }

  /** The written bytes as one buffer (copied only if they span several chunks). */
  toBuffer(): Buffer {
    this.seal();
    if (this.chunks.length === 1) return this.chunks[0]!;
    return Buffer.concat(this.chunks, this.sealedBytes);
  }

  /** Reserves `n` bytes to be written later through the returned slot. */
  reserve(n: number): Slot {
    this.ensure(n);
    const slot = { buf: this.buf, off: this.pos };
    this.pos += n;
    return slot;
  }

  writeInt8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos++);
  }

  writeUInt8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  writeBool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  writeInt16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
  }

  writeUInt16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
  }

  writeInt32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
  }

  writeUInt32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(v, this.pos);
  }

  writeInt64(v: bigint): void {
    this.ensure(8);
    this.pos = writeInt64BE(this.buf, v, this.pos);
  }

  writeFloat64(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
  }

  writeUuid(v: string): void {
    this.ensure(16);
    if (v.length !== 22 || this.buf.write(v, this.pos, 16, 'base64url') !== 16) {
      throw new EncodeError(`invalid uuid ${JSON.stringify(v)}: expected 22 characters of URL-safe base64`);
    }
    this.pos += 16;
  }

  writeUVarint(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
  }

  writeVarint(v: number): void {
    this.writeUVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  writeVarlong(v: bigint): void {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    const buf = this.buf;
    while (u > 0x7fn) {
      buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    buf[this.pos++] = Number(u);
  }

  /**
   * The same encoding as writeVarlong from a safe integer, without BigInt arithmetic (record
   * timestamp deltas on the hot path). The zigzag value can need 54 bits, beyond a double's exact
   * range, so the sign goes into the first byte separately and only the magnitude is divided.
   */
  writeVarlongNumber(v: number): void {
    if (!Number.isSafeInteger(v)) throw new EncodeError(`varlong ${v} is not a safe integer`);
    this.ensure(10);
    const buf = this.buf;
    const negative = v < 0;
    let m = negative ? -v - 1 : v;
    const low6 = m % 64;
    m = Math.floor(m / 64);
    buf[this.pos++] = (low6 << 1) | (negative ? 1 : 0) | (m > 0 ? 0x80 : 0);
    while (m > 0x7f) {
      buf[this.pos++] = (m % 128) | 0x80;
      m = Math.floor(m / 128);
    }
    if (m > 0) buf[this.pos++] = m;
  }

  /** The UTF-8 bytes of `v` without a length; `byteLength` is `Buffer.byteLength(v)`, which the caller has already measured. */
  writeUtf8(v: string, byteLength: number): void {
    this.ensure(byteLength);
    const buf = this.buf;
    // Short ASCII strings (record header keys) are copied char by char: Buffer#write costs ~0.4 µs a call.
    if (byteLength === v.length && byteLength <= 64) {
      let i = 0;
      for (; i < byteLength; i++) {
        const c = v.charCodeAt(i);
        if (c > 0x7f) break;
        buf[this.pos + i] = c;
      }
      if (i === byteLength) {
        this.pos += byteLength;
        return;
      }
    }
    const n = buf.write(v, this.pos, byteLength, 'utf8');
    if (n !== byteLength) throw new EncodeError(`string measured as ${byteLength} UTF-8 bytes wrote ${n}`);
    this.pos += n;
  }

  /** Copies raw bytes. */
  writeRaw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Appends bytes by reference when they are large, else copies them. */
  private writeRef(b: Buffer): void {
    if (b.length < ZERO_COPY_MIN_BYTES) {
      this.writeRaw(b);
      return;
    }
    this.seal();
    this.chunks.push(b);
    this.sealedBytes += b.length;
  }

  private writeLength(n: number, compact: boolean, wide: boolean): void {
    if (compact) this.writeUVarint(n + 1);
    else if (wide) this.writeInt32(n);
    else this.writeInt16(n);
  }

  writeNullableString(v: string | null, compact: boolean): void {
    if (v === null) {
      this.writeLength(-1, compact, false);
      return;
    }
    const n = Buffer.byteLength(v, 'utf8');
    if (n > 0x7fff) throw new EncodeError(`string of ${n} bytes exceeds 32767`);
    this.writeLength(n, compact, false);
    this.ensure(n);
    this.pos += this.buf.write(v, this.pos, n, 'utf8');
  }

  /** A string in a version where it may not be null: null is refused. */
  writeString(v: string | null, compact: boolean): void {
    if (v === null) throw new EncodeError('null for a non-nullable string');
    this.writeNullableString(v, compact);
  }

  writeNullableBytes(v: Uint8Array | null, compact: boolean): void {
    if (v === null) {
      this.writeLength(-1, compact, true);
      return;
    }
    this.writeLength(v.length, compact, true);
    this.writeRaw(v);
  }

  writeBytes(v: Uint8Array | null, compact: boolean): void {
    if (v === null) throw new EncodeError('null for non-nullable bytes');
    this.writeNullableBytes(v, compact);
  }

  /** A `records` field: a length then record batches, given as one buffer or several, never copied when large. */
  writeRecordsRef(v: Buffer | readonly Buffer[] | null, compact: boolean, nullable: boolean): void {
    if (v === null) {
      if (!nullable) throw new EncodeError('null for non-nullable records');
      this.writeLength(-1, compact, true);
      return;
    }
    if (Buffer.isBuffer(v)) {
      this.writeLength(v.length, compact, true);
      this.writeRef(v);
      return;
    }
    let n = 0;
    for (const b of v) n += b.length;
    this.writeLength(n, compact, true);
    for (const b of v) this.writeRef(b);
  }

  writeNullableArray<T>(v: readonly T[] | null, compact: boolean, writeElement: (w: Writer, e: T) => void): void {
    if (v === null) {
      this.writeLength(-1, compact, true);
      return;
    }
    this.writeLength(v.length, compact, true);
    for (const e of v) writeElement(this, e);
  }

  writeArray<T>(v: readonly T[] | null, compact: boolean, writeElement: (w: Writer, e: T) => void): void {
    if (v === null) throw new EncodeError('null for a non-nullable array');
    this.writeNullableArray(v, compact, writeElement);
  }
}
