/**
 * Record batch compression codecs, by Kafka's compression type ids (the low 3 bits of a batch's
 * attributes). Decompression is bounded: it fails with a DecodeError rather than produce more
 * than `maxOutputBytes`.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { DecodeError } from '../samsa-error.js';

export const CompressionType = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export async function compress(type: CompressionType, data: Buffer): Promise<Buffer> {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return gzipAsync(data);
    default:
      throw new DecodeError(`compression type ${type} is not supported yet`);
  }
}

export async function decompress(type: CompressionType, data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      try {
        return await gunzipAsync(data, { maxOutputLength: maxOutputBytes });
      } catch (err) {
        throw new DecodeError(`gzip: ${(err as Error).message}`, { cause: err });
      }
    default:
      throw new DecodeError(`compression type ${type} is not supported yet`);
  }
}
