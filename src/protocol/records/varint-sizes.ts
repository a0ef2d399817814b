/**
 * Varint helpers the record codec needs beyond Reader/Writer: encoded sizes (a record's length
 * prefix is written before its body, so the body is measured first) and a varlong read that
 * stays in numbers without losing precision.
 */
import type { Reader } from '../primitives/reader.js';
import { DecodeError } from '../samsa-error.js';

/** Bytes of Kafka's zigzag VARINT encoding of a signed 32-bit value. */
export function sizeOfVarint(v: number): number {
  const u = ((v << 1) ^ (v >> 31)) >>> 0;
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x200000) return 3;
  if (u < 0x10000000) return 4;
  return 5;
}

/** Bytes of Kafka's zigzag VARLONG encoding of a safe integer. */
export function sizeOfVarlongNumber(v: number): number {
  // The zigzag value is 2m + sign, so its 7-bit groups are those of m shifted by one bit.
  let m = Math.floor((v < 0 ? -v - 1 : v) / 64);
  let n = 1;
  while (m > 0) {
    m = Math.floor(m / 128);
    n++;
  }
  return n;
}

/**
 * Kafka's VARLONG as a number, exact over the safe-integer range and a DecodeError outside it.
 * The magnitude is accumulated without the sign bit, so every partial sum below 2^53 is exact
 * (unlike accumulating the 54-bit zigzag value in a double).
 */
export function readVarlongSafe(r: Reader): number {
  const buf = r.buf;
  const start = r.pos;
  let pos = start;
  let negative = false;
  let m = 0;
  let multiplier = 1 / 2;
  for (let i = 0; i < 10; i++) {
    if (pos >= r.end) throw new DecodeError(`truncated: varlong at offset ${start}`);
    const b = buf[pos++]!;
    if (i === 0) {
      negative = (b & 1) === 1;
      m = (b & 0x7e) >>> 1;
    } else {
      m += (b & 0x7f) * multiplier;
    }
    multiplier *= 128;
    if ((b & 0x80) === 0) {
      const v = negative ? -m - 1 : m;
      if (!Number.isSafeInteger(v)) throw new DecodeError(`varlong beyond 2^53 at offset ${start}`);
      r.pos = pos;
      return v;
    }
  }
  throw new DecodeError(`varlong longer than 10 bytes at offset ${start}`);
}
