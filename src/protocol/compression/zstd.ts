/**
 * zstd (Kafka compression type 4) via `@bokuweb/zstd-wasm` (libzstd compiled to wasm; one-shot
 * ZSTD_compress / ZSTD_decompress only, synchronous, so each call holds the event loop while it
 * runs: about a millisecond per MiB).
 *
 * Writes one frame at level 3 (Kafka's default compression.zstd.level) unless told another, with the content size in the
 * header and no checksum (the batch CRC-32C covers the bytes), which Java, librdkafka and the
 * KafkaJS codecs all read.
 *
 * Reads any sequence of frames and skippable frames. The wasm decoder allocates its output up front:
 * the declared content size if the frame has one, else the capacity we pass. So every frame is
 * walked first (zstd-frame.ts) and the allocation is held to the caller's limit: a declared size
 * above it is refused at once, and a frame without one gets min(bound from its blocks, remaining
 * limit) of room, which libzstd refuses to overrun (dstSize_tooSmall).
 */
import { compress as wasmCompress, decompress as wasmDecompress, init } from '@bokuweb/zstd-wasm';
import { EncodeError } from '../samsa-error.js';
import { corrupt, libraryDecodeFailure, libraryEncodeFailure, tooLarge } from './codec-errors.js';
import type { ZstdFrame } from './zstd-frame.js';
import { parseZstdFrames } from './zstd-frame.js';

/** Kafka's default zstd level (ZSTD_CLEVEL_DEFAULT). */
export const ZSTD_LEVEL = 3;
/**
 * The wasm module's heap stops at 2 GiB and must hold input and output at once (and never shrinks:
 * it stays at its high-water mark). Nothing near this size is a sane record batch.
 */
export const ZSTD_WASM_MAX_BYTES = 512 * 1024 * 1024;
/** libzstd's ZSTD_error_dstSize_tooSmall, which the wasm wrapper reports as a negative code. */
const DST_SIZE_TOO_SMALL = 70;
/** Names of the libzstd errors (zstd_errors.h) a corrupt frame can produce. */
const ZSTD_ERRORS: Readonly<Record<number, string>> = {
  20: 'corruption_detected',
  22: 'checksum_wrong',
  24: 'literals_headerWrong',
  70: 'dstSize_tooSmall',
  72: 'srcSize_wrong',
};

let ready: Promise<void> | undefined;

/** Instantiates the wasm module once, on first use; a failed attempt is retried next time. */
function zstdReady(): Promise<void> {
  ready ??= init().catch((err: unknown) => {
    ready = undefined;
    throw err;
  });
  return ready;
}

export async function zstdCompress(data: Buffer, level = ZSTD_LEVEL): Promise<Buffer> {
  if (data.length > ZSTD_WASM_MAX_BYTES) throw new EncodeError(`zstd: ${data.length} bytes is more than the ${ZSTD_WASM_MAX_BYTES} the wasm encoder handles`);
  try {
    await zstdReady();
    return asBuffer(wasmCompress(data, level));
  } catch (err) {
    throw libraryEncodeFailure('zstd', err);
  }
}

export async function zstdDecompress(data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  if (data.length > ZSTD_WASM_MAX_BYTES) throw corrupt('zstd', `${data.length} compressed bytes is more than the wasm decoder handles`);
  const frames = parseZstdFrames(data);
  const limit = Math.min(maxOutputBytes, ZSTD_WASM_MAX_BYTES);
  try {
    await zstdReady();
  } catch (err) {
    throw libraryDecodeFailure('zstd', err);
  }
  const outputs: Buffer[] = [];
  let produced = 0;
  for (const frame of frames) {
    const out = decodeFrame(data.subarray(frame.start, frame.end), frame, produced, limit);
    produced += out.length;
    outputs.push(out);
  }
  return outputs.length === 1 ? outputs[0]! : Buffer.concat(outputs, produced);
}

/** One frame, given what earlier frames produced; never allocates past the limit. */
function decodeFrame(bytes: Buffer, frame: ZstdFrame, produced: number, limit: number): Buffer {
  const room = limit - produced;
  if (frame.contentSize !== undefined) {
    if (frame.contentSize > room) throw tooLarge('zstd', produced + frame.contentSize, limit);
    if (frame.contentSize < frame.exactBytes || frame.contentSize > frame.maxBytes) {
      throw corrupt('zstd', `declared content size ${frame.contentSize} does not fit the frame's blocks`);
    }
    return runDecoder(bytes, frame.contentSize, false, limit);
  }
  if (frame.exactBytes > room) throw tooLarge('zstd', produced + frame.exactBytes, limit, false);
  const capacity = Math.min(frame.maxBytes, room);
  return runDecoder(bytes, capacity, capacity < frame.maxBytes, limit);
}

function runDecoder(bytes: Buffer, capacity: number, capped: boolean, limit: number): Buffer {
  let out: Uint8Array;
  try {
    // The capacity is only used when the frame has no content size; otherwise libzstd allocates
    // exactly the (already checked) declared size and fails if the blocks disagree with it.
    out = wasmDecompress(bytes, { defaultHeapSize: capacity });
  } catch (err) {
    const code = zstdErrorCode(err);
    if (capped && code === DST_SIZE_TOO_SMALL) throw tooLarge('zstd', limit + 1, limit, false);
    // The wrapper's own message says "Failed to compress" even when decompressing; name the code instead.
    if (code !== undefined) {
      const name = ZSTD_ERRORS[code];
      throw corrupt('zstd', `corrupt input (libzstd error ${code}${name === undefined ? '' : ` ${name}`})`, err);
    }
    throw libraryDecodeFailure('zstd', err);
  }
  if (out.length > capacity) throw corrupt('zstd', `decoder produced ${out.length} bytes, more than the frame allows`);
  return asBuffer(out);
}

/** The libzstd error code in the wrapper's message ("Failed to compress with code -70"), if any. */
function zstdErrorCode(err: unknown): number | undefined {
  const m = err instanceof Error ? /code (-?\d+)/.exec(err.message) : null;
  return m ? Math.abs(Number(m[1])) : undefined;
}

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}
