/**
 * Reads the batches of a segment file in bounded windows and hands each complete one to a
 * visitor, stopping where the bytes stop being whole v2 batches: a short tail, a length or
 * magic no batch can have, or (when verifying) a CRC mismatch. Recovery, loading and the
 * cleaner all walk segments this way; memory is one window, or one batch when a batch is larger.
 */
import type { DiskFile } from '../storage/disk.js';
import { Scratch, type Window, readWindow } from './window-read.js';
import { TRUNCATED, batchSizeAt } from '../protocol/records/batch-frame.js';
import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../protocol/records/batch-header.js';
import { InvalidBatchError } from '../protocol/records/invalid-batch-error.js';
import { crcMatches } from './batch-fields.js';

/** Bytes read per call while scanning (recovery runs up to 16 logs at once: 64 MiB at most). */
export const DEFAULT_SCAN_WINDOW_BYTES = 4 * 1024 * 1024;

/**
 * Called per complete batch: `buf[pos, pos + size)` holds it and `filePosition` is where it starts
 * in the file. Return 'stop' to end the scan there (the batch counts as visited), a string to
 * declare the batch invalid (the scan ends before it, reporting the string), anything else to go on.
 */
export type BatchVisitor = (buf: Buffer, pos: number, size: number, filePosition: number) => string | void;

export interface ScanResult {
  /** The file position after the last batch visited. */
  validEnd: number;
  /** Why scanning stopped before `end`, when the bytes there are not a valid batch. */
  invalid?: string;
}

export interface ScanOptions {
  windowBytes?: number;
  /**
   * Reuse one buffer for all windows: only when the visitor keeps no reference to the bytes it
   * is shown (it must copy what it keeps).
   */
  reuseBuffer?: boolean;
  /** Check every batch's CRC-32C (recovery does; reads of acknowledged data do not). */
  verifyCrc?: boolean;
}

export async function scanBatches(file: DiskFile, start: number, end: number, visit: BatchVisitor, options: ScanOptions = {}): Promise<ScanResult> {
  const window = options.windowBytes ?? DEFAULT_SCAN_WINDOW_BYTES;
  let pos = start;
  let need = RECORD_BATCH_OVERHEAD;
  let prev: Window | undefined;
  const scratch = options.reuseBuffer ? new Scratch() : undefined;
  while (pos < end) {
    const requested = Math.min(end - pos, Math.max(window, need));
    prev = await readWindow(file, prev, pos, window, need, end, scratch);
    const buf = prev.buf;
    // The file is shorter than the caller thought: what is missing is a truncated tail.
    if (buf.length < requested) end = pos + buf.length;
    need = RECORD_BATCH_OVERHEAD;
    const step = walkWindow(buf, pos, end, visit, options.verifyCrc ?? false);
    if (step.invalid !== undefined) return { validEnd: pos + step.consumed, invalid: step.invalid };
    if (step.stopped) return { validEnd: pos + step.consumed };
    if (step.consumed === 0) {
      // The next batch is larger than the window: read it whole next time.
      if (step.needed === undefined || step.needed > end - pos) return { validEnd: pos, invalid: describeShort(buf, end - pos) };
      if (step.needed <= buf.length) return { validEnd: pos, invalid: 'unframeable bytes' };
      need = step.needed;
    }
    pos += step.consumed;
  }
  return { validEnd: pos };
}

interface WindowStep {
  consumed: number;
  stopped?: boolean;
  invalid?: string;
  /** Bytes the batch at the window's first unconsumed position needs. */
  needed?: number;
}

function walkWindow(buf: Buffer, filePos: number, end: number, visit: BatchVisitor, verifyCrc: boolean): WindowStep {
  let local = 0;
  const atFileEnd = filePos + buf.length >= end;
  while (local < buf.length) {
    let size: number;
    try {
      size = batchSizeAt(buf, local, buf.length);
    } catch (err) {
      if (err instanceof InvalidBatchError) return { consumed: local, invalid: err.reason };
      throw err;
    }
    if (size === TRUNCATED) {
      const needed = buf.length - local >= LOG_OVERHEAD ? LOG_OVERHEAD + buf.readInt32BE(local + BATCH_LENGTH_OFFSET) : undefined;
      if (atFileEnd) return { consumed: local, invalid: needed === undefined ? 'truncated header' : `truncated batch: ${needed} bytes declared, ${buf.length - local} present` };
      return { consumed: local, needed: needed ?? RECORD_BATCH_OVERHEAD };
    }
    if (size < RECORD_BATCH_OVERHEAD) return { consumed: local, invalid: `batch of ${size} bytes is shorter than a header` };
    if (verifyCrc && !crcMatches(buf, local, size)) return { consumed: local, invalid: 'crc-mismatch' };
    const verdict = visit(buf, local, size, filePos + local);
    if (verdict === 'stop') return { consumed: local + size, stopped: true };
    if (typeof verdict === 'string') return { consumed: local, invalid: verdict };
    local += size;
  }
  return { consumed: local };
}

function describeShort(buf: Buffer, remaining: number): string {
  if (buf.length < LOG_OVERHEAD) return 'truncated header';
  return `truncated batch: ${LOG_OVERHEAD + buf.readInt32BE(BATCH_LENGTH_OFFSET)} bytes declared, ${remaining} present`;
}
