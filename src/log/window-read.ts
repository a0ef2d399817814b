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
  const w = startWindow(prev, from, wantBytes, minBytes, end, buffers);
  if (w.done) return w.window;
  const { out, size } = w;
  let got = w.got;
  while (got < size) {
    const n = await file.read(out, got, size - got, from + got);
    if (n === 0) break;
    got += n;
  }
  return { buf: got === size ? out : out.subarray(0, got), pos: from };
}

/**
 * `readWindow` made now on the calling thread (DiskFile.readNow), or undefined, before taking a
 * buffer, when the file cannot read what the window needs now.
 */
export function readWindowNow(file: DiskFile, prev: Window | undefined, from: number, wantBytes: number, minBytes: number, end: number, buffers?: BufferSource): Window | undefined {
  if (!file.readNow || Math.min(end - from, Math.max(wantBytes, minBytes)) > (file.readNowMaxBytes ?? 0)) return undefined;
  const w = startWindow(prev, from, wantBytes, minBytes, end, buffers);
  if (w.done) return w.window;
  const { out, size } = w;
  let got = w.got;
  while (got < size) {
    const n = file.readNow(out, got, size - got, from + got);
    if (n === 0) break;
    got += n;
  }
  return { buf: got === size ? out : out.subarray(0, got), pos: from };
}

type WindowStart = { done: true; window: Window } | { done: false; out: Buffer; size: number; got: number };

/** The window's buffer with the bytes carried from `prev` in it, or the window itself when `prev` holds all of it. */
function startWindow(prev: Window | undefined, from: number, wantBytes: number, minBytes: number, end: number, buffers: BufferSource | undefined): WindowStart {
  const size = Math.max(0, Math.min(end - from, Math.max(wantBytes, minBytes)));
  const carriedStart = prev ? from - prev.pos : -1;
  const carried = prev && carriedStart >= 0 && carriedStart < prev.buf.length ? prev.buf.subarray(carriedStart) : undefined;
  if (carried && carried.length >= size) return { done: true, window: { buf: carried.subarray(0, size), pos: from } };
  // A Scratch or a pool lease avoids a fresh allocation (and its page faults) per read.
  const out = buffers ? buffers.take(size) : Buffer.allocUnsafe(size);
  if (carried) carried.copy(out, 0);
  return { done: false, out, size, got: carried?.length ?? 0 };
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
