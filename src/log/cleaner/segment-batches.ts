/**
 * Visits the batches of a segment with an async visitor (the cleaner decodes and re-encodes),
 * reading bounded windows: memory is one window, or one batch when larger. Stops early when the
 * visitor returns 'stop'; throws CorruptSegmentError on bytes that are not batches.
 */
import { type Window, readWindow } from '../window-read.js';
import { TRUNCATED, batchSizeAt } from '../../protocol/records/batch-frame.js';
import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../../protocol/records/batch-header.js';
import { CorruptSegmentError } from '../log-errors.js';
import type { LogSegment } from '../log-segment.js';

export type AsyncBatchVisitor = (buf: Buffer, pos: number, size: number) => Promise<'stop' | void> | 'stop' | void;

export async function forEachBatch(seg: LogSegment, visit: AsyncBatchVisitor, windowBytes = 1024 * 1024): Promise<void> {
  const end = seg.writtenSize;
  let pos = 0;
  let need = RECORD_BATCH_OVERHEAD;
  let prev: Window | undefined;
  while (pos < end) {
    prev = await seg.files.use(seg, (f) => readWindow(f, prev, pos, windowBytes, need, end));
    const buf = prev.buf;
    need = RECORD_BATCH_OVERHEAD;
    let local = 0;
    while (buf.length - local >= LOG_OVERHEAD) {
      let size: number;
      try {
        size = batchSizeAt(buf, local, buf.length);
      } catch (err) {
        throw new CorruptSegmentError(seg.filePath, pos + local, (err as Error).message, { cause: err });
      }
      if (size === TRUNCATED) {
        need = Math.max(LOG_OVERHEAD + buf.readInt32BE(local + BATCH_LENGTH_OFFSET), RECORD_BATCH_OVERHEAD);
        break;
      }
      if ((await visit(buf, local, size)) === 'stop') return;
      local += size;
    }
    if (local === 0 && pos + buf.length >= end) throw new CorruptSegmentError(seg.filePath, pos, 'the segment ends inside a batch');
    pos += local;
  }
}
