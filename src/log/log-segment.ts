/**
 * Kafka's LogSegment: one `.log` file of record batches exactly as appended, with its sparse
 * `.index` (offset -> position) and `.timeindex` (timestamp -> offset), all named by the
 * segment's base offset.
 *
 * The log assigns space synchronously (`assign`, in append call order) and writes later
 * (`write`, from the log's writer): `size` counts assigned bytes, `writtenSize` the bytes whose
 * write returned, which is all a reader may see. The `.log` file is opened through the shared
 * FileHandleCache, so an idle segment holds no descriptor.
 */
import { dirname } from 'node:path';
import type { Clock } from '../common/clock.js';
import { isNotFound } from '../storage/storage-error.js';
import type { FileHandleCache, FileOwner } from './file-handle-cache.js';
import { INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, segmentFilePath } from './file-names.js';
import type { IndexEnv, IndexOwner } from './index-file.js';
import { OffsetIndex } from './offset-index.js';
import { NO_TIMESTAMP, TimeIndex, type TimestampOffset } from './time-index.js';

export interface SegmentEnv extends IndexEnv {
  files: FileHandleCache;
  clock: Clock;
  /** The most bytes a batch may decompress to when the log must look at records (timestamp lookups, cleaning). */
  maxDecodeBytes: number;
}

export interface SegmentSettings {
  /** index.interval.bytes */
  indexIntervalBytes: number;
  /** segment.index.bytes */
  maxIndexSize: number;
}

export interface SegmentFileSizes {
  log: number;
  index: number;
  timeIndex: number;
  /** The .log file's modification time. */
  mtimeMs: number;
}

/** Largest relative offset an index entry can hold. */
const MAX_RELATIVE_OFFSET = 0x7fffffffn;

export class LogSegment implements FileOwner, IndexOwner {
  /** The suffix every file of the segment carries now: '', '.cleaned', '.swap' or '.deleted'. */
  private state: string;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Bytes assigned to batches, including writes still queued. */
  size: number;
  /** Bytes whose write completed: readers see no further. */
  writtenSize: number;
  /** The largest batch max timestamp and the last offset of the first batch with it; undefined until loaded. */
  maxTimestampSoFar: bigint | undefined;
  offsetOfMaxTimestampSoFar: bigint | undefined;
  /** The same over acknowledged batches only (what ListOffsets may see); undefined until loaded. */
  acknowledgedMax: TimestampOffset | undefined;
  /** The first batch's max timestamp (Kafka's rollingBasedTimestamp), for segment.ms. */
  rollingBasedTimestamp: bigint | undefined;
  bytesSinceLastIndexEntry = 0;
  /** The largest batch appended or read here: sizes the first read window so a big batch takes one read. */
  largestBatchBytes = 0;
  /**
   * Where recent reads ended (the next offset and its file position), newest first: consumers
   * read on from where they stopped, so their next read starts here without an index lookup.
   */
  private readEnds: { offset: bigint; position: number }[] | null = null;
  /** Writes assigned but not finished, so the log knows when a rolled segment can be flushed. */
  pendingWrites = 0;
  deleted = false;
  /** Rolled: no more appends; `nextSegmentBase` is the base offset of the segment rolled to. */
  sealed = false;
  nextSegmentBase: bigint | undefined;
  /** The .log file's modification time as last seen (retention of segments without timestamps). */
  lastModifiedMs: number;
  private created: Promise<void> | null;

  private constructor(
    private readonly env: SegmentEnv,
    readonly dir: string,
    readonly baseOffset: bigint,
    readonly settings: SegmentSettings,
    sizes: SegmentFileSizes,
    /** segment.jitter.ms drawn for this segment. */
    readonly rollJitterMs: number,
    readonly createdMs: number,
    exists: boolean,
    suffix = '',
  ) {
    this.state = suffix;
    this.size = sizes.log;
    this.writtenSize = sizes.log;
    this.lastModifiedMs = sizes.mtimeMs;
    this.offsetIndex = new OffsetIndex(env, this, baseOffset, settings.maxIndexSize, sizes.index);
    this.timeIndex = new TimeIndex(env, this, baseOffset, settings.maxIndexSize, sizes.timeIndex);
    this.created = exists ? null : this.createFile();
    // Surfaced to whoever awaits ensureFile; this keeps an unawaited failure from crashing the process.
    this.created?.catch(() => {});
    if (!exists) {
      this.maxTimestampSoFar = NO_TIMESTAMP;
      this.offsetOfMaxTimestampSoFar = baseOffset;
      this.acknowledgedMax = { timestamp: NO_TIMESTAMP, offset: baseOffset };
    }
  }

