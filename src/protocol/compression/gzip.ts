/**
 * gzip (Kafka compression type 1): RFC 1952 members via node:zlib on the thread pool. zlib's
 * `maxOutputLength` stops inflating as soon as the output would pass the limit, so a bomb costs at
 * most `maxOutputBytes` of memory.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { corrupt, libraryDecodeFailure, libraryEncodeFailure, tooLarge } from './codec-errors.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** `level`: zlib's, -1 (its default, 6) or 1-9. */
export async function gzipCompress(data: Buffer, level = -1): Promise<Buffer> {
  try {
    return await gzipAsync(data, { level });
  } catch (err) {
    throw libraryEncodeFailure('gzip', err);
  }
}

export async function gzipDecompress(data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  // zlib inflates nothing from an empty input and reports success; Java's GZIPInputStream and
  // librdkafka both reject it, and so do we.
  if (data.length === 0) throw corrupt('gzip', 'empty input is not a gzip member');
  let out: Buffer;
  try {
    // zlib rejects a limit of 0, so allow 1 byte and check the exact limit below.
    out = await gunzipAsync(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
  } catch (err) {
    if (isBufferTooLarge(err)) throw tooLarge('gzip', maxOutputBytes + 1, maxOutputBytes, false);
    throw libraryDecodeFailure('gzip', err);
  }
  if (out.length > maxOutputBytes) throw tooLarge('gzip', out.length, maxOutputBytes);
  return out;
}

function isBufferTooLarge(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
}
