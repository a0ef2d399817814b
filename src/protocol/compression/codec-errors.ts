/**
 * The two ways a decompression fails, worded the same for every codec. Whatever a library throws
 * (napi-rs `Error`s with a `GenericFailure` code, zlib's RangeErrors, the zstd wasm module's plain
 * errors) is wrapped here, so callers only ever see a DecodeError with the original as `cause`.
 */
import { DecodeError, EncodeError } from '../samsa-error.js';

export type CodecName = 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Corrupt, truncated or unsupported input. */
export function corrupt(codec: CodecName, detail: string, cause?: unknown): DecodeError {
  return new DecodeError(`${codec}: ${detail}`, cause === undefined ? undefined : { cause });
}

/**
 * The output would be larger than the caller allows: `bytes` exactly, or (`exact` false) at least
 * `bytes`, when only a lower bound is known because the walk or the decoder stopped early.
 */
export function tooLarge(codec: CodecName, bytes: number, maxOutputBytes: number, exact = true): DecodeError {
  const size = exact ? `${bytes} bytes` : `at least ${bytes} bytes`;
  return new DecodeError(`${codec}: output of ${size} exceeds maxOutputBytes ${maxOutputBytes}`);
}

/** A failure thrown by the underlying library while decoding. */
export function libraryDecodeFailure(codec: CodecName, err: unknown): DecodeError {
  if (err instanceof DecodeError) return err;
  return corrupt(codec, `corrupt input (${describe(err)})`, err);
}

/** A failure thrown by the underlying library while encoding (out of memory, a broken addon). */
export function libraryEncodeFailure(codec: CodecName, err: unknown): EncodeError {
  if (err instanceof EncodeError) return err;
  return new EncodeError(`${codec}: compression failed (${describe(err)})`, { cause: err });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