  /**
   * A new, empty segment; its file is created in the background (`ensureFile` awaits it). A
   * `suffix` (".cleaned") names files the cleaner writes before swapping them in.
   */
  static create(env: SegmentEnv, dir: string, baseOffset: bigint, settings: SegmentSettings, rollJitterMs: number, suffix = ''): LogSegment {
    const now = env.clock.now();
    return new LogSegment(env, dir, baseOffset, settings, { log: 0, index: 0, timeIndex: 0, mtimeMs: now }, rollJitterMs, now, false, suffix);
  }

  /** A segment whose files exist, with the sizes found on disk. */
  static open(env: SegmentEnv, dir: string, baseOffset: bigint, settings: SegmentSettings, sizes: SegmentFileSizes, rollJitterMs: number): LogSegment {
    return new LogSegment(env, dir, baseOffset, settings, sizes, rollJitterMs, env.clock.now(), true);
  }

  /** Paths are computed, not stored (see IndexFile.path). */
  get filePath(): string {
    return segmentFilePath(this.dir, this.baseOffset, LOG_FILE_SUFFIX + this.state);
  }

  indexPath(kind: string): string {
    return segmentFilePath(this.dir, this.baseOffset, kind + this.state);
  }

  get files(): FileHandleCache {
    return this.env.files;
  }

  get segmentEnv(): SegmentEnv {
    return this.env;
  }

  private async createFile(): Promise<void> {
    const file = await this.env.disk.open(this.filePath, 'create');
    this.env.files.adopt(this, file);
    // The new name must survive power loss before anything acknowledged lives in it.
    await this.env.disk.syncDir(this.dir);
    this.created = null;
  }

  /** Resolves once the .log file exists. */
  ensureFile(): Promise<void> {
    return this.created ?? Promise.resolve();
  }

  /** Whether `lastOffset` still fits an index entry relative to this segment's base. */
  canHoldOffset(lastOffset: bigint): boolean {
    const rel = lastOffset - this.baseOffset;
    return rel >= 0n && rel <= MAX_RELATIVE_OFFSET;
  }

  /**
   * Reserves space for a batch of `size` bytes ending at `lastOffset` and updates the indexes
   * and timestamps as Kafka's LogSegment.append does; returns the batch's file position.
   */
  assign(size: number, lastOffset: bigint, maxTimestamp: bigint): number {
    const position = this.size;
    if (position === 0) this.rollingBasedTimestamp = maxTimestamp;
    if (this.maxTimestampSoFar === undefined || maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.settings.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar!);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
    if (size > this.largestBatchBytes) this.largestBatchBytes = size;
    this.size += size;
    return position;
  }

  /** Writes assigned batches at their position; readers see them once this resolves. */
  async write(buffers: readonly Buffer[], position: number, bytes: number): Promise<void> {
    if (this.created) await this.created;
    await this.env.files.use(this, (f) => f.write(buffers, position));
    this.writtenSize = Math.max(this.writtenSize, position + bytes);
    this.lastModifiedMs = this.env.clock.now();
  }

  /** fsyncs the .log file. */
  async sync(): Promise<void> {
    await this.ensureFile();
    await this.env.files.use(this, (f) => f.sync());
  }

  /** Writes the index tails; with `sync`, makes indexes and log durable (before the recovery point passes it). */
  async flush(sync: boolean): Promise<void> {
    if (sync) await this.sync();
    await Promise.all([this.offsetIndex.persist(sync), this.timeIndex.persist(sync)]);
  }

