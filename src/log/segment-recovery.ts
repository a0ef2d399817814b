/**
 * Rebuilding a segment's state from its `.log` file.
 *
 * `recoverSegment` is Kafka's LogSegment.recover: every batch is checked (framing, magic, CRC-32C,
 * offsets increasing and within the segment's relative range), the indexes are rebuilt from
 * scratch, and the file is truncated at the first batch that fails, which is how a torn or
 * corrupt tail left by a crash goes away. `loadTailState` is the cheap path after a clean
 * shutdown: trust the indexes and read only from the last index entry to the end of the file.
 */
import { readFully } from '../storage/disk-files.js';
import { RECORD_BATCH_OVERHEAD } from '../protocol/records/batch-header.js';
import { baseOffsetAt, lastOffsetAt, maxTimestampAt } from './batch-fields.js';
import type { LogSegment } from './log-segment.js';
import { scanBatches } from './segment-scan.js';

export interface SegmentRecovery {
  /** Bytes of whole valid batches kept. */
  validBytes: number;
  /** Bytes removed from the end of the file. */
  truncatedBytes: number;
  /** The offset after the last valid batch (the base offset when none). */
  nextOffset: bigint;
  /** Why the bytes after validBytes were invalid, when some were. */
  reason?: string;
}

/** Shown each valid batch recovery reads, in offset order (the leader epochs are rebuilt from them). */
export type BatchObserver = (buf: Buffer, pos: number) => void;

export interface RecoverOptions {
  /**
   * false skips fsyncing the rebuilt indexes: right for the active segment, which is scanned
   * again after any crash whatever its indexes say (the log data is always fsynced).
   */
  durableIndexes?: boolean;
  observe?: BatchObserver;
}

/** Checks every batch, rebuilds both indexes, truncates an invalid tail, and makes it all durable. */
export async function recoverSegment(segment: LogSegment, opts: RecoverOptions = {}): Promise<SegmentRecovery> {
  await segment.offsetIndex.reset();
  await segment.timeIndex.reset();
  const fileSize = await segment.files.use(segment, (f) => f.size());
  segment.beginRecovery(fileSize);
  let next = segment.baseOffset;
  const scan = await segment.files.use(segment, (file) =>
    scanBatches(
      file,
      0,
      fileSize,
      (buf, pos, size) => {
        const base = baseOffsetAt(buf, pos);
        const last = lastOffsetAt(buf, pos);
        if (base < next) return `batch offset ${base} is not above the previous batch's last offset ${next - 1n}`;
        if (last < base || !segment.canHoldOffset(last)) return `batch offsets ${base}..${last} do not fit segment ${segment.baseOffset}`;
        // Batches are visited back to back from position 0, so each lands where the last one ended.
        segment.assign(size, last, maxTimestampAt(buf, pos));
        opts.observe?.(buf, pos);
        next = last + 1n;
      },
      { verifyCrc: true, reuseBuffer: true },
    ),
  );
  const truncatedBytes = fileSize - scan.validEnd;
  if (truncatedBytes > 0) await segment.truncateFile(scan.validEnd);
  segment.completeRecovery(scan.validEnd);
  // What was recovered is now durable (it may have been written and never fsynced before the crash).
  const syncIndexes = opts.durableIndexes ?? true;
  await Promise.all([truncatedBytes > 0 ? undefined : segment.sync(), segment.offsetIndex.persist(syncIndexes), segment.timeIndex.persist(syncIndexes)]);
  const result: SegmentRecovery = { validBytes: scan.validEnd, truncatedBytes, nextOffset: next };
  if (scan.invalid !== undefined) result.reason = scan.invalid;
  return result;
}

/**
 * The state an active segment needs to take appends (next offset, largest timestamp, first
 * timestamp), read from the last index entries and the batches after them. Throws
 * SegmentTailInvalid when those batches do not frame, so the caller can recover the segment.
 */
export async function loadTailState(segment: LogSegment, observe?: BatchObserver): Promise<bigint> {
  const start = await tailStart(segment);
  const lastTime = await segment.timeIndex.lastEntry();
  // Each offset index entry came with a time index update holding the largest timestamp up to and
  // including its batch, so only batches from the last offset index entry on can exceed lastTime.
  // (Kafka scans from the last time index entry's offset instead, which may be far back.)
  let maxTimestamp = lastTime.timestamp;
  let offsetOfMaxTimestamp = lastTime.offset;
  let next = segment.baseOffset;
  // A scan from position 0 (a segment with no index entry yet) visits the first batch first.
  let firstSeen: bigint | undefined;
  const end = segment.writtenSize;
  const scan = await segment.files.use(segment, (file) =>
    scanBatches(file, start, end, (buf, pos) => {
      const last = lastOffsetAt(buf, pos);
      const ts = maxTimestampAt(buf, pos);
      firstSeen ??= ts;
      if (ts > maxTimestamp) {
        maxTimestamp = ts;
        offsetOfMaxTimestamp = last;
      }
      if (last + 1n > next) next = last + 1n;
      observe?.(buf, pos);
    }, { reuseBuffer: true }),
  );
  if (scan.invalid !== undefined || scan.validEnd !== end) throw new SegmentTailInvalid(segment.filePath, scan.invalid ?? 'short');
  const firstBatchTimestamp = end === 0 ? undefined : start === 0 ? firstSeen : await readFirstBatchTimestamp(segment);
  segment.restoreTailState({ maxTimestamp, offsetOfMaxTimestamp, bytesSinceLastIndexEntry: end - start, firstBatchTimestamp });
  return next;
}

/** Where loadTailState starts reading `segment`: the batch of its last offset index entry. */
export async function tailStart(segment: LogSegment): Promise<number> {
  return (await segment.offsetIndex.lastEntry()).position;
}

async function readFirstBatchTimestamp(segment: LogSegment): Promise<bigint | undefined> {
  const head = await segment.files.use(segment, (file) => readFully(file, 0, RECORD_BATCH_OVERHEAD));
  return head.length === RECORD_BATCH_OVERHEAD ? maxTimestampAt(head, 0) : undefined;
}

/** The tail of a segment that should be intact (clean shutdown) is not. */
export class SegmentTailInvalid extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: invalid tail (${reason})`);
  }
}
