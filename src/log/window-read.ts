/**
 * Sequential reads in windows where a batch cut by the end of one window is not read twice: the
 * bytes already read are carried into the next window, and only the rest comes from the file.
 * Scans (recovery, cleaning) and fetch reads of large batches otherwise read most batches twice.
 */
import type { DiskFile } from '../storage/disk.js';
import type { BufferSource } from './read-buffer-pool.js';

export interface Window {
  buf: Buffer;
  /** File position of buf[0]. */
  pos: number;
}

/**
 * The window starting at file position `from`, at least `minBytes` long where the file allows,
 * usually `wantBytes`, never past `end`. Bytes of `prev` from `from` on are reused.
 */
export async function readWindow(file: DiskFile, prev: Window | undefined, from: number, wantBytes: number, minBytes: number, end: number, buffers?: BufferSource): Promise<Window> {
  const size = Math.max(0, Math.min(end - from, Math.max(wantBytes, minBytes)));
  const carriedStart = prev ? from - prev.pos : -1;
  const carried = prev && carriedStart >= 0 && carriedStart < prev.buf.length ? prev.buf.subarray(carriedStart) : undefined;
  if (carried && carried.length >= size) return { buf: carried.subarray(0, size), pos: from };
  const have = carried?.length ?? 0;
  // A Scratch or a pool lease avoids a fresh allocation (and its page faults) per read.
  const out = buffers ? buffers.take(size) : Buffer.allocUnsafe(size);
  if (carried) carried.copy(out, 0);
  let got = have;
  while (got < size) {
    const n = await file.read(out, got, size - got, from + got);
    if (n === 0) break;
    got += n;
  }
  return { buf: got === size ? out : out.subarray(0, got), pos: from };
}

/**
 * One reusable buffer for a scan whose visitor keeps nothing of the windows (recovery, tail
 * loading): `take` may hand back the same memory, and Buffer.copy handles the overlap of the
 * carried bytes.
 */
export class Scratch implements BufferSource {
  private buf: Buffer = Buffer.alloc(0);

  take(size: number): Buffer {
    if (this.buf.length < size) this.buf = Buffer.allocUnsafe(size);
    return this.buf.subarray(0, size);
  }
}
