/**
 * The Raft log's files: segments of v2 record batches back to back, named by their base offset
 * with 20 digits as Kafka names them (`00000000000000000000.log`), in the metadata log directory.
 * Only batch bytes are stored; there is no offset index (the Raft log keeps its batches in memory
 * and reads them from there, see raft-log.ts).
 *
 * Recovery (`load`) walks the segments in offset order and keeps the longest valid prefix: each
 * batch must be complete, pass its CRC, start where the previous one ended and not go back in
 * epoch; the first that fails truncates its segment there and deletes every later segment. A new
 * segment's directory entry is made durable (fsync of the directory) before anything in it is
 * relied on, and removals are made durable before new data is written over the offsets they held,
 * so power loss cannot bring back stale batches behind newer ones.
 */
import { join } from 'node:path';
import { ATTRIBUTES_OFFSET, LAST_OFFSET_DELTA_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, isControlBatch, iterateBatches, validateBatch } from '../../protocol/records/index.js';
import type { Disk, DiskFile } from '../../storage/disk.js';
import { readFully } from '../../storage/disk-files.js';
import { isNotFound } from '../../storage/storage-error.js';
import { DecodeError } from '../../protocol/samsa-error.js';

const SEGMENT_SUFFIX = '.log';
const OFFSET_DIGITS = 20;

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(OFFSET_DIGITS, '0')}${SEGMENT_SUFFIX}`;
}

export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{20})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** A batch of the log: its bytes (offsets and epoch set) and where it lies. */
export interface LogBatch {
  readonly baseOffset: number;
  /** Inclusive. */
  readonly lastOffset: number;
  /** The leader epoch it was written in (the batch's partitionLeaderEpoch). */
  readonly epoch: number;
  readonly isControl: boolean;
  readonly bytes: Buffer;
}

/** A batch with its place on disk, once written. */
export interface StoredBatch extends LogBatch {
  segment: Segment | undefined;
  position: number;
}

export interface Segment {
  readonly baseOffset: number;
  readonly path: string;
  file: DiskFile;
  /** Bytes written (not necessarily synced). */
  size: number;
}

/**
 * A batch of the log, kept in memory until the next snapshot, made from `source` (copied). The
 * copy has memory of its own: a small Buffer from Buffer.from or allocUnsafe is a view of an 8 KiB
 * slab shared with whatever else was allocated then, and each ~100-byte metadata batch kept its
 * slab alive (36x its size). The object is built whole: a spread gave each batch a hidden class of
 * its own (~260 bytes more) once its segment was set.
 */
export function storedBatch(source: Buffer, segment: Segment | undefined, position: number): StoredBatch {
  const bytes = Buffer.allocUnsafeSlow(source.length);
  source.copy(bytes);
  const d = describeBatch(bytes);
  return { baseOffset: d.baseOffset, lastOffset: d.lastOffset, epoch: d.epoch, isControl: d.isControl, bytes, segment, position };
}

/** The header fields of a batch the log cares about. */
export function describeBatch(bytes: Buffer, pos = 0): Omit<LogBatch, 'bytes'> {
  const baseOffset = Number(bytes.readBigInt64BE(pos));
  const lastOffsetDelta = bytes.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
  return {
    baseOffset,
    lastOffset: baseOffset + lastOffsetDelta,
    epoch: bytes.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    isControl: isControlBatch(bytes.readInt16BE(pos + ATTRIBUTES_OFFSET)),
  };
}

export interface SegmentFilesOptions {
  readonly segmentBytes: number;
  /** Simulator control only: write without fsync, so a power loss loses what was acknowledged. */
  readonly unsafeSkipFsync?: boolean;
}

export class SegmentFiles {
  private segments: Segment[] = [];

  private constructor(
    private readonly disk: Disk,
    readonly dir: string,
    private readonly options: SegmentFilesOptions,
  ) {}

  /** Opens the segments of `dir` and returns the valid batches they hold, in offset order. */
  static async load(disk: Disk, dir: string, options: SegmentFilesOptions): Promise<{ files: SegmentFiles; batches: StoredBatch[] }> {
    const files = new SegmentFiles(disk, dir, options);
    const bases = (await disk.readdir(dir))
      .map(parseSegmentFileName)
      .filter((b): b is number => b !== undefined)
      .sort((a, b) => a - b);
    const batches: StoredBatch[] = [];
    let next: number | undefined;
    let epoch = -1;
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      if (next !== undefined && base !== next) {
        await files.unlinkAll(bases.slice(i));
        break;
      }
      const seg = await files.openSegment(base, 'readwrite');
      const scan = await scanSegment(seg, base, epoch);
      batches.push(...scan.batches);
      next = scan.endOffset;
      epoch = scan.lastEpoch;
      if (scan.validBytes < seg.size) {
        await seg.file.truncate(scan.validBytes);
        await files.sync(seg);
        seg.size = scan.validBytes;
        await files.unlinkAll(bases.slice(i + 1));
        break;
      }
    }
    return { files, batches };
  }

  private async openSegment(base: number, mode: 'readwrite' | 'create'): Promise<Segment> {
    const path = join(this.dir, segmentFileName(base));
    const file = await this.disk.open(path, mode);
    const seg: Segment = { baseOffset: base, path, file, size: mode === 'create' ? 0 : await file.size() };
    this.segments.push(seg);
    return seg;
  }

  private async unlinkAll(bases: readonly number[]): Promise<void> {
    for (const b of bases) await this.disk.unlink(join(this.dir, segmentFileName(b)));
    if (bases.length > 0) await this.syncDir();
  }

  private async sync(seg: Segment): Promise<void> {
    if (!this.options.unsafeSkipFsync) await seg.file.sync();
  }

  private async syncDir(): Promise<void> {
    if (!this.options.unsafeSkipFsync) await this.disk.syncDir(this.dir);
  }

  get active(): Segment | undefined {
    return this.segments[this.segments.length - 1];
  }

  /** Starts a new segment at `baseOffset`, durable in the directory before it is written. */
  async roll(baseOffset: number): Promise<Segment> {
    const seg = await this.openSegment(baseOffset, 'create');
    await this.syncDir();
    return seg;
  }

  /** Writes batches at the end of the active segment (rolling past segmentBytes); not synced. */
  async write(batches: readonly StoredBatch[]): Promise<void> {
    let i = 0;
    while (i < batches.length) {
      let seg = this.active;
      if (!seg || seg.size >= this.options.segmentBytes) seg = await this.roll(batches[i]!.baseOffset);
      const group: StoredBatch[] = [];
      let bytes = 0;
      while (i < batches.length && (group.length === 0 || seg.size + bytes < this.options.segmentBytes)) {
        const b = batches[i++]!;
        b.segment = seg;
        b.position = seg.size + bytes;
        group.push(b);
        bytes += b.bytes.length;
      }
      await seg.file.write(
        group.map((b) => b.bytes),
        seg.size,
      );
      seg.size += bytes;
    }
  }

  /** Makes every written byte durable: the segments written since the last sync. */
  async syncAll(dirty: ReadonlySet<Segment>): Promise<void> {
    for (const seg of dirty) await this.sync(seg);
  }

  /**
   * Cuts the log at `position` of `segment` (what lies there and after goes): later segments are
   * deleted and the removals made durable, the segment is truncated and synced (or deleted when
   * the cut is at its start and an earlier segment remains).
   */
  async truncateAt(segment: Segment, position: number): Promise<void> {
    const idx = this.segments.indexOf(segment);
    const later = this.segments.splice(idx + 1);
    for (const s of later) await s.file.close();
    await this.unlinkAll(later.map((s) => s.baseOffset));
    if (position === 0 && idx > 0) {
      this.segments.splice(idx, 1);
      await segment.file.close();
      await this.unlinkAll([segment.baseOffset]);
      return;
    }
    await segment.file.truncate(position);
    segment.size = position;
    await this.sync(segment);
  }

  /** Deletes whole segments that end at or before `offset` (covered by a snapshot); the active one stays. */
  async deleteBefore(offset: number): Promise<void> {
    while (this.segments.length > 1) {
      const next = this.segments[1]!;
      if (next.baseOffset > offset) break;
      const first = this.segments.shift()!;
      await first.file.close();
      try {
        await this.disk.unlink(first.path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Deletes every segment and starts an empty one at `offset` (the log now begins at a snapshot). */
  async reset(offset: number): Promise<void> {
    const all = this.segments.splice(0);
    for (const s of all) await s.file.close();
    await this.unlinkAll(all.map((s) => s.baseOffset));
    await this.roll(offset);
  }

  get firstBaseOffset(): number | undefined {
    return this.segments[0]?.baseOffset;
  }

  async close(): Promise<void> {
    for (const s of this.segments.splice(0)) await s.file.close().catch(() => undefined);
  }
}

interface SegmentScan {
  batches: StoredBatch[];
  validBytes: number;
  endOffset: number;
  lastEpoch: number;
}

async function scanSegment(seg: Segment, base: number, prevEpoch: number): Promise<SegmentScan> {
  const buf = await readFully(seg.file, 0, seg.size);
  const batches: StoredBatch[] = [];
  let expected = base;
  let epoch = prevEpoch;
  let valid = 0;
  try {
    for (const span of iterateBatches(buf)) {
      if (!span.complete) break;
      validateBatch(buf, span.position, { origin: 'replication' });
      const b = storedBatch(buf.subarray(span.position, span.position + span.sizeInBytes), seg, span.position);
      if (b.baseOffset !== expected || b.lastOffset < b.baseOffset || b.epoch < epoch) break;
      batches.push(b);
      expected = b.lastOffset + 1;
      epoch = b.epoch;
      valid = span.position + span.sizeInBytes;
    }
  } catch (err) {
    // A torn or corrupt batch ends the valid prefix; anything else is not ours to swallow.
    if (!(err instanceof DecodeError)) throw err;
  }
  return { batches, validBytes: valid, endOffset: expected, lastEpoch: epoch };
}
