/**
 * Reading a segment: whole batches from an offset up to a byte limit (Kafka's LogSegment.read
 * with translateOffset), the batch holding an offset, and the first record at or after a
 * timestamp. Reads start at the offset index's entry for the target and skip batches below it
 * by their headers alone; only batches that are returned are read in full, in one read call.
 */
import type { DiskFile } from '../storage/disk.js';
import { TRUNCATED, batchSizeAt } from '../protocol/records/batch-frame.js';
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../protocol/records/batch-header.js';
import { InvalidBatchError } from '../protocol/records/invalid-batch-error.js';
import { decodeRecordBatch } from '../protocol/records/record-batch.js';
import { baseOffsetAt, lastOffsetAt, maxTimestampAt } from './batch-fields.js';
import { CorruptSegmentError } from './log-errors.js';
import type { LogSegment } from './log-segment.js';
import { scanBatches } from './segment-scan.js';
import type { BufferSource } from './read-buffer-pool.js';
import { type Window, readWindow, readWindowNow } from './window-read.js';
import type { TimestampOffset } from './time-index.js';

export interface SegmentReadLimits {
  maxBytes: number;
  /** Batches whose last offset is at or beyond this are not returned (the high watermark). */
  maxOffset: bigint;
  /** Return the first batch even when it is larger than maxBytes (KIP-74). */
  minOneBatch: boolean;
}

export interface SegmentRead {
  chunks: Buffer[];
  bytes: number;
  /** True when a limit stopped the read; false when the segment's written bytes ran out. */
  limited: boolean;
  /** When bytes > 0: the offset after the last batch returned, and the file position where it ends. */
  nextOffset: bigint;
  endPosition: number;
}

interface BatchHead {
  position: number;
  size: number;
  lastOffset: bigint;
}

/** Whole batches of `segment` holding offsets from `startOffset` on, within `limits`, read into buffers from `buffers` (default fresh). */
export async function readSegment(segment: LogSegment, startOffset: bigint, limits: SegmentReadLimits, buffers?: BufferSource): Promise<SegmentRead> {
  const end = segment.writtenSize;
  const known = segment.readEndAt(startOffset);
  const from = known ?? (await segment.offsetIndex.lookup(startOffset)).position;
  // Behind an index entry lie up to an interval of batches and the entry's own batch, skipped.
  const slack = known !== undefined ? 0 : segment.settings.indexIntervalBytes + Math.min(segment.largestBatchBytes, MAX_SKIP_SLACK_BYTES);
  const r = await segment.files.use(segment, (file) => collectBatches(segment, file, from, end, startOffset, limits, slack, buffers));
  if (r.bytes > 0) segment.noteReadEnd(r.nextOffset, r.endPosition);
  return r;
}

/** Above this a skipped batch is not worth reading in the first window: its body is skipped by its header. */
const MAX_SKIP_SLACK_BYTES = 256 * 1024;

async function collectBatches(segment: LogSegment, file: DiskFile, start: number, end: number, startOffset: bigint, limits: SegmentReadLimits, slack: number, buffers: BufferSource | undefined): Promise<SegmentRead> {
  const out: SegmentRead = { chunks: [], bytes: 0, limited: false, nextOffset: startOffset, endPosition: start };
  let pos = start;
  let need = RECORD_BATCH_OVERHEAD;
  let prev: Window | undefined;
  while (pos < end) {
    const window = windowBytes(segment, pos, end, need, limits, out, slack);
    prev = await readWindow(file, prev, pos, window, need, end, buffers);
    const step = walkWindow(segment, prev.buf, pos, window, end, startOffset, limits, out);
    if (step.done) return out;
    pos += step.consumed;
    need = step.needed;
  }
  return out;
}

/**
 * `readSegment` made now, on the calling thread, when it can be: the read starts where a recent
 * read ended (`readEndAt`) or at the segment's start, the file is open, and its windows are small
 * enough for DiskFile.readNow. Otherwise undefined, and nothing was noted on the segment. A caught-up
 * consumer's read at the log end is such a read: it goes through no promise.
 */
export function readSegmentNow(segment: LogSegment, startOffset: bigint, limits: SegmentReadLimits, buffers?: BufferSource): SegmentRead | undefined {
  const end = segment.writtenSize;
  const from = segment.readEndAt(startOffset) ?? (startOffset <= segment.baseOffset ? 0 : undefined);
  if (from === undefined) return undefined;
  const r = segment.files.useNow(segment, (file) => collectBatchesNow(segment, file, from, end, startOffset, limits, buffers));
  if (r && r.bytes > 0) segment.noteReadEnd(r.nextOffset, r.endPosition);
  return r;
}

