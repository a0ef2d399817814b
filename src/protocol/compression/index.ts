/**
 * Record batch compression codecs, by Kafka's compression type ids (the low 3 bits of a batch's
 * attributes). Decompression is bounded: it fails with a DecodeError rather than produce more
 * than `maxOutputBytes`, and checks the bound before allocating the output wherever the format
 * allows (see docs/protocol/compression.md). Every failure is a DecodeError (decompress) or an
 * EncodeError (compress), with the underlying library's error as `cause`.
 */
import { constants } from 'node:buffer';
import { DecodeError, EncodeError } from '../samsa-error.js';
import { gzipCompress, gzipDecompress } from './gzip.js';

// The addon and wasm codecs are loaded on first use: most brokers and clients never meet a
// compressed batch of some type, and loading all three adds ~15% to a broker's start-up.
let lz4: Promise<typeof import('./lz4.js')> | undefined;
let snappy: Promise<typeof import('./snappy.js')> | undefined;
let zstd: Promise<typeof import('./zstd.js')> | undefined;
const loadLz4 = () => (lz4 ??= import('./lz4.js'));
const loadSnappy = () => (snappy ??= import('./snappy.js'));
const loadZstd = () => (zstd ??= import('./zstd.js'));

export const CompressionType = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

/**
 * Kafka's levels of the codecs that have them (KIP-390's compression.<codec>.level): range and
 * default. gzip takes -1 (zlib's default) or 1-9, not 0; LZ4's is accepted and not applied here.
 */
export const COMPRESSION_LEVELS = {
  gzip: { min: -1, max: 9, default: -1 },
  lz4: { min: 1, max: 17, default: 9 },
  zstd: { min: -131072, max: 22, default: 3 },
} as const;

/** Whether `level` is one of the codec's levels (in range, and not gzip's 0). */
export function isCompressionLevel(codec: keyof typeof COMPRESSION_LEVELS, level: number): boolean {
  const r = COMPRESSION_LEVELS[codec];
  return Number.isInteger(level) && level >= r.min && level <= r.max && !(codec === 'gzip' && level === 0);
}

/**
 * Compresses with the codec of `type`; `level` is Kafka's `compression.<codec>.level` (KIP-390) for
 * gzip (-1 or 1-9) and zstd, each codec's default when absent. LZ4 has one level here (lz4_flex).
 */
export async function compress(type: CompressionType, data: Buffer, level?: number): Promise<Buffer> {
  if (!Buffer.isBuffer(data)) throw new EncodeError(`data to compress must be a Buffer, got ${typeof data}`);
  try {
    return await compressWith(type, data, level);
  } catch (err) {
    if (err instanceof EncodeError) throw err;
    throw new EncodeError(`compression type ${String(type)} failed: ${message(err)}`, { cause: err });
  }
}

export async function decompress(type: CompressionType, data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  if (!Buffer.isBuffer(data)) throw new DecodeError(`data to decompress must be a Buffer, got ${typeof data}`);
  try {
    return await decompressWith(type, data, checkLimit(maxOutputBytes));
  } catch (err) {
    // The codecs already wrap what their libraries throw; this catches anything that slipped by
    // (a TypeError from a changed addon API, say) so callers can rely on one error type.
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`compression type ${String(type)}: ${message(err)}`, { cause: err });
  }
}

function compressWith(type: CompressionType, data: Buffer, level: number | undefined): Promise<Buffer> {
  switch (type) {
    case CompressionType.None:
      return Promise.resolve(data);
    case CompressionType.Gzip:
      return gzipCompress(data, level);
    case CompressionType.Snappy:
      return loadSnappy().then((m) => m.snappyCompress(data));
    case CompressionType.Lz4:
      return loadLz4().then((m) => m.lz4Compress(data));
    case CompressionType.Zstd:
      return loadZstd().then((m) => m.zstdCompress(data, level));
    default:
      throw new EncodeError(`unknown compression type ${String(type)}`);
  }
}

function decompressWith(type: CompressionType, data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  switch (type) {
    case CompressionType.None:
      if (data.length > maxOutputBytes) {
        throw new DecodeError(`uncompressed payload of ${data.length} bytes exceeds maxOutputBytes ${maxOutputBytes}`);
      }
      return Promise.resolve(data);
    case CompressionType.Gzip:
      return gzipDecompress(data, maxOutputBytes);
    case CompressionType.Snappy:
      return loadSnappy().then((m) => m.snappyDecompress(data, maxOutputBytes));
    case CompressionType.Lz4:
      return loadLz4().then((m) => m.lz4Decompress(data, maxOutputBytes));
    case CompressionType.Zstd:
      return loadZstd().then((m) => m.zstdDecompress(data, maxOutputBytes));
    default:
      throw new DecodeError(`unknown compression type ${String(type)}`);
  }
}

/** Infinity, or anything past the largest possible Buffer, means "as much as a Buffer can hold". */
function checkLimit(maxOutputBytes: number): number {
  if (typeof maxOutputBytes !== 'number' || !(maxOutputBytes >= 0)) {
    throw new DecodeError(`maxOutputBytes must be a non-negative number, got ${String(maxOutputBytes)}`);
  }
  return Math.min(Math.floor(maxOutputBytes), constants.MAX_LENGTH);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
