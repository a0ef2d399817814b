/**
 * Big-endian int64 reads and writes with fewer BigInts. Node's Buffer.readBigInt64BE builds its
 * result from four BigInts and writeBigInt64BE splits its value with three; a broker reads and
 * writes a dozen int64s per small request (offsets, timestamps, producer ids in batch headers and
 * responses), so these made ~0.7 KB of a produce request's short-lived objects. A value within
 * ±2^53 goes through a Number instead (one BigInt to read, none to write); others through Node's.
 */

const TWO_32 = 4294967296;
/** |hi| below this: hi * 2^32 + lo is within ±2^53, exact as a Number. */
const SAFE_HI = 0x200000;

/** The int64 at `pos` (as Buffer.readBigInt64BE; the 8 bytes must be present). */
export function readInt64BE(buf: Buffer, pos: number): bigint {
  const hi = buf.readInt32BE(pos);
  if (hi >= SAFE_HI || hi < -SAFE_HI) return buf.readBigInt64BE(pos);
  return BigInt(hi * TWO_32 + buf.readUInt32BE(pos + 4));
}

/** Writes `v` at `pos` (as Buffer.writeBigInt64BE, including its RangeError); returns `pos + 8`. */
export function writeInt64BE(buf: Buffer, v: bigint, pos: number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) return buf.writeBigInt64BE(v, pos);
  const hi = Math.floor(n / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(n - hi * TWO_32, pos + 4);
  return pos + 8;
}