  /** Kafka's onBecomeInactiveSegment: the last time index entry records the segment's largest timestamp. */
  onBecomeInactive(): void {
    if (this.maxTimestampSoFar !== undefined && this.offsetOfMaxTimestampSoFar !== undefined && this.timeIndex.lastKnown !== undefined) {
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true);
    }
  }

  /** Whether the time-based roll is due (segment.ms minus this segment's jitter), as Kafka's shouldRoll. */
  timeToRoll(now: number, segmentMs: number): boolean {
    if (this.size === 0) return false;
    const ts = this.rollingBasedTimestamp;
    const since = ts !== undefined && ts >= 0n ? now - Number(ts) : now - this.createdMs;
    return since > segmentMs - this.rollJitterMs;
  }

  /** The largest timestamp and the offset it was found at (loads the last time index entry if needed). */
  async maxTimestampAndOffset(): Promise<TimestampOffset> {
    if (this.maxTimestampSoFar === undefined || this.offsetOfMaxTimestampSoFar === undefined) {
      const last = await this.timeIndex.lastEntry();
      this.maxTimestampSoFar = last.timestamp;
      this.offsetOfMaxTimestampSoFar = last.offset;
    }
    return { timestamp: this.maxTimestampSoFar, offset: this.offsetOfMaxTimestampSoFar };
  }

  /** Records an acknowledged append's largest timestamp and the last offset of its batch. */
  noteAcknowledged(timestamp: bigint, offset: bigint): void {
    const m = this.acknowledgedMax;
    if (m !== undefined && timestamp > m.timestamp) this.acknowledgedMax = { timestamp, offset };
  }

  /** The largest timestamp among acknowledged batches (all of them, for a segment loaded from disk). */
  async acknowledgedMaxTimestamp(): Promise<TimestampOffset> {
    if (this.acknowledgedMax === undefined) this.acknowledgedMax = await this.maxTimestampAndOffset();
    return this.acknowledgedMax;
  }

  /** Kafka's largestTimestamp: the largest record timestamp, or the file's mtime when there is none. */
  async largestTimestamp(): Promise<number> {
    const { timestamp } = await this.maxTimestampAndOffset();
    return timestamp >= 0n ? Number(timestamp) : this.lastModifiedMs;
  }

  /** The file position of `offset` if a recent read ended exactly there. */
  readEndAt(offset: bigint): number | undefined {
    const ends = this.readEnds;
    if (!ends) return undefined;
    for (const e of ends) if (e.offset === offset && e.position <= this.writtenSize) return e.position;
    return undefined;
  }

  /** Remembers that a read ended at `position`, where `offset` starts (at most 4 remembered). */
  noteReadEnd(offset: bigint, position: number): void {
    const ends = (this.readEnds ??= []);
    const i = ends.findIndex((e) => e.offset === offset);
    if (i >= 0) ends.splice(i, 1);
    ends.unshift({ offset, position });
    if (ends.length > 4) ends.pop();
  }

  /** Truncates the .log file to `position` bytes (what follows is gone). */
  async truncateFile(position: number): Promise<void> {
    await this.env.files.use(this, async (f) => {
      await f.truncate(position);
      await f.sync();
    });
    this.size = position;
    this.writtenSize = position;
    this.readEnds = null;
  }

  /** Renames the three files from suffix `from` to `to` (".deleted", ".swap", '' for the final name). */
  async changeSuffix(from: string, to: string): Promise<void> {
    const prev = this.state;
    const next = (prev.endsWith(from) ? prev.slice(0, prev.length - from.length) : prev) + to;
    const kinds = [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX];
    for (let i = 0; i < kinds.length; i++) {
      try {
        await this.env.disk.rename(segmentFilePath(this.dir, this.baseOffset, kinds[i]! + prev), segmentFilePath(this.dir, this.baseOffset, kinds[i]! + next));
      } catch (err) {
        // Index files are written lazily; an index never written has nothing to rename.
        if (!(i > 0 && isNotFound(err))) throw err;
      }
      // The paths follow each file as it moves, so a reopen in between finds it.
      if (i === 0) this.state = next;
    }
  }

  /** Removes the segment's files (after they were renamed .deleted), ignoring ones already gone. */
  async deleteFiles(): Promise<void> {
    await this.env.files.forget(this);
    for (const p of [this.filePath, this.offsetIndex.path, this.timeIndex.path]) {
      try {
        await this.env.disk.unlink(p);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Drops the file handle and index memory (on close, and when the segment is replaced). */
  async release(): Promise<void> {
    this.offsetIndex.release();
    this.timeIndex.release();
    await this.env.files.forget(this);
  }

  toString(): string {
    return `${dirname(this.filePath)}/${this.baseOffset}`;
  }
}
