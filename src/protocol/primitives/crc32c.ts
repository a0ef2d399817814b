/**
 * CRC-32C (Castagnoli), the checksum of Kafka's v2 record batches.
 *
 * `crc32c` uses the SIMD implementation of `@node-rs/crc32` when its prebuilt binary loads and
 * falls back to `crc32cJs` (table-driven, slicing-by-8) on platforms without one. Both are
 * incremental: `crc32c(b, crc32c(a))` equals `crc32c(a + b)`, and both return an unsigned 32-bit
 * number, the value Kafka stores in the batch's crc field.
 */
import { createRequire } from 'node:module';

type Crc32cFn = (data: Uint8Array, initial?: number) => number;

/** The reflected Castagnoli polynomial 0x1EDC6F41. */
const POLYNOMIAL = 0x82f63b78;

/**
 * Below this many bytes the JS loop beats the native binding, whose fixed N-API call cost (about
 * 0.1 µs) dominates short inputs; measured by bench/crc32c.bench.ts. Batches of one small record
 * (the CRC covers 49 header bytes plus the records) sit around this size.
 */
const NATIVE_MIN_BYTES = 128;

function makeTables(): Int32Array[] {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  const t0 = tables[0]!;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    t0[i] = c;
  }
  // Table s advances a byte through s further zero bytes, so 8 bytes fold in with 8 lookups.
  for (let s = 1; s < 8; s++) {
    const prev = tables[s - 1]!;
    const cur = tables[s]!;
    for (let i = 0; i < 256; i++) cur[i] = (prev[i]! >>> 8) ^ t0[prev[i]! & 0xff]!;
  }
  return tables;
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = makeTables() as [
  Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array,
];

/** Whether a Uint32 view reads bytes in the order the word loop expects (every mainstream platform). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * From this many bytes the JS loop reads 32-bit words through an Int32Array view, which roughly
 * doubles its throughput; creating the view costs about as much as hashing 100 bytes, so short
 * inputs stay on the byte loop.
 */
const WORD_LOOP_MIN_BYTES = 256;

/** Pure-JS CRC-32C (slicing-by-8): the fallback, and the reference the native binding is tested against. */
export function crc32cJs(data: Uint8Array, initial = 0): number {
  let crc = ~initial;
  let i = 0;
  const n = data.length;
  if (n >= WORD_LOOP_MIN_BYTES && LITTLE_ENDIAN) {
    for (; ((data.byteOffset + i) & 3) !== 0; i++) crc = T0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    const words = new Int32Array(data.buffer, data.byteOffset + i, ((n - i) >>> 3) << 1);
    crc = slice8Words(words, crc);
    i += words.length << 2;
  } else {
    crc = slice8Bytes(data, crc, n);
    i = n & ~7;
  }
  for (; i < n; i++) crc = T0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** Folds 8 bytes per step, read as two little-endian words. */
function slice8Words(w: Int32Array, crc: number): number {
  for (let j = 0; j < w.length; j += 2) {
    const a = crc ^ w[j]!;
    const b = w[j + 1]!;
    crc =
      T7[a & 0xff]! ^ T6[(a >>> 8) & 0xff]! ^ T5[(a >>> 16) & 0xff]! ^ T4[a >>> 24]! ^
      T3[b & 0xff]! ^ T2[(b >>> 8) & 0xff]! ^ T1[(b >>> 16) & 0xff]! ^ T0[b >>> 24]!;
  }
  return crc;
}

/** Folds 8 bytes per step over the first `n & ~7` bytes, read one at a time (any alignment, any endianness). */
function slice8Bytes(d: Uint8Array, crc: number, n: number): number {
  for (let i = 0, end = n - 7; i < end; i += 8) {
    const a = crc ^ (d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24));
    crc =
      T7[a & 0xff]! ^ T6[(a >>> 8) & 0xff]! ^ T5[(a >>> 16) & 0xff]! ^ T4[a >>> 24]! ^
      T3[d[i + 4]!]! ^ T2[d[i + 5]!]! ^ T1[d[i + 6]!]! ^ T0[d[i + 7]!]!;
  }
  return crc;
}

function loadNative(): Crc32cFn | null {
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: unknown };
    if (typeof mod.crc32c !== 'function') return null;
    const fn = mod.crc32c as (data: Uint8Array, initial?: number) => number;
    // A broken binary must not corrupt every batch: check one known vector before trusting it.
    return fn(new TextEncoder().encode('123456789'), 0) === 0xe3069283 ? fn : null;
  } catch {
    return null;
  }
}

/** The native CRC-32C of `@node-rs/crc32`, or null where its prebuilt binary does not load. */
export const crc32cNative: Crc32cFn | null = loadNative();

/** Which implementation `crc32c` uses for inputs of a batch's size. */
export const crc32cImplementation: 'native' | 'js' = crc32cNative ? 'native' : 'js';

/** CRC-32C of `data`, continuing from `initial` (the CRC of the bytes before it; 0 to start). */
export const crc32c: (data: Uint8Array, initial?: number) => number = crc32cNative
  ? (data, initial = 0) => (data.length < NATIVE_MIN_BYTES ? crc32cJs(data, initial) : crc32cNative(data, initial) >>> 0)
  : crc32cJs;