function collectBatchesNow(segment: LogSegment, file: DiskFile, start: number, end: number, startOffset: bigint, limits: SegmentReadLimits, buffers: BufferSource | undefined): SegmentRead | undefined {
  const out: SegmentRead = { chunks: [], bytes: 0, limited: false, nextOffset: startOffset, endPosition: start };
  let pos = start;
  let need = RECORD_BATCH_OVERHEAD;
  let prev: Window | undefined;
  while (pos < end) {
    const window = windowBytes(segment, pos, end, need, limits, out, 0);
    prev = readWindowNow(file, prev, pos, window, need, end, buffers);
    if (!prev) return undefined;
    const step = walkWindow(segment, prev.buf, pos, window, end, startOffset, limits, out);
    if (step.done) return out;
    pos += step.consumed;
    need = step.needed;
  }
  return out;
}

/** How much to read at `pos`: what the limits leave room for (and the skip slack before the first batch), at least `need`. */
function windowBytes(segment: LogSegment, pos: number, end: number, need: number, limits: SegmentReadLimits, out: SegmentRead, slack: number): number {
  // With minOneBatch the first batch may be larger than maxBytes: size the window for the largest
  // batch this segment has seen, so it is read in one call.
  const first = limits.minOneBatch ? Math.max(limits.maxBytes, segment.largestBatchBytes) : limits.maxBytes;
  const room = out.bytes === 0 ? first + slack : limits.maxBytes - out.bytes;
  return Math.min(end - pos, Math.max(need, room + RECORD_BATCH_OVERHEAD));
}

/** Walks the window of `window` bytes read at file position `pos` into `out`; throws on a segment cut short. */
function walkWindow(segment: LogSegment, buf: Buffer, pos: number, window: number, end: number, startOffset: bigint, limits: SegmentReadLimits, out: SegmentRead): { consumed: number; done: boolean; needed: number } {
  if (buf.length < window) throw new CorruptSegmentError(segment.filePath, pos + buf.length, `file ends before its written size ${end}`);
  const step = walkForRead(segment, buf, pos, startOffset, limits, out);
  if (!step.done && step.consumed === 0 && (step.needed <= buf.length || pos + step.needed > end)) {
    throw new CorruptSegmentError(segment.filePath, pos, `a batch of ${step.needed} bytes does not fit before the written end ${end}`);
  }
  return step;
}

/** Walks one window: skips batches below startOffset, collects the ones that fit. */
function walkForRead(segment: LogSegment, buf: Buffer, filePos: number, startOffset: bigint, limits: SegmentReadLimits, out: SegmentRead): { consumed: number; done: boolean; needed: number } {
  let local = 0;
  let first = -1;
  const flush = () => {
    if (first >= 0 && local > first) out.chunks.push(buf.subarray(first, local));
  };
  while (buf.length - local >= RECORD_BATCH_OVERHEAD) {
    const head = headAt(segment, buf, local, filePos);
    if (head.lastOffset < startOffset) {
      // Skipped by its header alone, even when its body lies beyond this window.
      local += head.size;
      continue;
    }
    const fits = out.bytes + head.size <= limits.maxBytes || (out.bytes === 0 && limits.minOneBatch);
    if (head.lastOffset >= limits.maxOffset || !fits) {
      flush();
      out.limited = true;
      return { consumed: local, done: true, needed: 0 };
    }
    if (local + head.size > buf.length) {
      flush();
      return { consumed: local, done: false, needed: head.size };
    }
    if (first < 0) first = local;
    out.bytes += head.size;
    local += head.size;
    out.nextOffset = head.lastOffset + 1n;
    out.endPosition = filePos + local;
  }
  flush();
  return { consumed: local, done: false, needed: RECORD_BATCH_OVERHEAD };
}

function headAt(segment: LogSegment, buf: Buffer, local: number, filePos: number): BatchHead {
  let size: number;
  try {
    size = batchSizeAt(buf, local, buf.length);
    if (size === TRUNCATED) size = LOG_OVERHEAD + buf.readInt32BE(local + 8);
  } catch (err) {
    if (err instanceof InvalidBatchError) throw new CorruptSegmentError(segment.filePath, filePos + local, err.message, { cause: err });
    throw err;
  }
  segment.noteBatchSize(size);
  return { position: filePos + local, size, lastOffset: lastOffsetAt(buf, local) };
}

/** The index of the last segment whose base offset is at or below `offset` (0 if none is). */
export function floorSegment(segs: readonly LogSegment[], offset: bigint): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Whole batches from `offset` across consecutive segments until a limit stops the read or the
 * segments run out. `guard` wraps each segment's read (the log rebuilds damaged indexes there).
 */
