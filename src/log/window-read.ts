/**
 * Sequential reads in windows where a batch cut by the end of one window is not read twice: the
 * bytes already read are carried into the next window, and only the rest comes from the file.
 * Scans (recovery, cleaning) and fetch reads of large batches otherwise read most batches twice.
 */
import type { DiskFile } from '../storage/disk.js';
import { readFully } from '../storage/disk-files.js';

export interface Window {
  buf: Buffer;
  /** File position of buf[0]. */
  pos: number;
}

/**
 * The window starting at file position `from`, at least `minBytes` long where the file allows,
 * usually `wantBytes`, never past `end`. Bytes of `prev` from `from` on are reused.
 */
export async function readWindow(file: DiskFile, prev: Window | undefined, from: number, wantBytes: number, minBytes: number, end: number): Promise<Window> {
  const size = Math.max(0, Math.min(end - from, Math.max(wantBytes, minBytes)));
  const carriedStart = prev ? from - prev.pos : -1;
  if (!prev || carriedStart < 0 || carriedStart >= prev.buf.length) return { buf: await readFully(file, from, size), pos: from };
  const carried = prev.buf.subarray(carriedStart);
  if (carried.length >= size) return { buf: carried.subarray(0, size), pos: from };
  const out = Buffer.allocUnsafe(size);
  carried.copy(out, 0);
  const rest = await readFully(file, from + carried.length, size - carried.length);
  rest.copy(out, carried.length);
  const got = carried.length + rest.length;
  return { buf: got === size ? out : out.subarray(0, got), pos: from };
}