export async function readSegments(
  segs: readonly LogSegment[],
  offset: bigint,
  limits: SegmentReadLimits,
  guard: (seg: LogSegment, fn: () => Promise<SegmentRead>) => Promise<SegmentRead>,
  buffers?: BufferSource,
): Promise<{ chunks: Buffer[]; bytes: number }> {
  const out = { chunks: [] as Buffer[], bytes: 0 };
  for (let i = floorSegment(segs, offset); i < segs.length; i++) {
    const seg = segs[i]!;
    const segLimits = { maxBytes: limits.maxBytes - out.bytes, maxOffset: limits.maxOffset, minOneBatch: limits.minOneBatch && out.bytes === 0 };
    const r = await guard(seg, () => readSegment(seg, offset, segLimits, buffers));
    for (const c of r.chunks) out.chunks.push(c);
    out.bytes += r.bytes;
    if (r.limited || out.bytes >= limits.maxBytes) break;
  }
  return out;
}

/** `readSegments` made now on the calling thread (readSegmentNow), or undefined when one of its segment reads cannot be. */
export function readSegmentsNow(segs: readonly LogSegment[], offset: bigint, limits: SegmentReadLimits, buffers?: BufferSource): { chunks: Buffer[]; bytes: number } | undefined {
  let out: { chunks: Buffer[]; bytes: number } | undefined;
  for (let i = floorSegment(segs, offset); i < segs.length; i++) {
    const seg = segs[i]!;
    const bytes = out?.bytes ?? 0;
    const r = readSegmentNow(seg, offset, { maxBytes: limits.maxBytes - bytes, maxOffset: limits.maxOffset, minOneBatch: limits.minOneBatch && bytes === 0 }, buffers);
    if (!r) return undefined;
    // One segment's read (the usual one) is answered with its own chunks.
    if (!out) out = { chunks: r.chunks, bytes: r.bytes };
    else {
      for (const c of r.chunks) out.chunks.push(c);
      out.bytes += r.bytes;
    }
    if (r.limited || out.bytes >= limits.maxBytes) break;
  }
  return out ?? { chunks: [], bytes: 0 };
}

export interface FoundBatch {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
}

/** The first batch whose last offset is at or above `offset` (Kafka's translateOffset), if any. */
export async function findBatch(segment: LogSegment, offset: bigint, end = segment.writtenSize): Promise<FoundBatch | undefined> {
  const from = await segment.offsetIndex.lookup(offset);
  let found: FoundBatch | undefined;
  await segment.files.use(segment, (file) =>
    scanBatches(file, from.position, end, (buf, pos, size, filePosition) => {
      if (lastOffsetAt(buf, pos) < offset) return;
      found = { position: filePosition, size, baseOffset: baseOffsetAt(buf, pos), lastOffset: lastOffsetAt(buf, pos), maxTimestamp: maxTimestampAt(buf, pos) };
      return 'stop';
    }, { reuseBuffer: true }),
  );
  return found;
}

/**
 * Kafka's LogSegment.findOffsetByTimestamp: the first record at or after `startingOffset` whose
 * timestamp is at least `timestamp`. Batches are skipped by their max timestamp; only a batch
 * that may hold the record is decoded.
 */
export async function findOffsetByTimestamp(segment: LogSegment, timestamp: bigint, startingOffset: bigint): Promise<TimestampOffset | undefined> {
  const hint = await segment.timeIndex.lookup(timestamp);
  const from = await segment.offsetIndex.lookup(hint.offset > startingOffset ? hint.offset : startingOffset);
  let position = from.position;
  const end = segment.writtenSize;
  while (position < end) {
    let candidate: { bytes: Buffer; next: number } | undefined;
    await segment.files.use(segment, (file) =>
      scanBatches(file, position, end, (buf, pos, size, filePosition) => {
        if (maxTimestampAt(buf, pos) < timestamp || lastOffsetAt(buf, pos) < startingOffset) return;
        candidate = { bytes: Buffer.from(buf.subarray(pos, pos + size)), next: filePosition + size };
        return 'stop';
      }),
    );
    if (!candidate) return undefined;
    const found = await firstRecordAtOrAfter(candidate.bytes, timestamp, startingOffset, segment.segmentEnv.maxDecodeBytes);
    if (found) return found;
    position = candidate.next;
  }
  return undefined;
}

/** The first record of one batch with a timestamp >= `timestamp` and offset >= `startingOffset`. */
export async function firstRecordAtOrAfter(batch: Buffer, timestamp: bigint, startingOffset: bigint, maxDecodeBytes: number): Promise<TimestampOffset | undefined> {
  const decoded = await decodeRecordBatch(batch, 0, { maxUncompressedBytes: maxDecodeBytes, verifyCrc: false });
  for (const r of decoded.records) {
    if (r.timestamp >= timestamp && r.offset >= startingOffset) return { timestamp: r.timestamp, offset: r.offset };
  }
  return undefined;
}
