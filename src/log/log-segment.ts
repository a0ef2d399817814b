/**
 * Kafka's LogSegment: one `.log` file of record batches exactly as appended, with its sparse
 * `.index` (offset -> position) and `.timeindex` (timestamp -> offset), all named by the
 * segment's base offset.
 *
 * The log assigns space synchronously (`assign`, in append call order) and writes later
 * (`write`, from the log's writer): `size` counts assigned bytes, `writtenSize` the bytes whose
 * write returned, which is all a reader may see. The `.log` file is opened through the shared
 * FileHandleCache, so an idle segment holds no descriptor.
 *
 * Its state changes only through its methods, each named for the moment it serves: appends
 * (`assign`, `appendQueued`, `write`, `appendsWritten`), rolls (`seal`, `reactivate`), recovery
 * (`beginRecovery`, `completeRecovery`, `restoreTailState`) and going offline (`discardUnwritten`).
 */
import { dirname } from 'node:path';
import type { Clock } from '../common/clock.js';
import { isNotFound } from '../storage/storage-error.js';
import type { FileHandleCache, FileOwner } from './file-handle-cache.js';
import { INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX, segmentFilePath } from './file-names.js';
import type { IndexEnv, IndexOwner } from './index-file.js';
import { OffsetIndex } from './offset-index.js';
import { NO_TIMESTAMP, TimeIndex, type TimestampOffset } from './time-index.js';
import { TransactionIndex } from './transaction-index.js';

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
  /** The .txnindex file's size (0 or absent: none). */
  txnIndex?: number;
  /** The .log file's modification time. */
  mtimeMs: number;
}

/** The state of an active segment's end, as read back after a clean shutdown. */
export interface SegmentTailState {
  maxTimestamp: bigint;
  offsetOfMaxTimestamp: bigint;
  bytesSinceLastIndexEntry: number;
  firstBatchTimestamp: bigint | undefined;
}

/** Largest relative offset an index entry can hold. */
const MAX_RELATIVE_OFFSET = 0x7fffffffn;

export class LogSegment implements FileOwner, IndexOwner {
  /** The suffix every file of the segment carries now: '', '.cleaned', '.swap' or '.deleted'. */
  private state: string;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** The aborted transactions whose marker is here; created on first use (most segments have none). */
  private txn: TransactionIndex | null;
  /** Bytes assigned to batches, including writes still queued. */
  private assignedBytes: number;
  /** Bytes whose write completed: readers see no further. */
  private completedBytes: number;
  /** The largest batch max timestamp and the last offset of the first batch with it; undefined until loaded. */
  private maxTimestampSoFar: bigint | undefined;
  private offsetOfMaxTimestampSoFar: bigint | undefined;
  /** The same over acknowledged batches only (what ListOffsets may see); undefined until loaded. */
  private acknowledgedMax: TimestampOffset | undefined;
  /** The first batch's max timestamp (Kafka's rollingBasedTimestamp), for segment.ms. */
  private firstBatchTimestamp: bigint | undefined;
  private bytesSinceLastIndexEntry = 0;
  /** The largest batch appended or read here: sizes the first read window so a big batch takes one read. */
  private largestBatch = 0;
  /**
   * Where recent reads ended (the next offset and its file position), newest first: consumers
   * read on from where they stopped, so their next read starts here without an index lookup.
   */
  private readEnds: { offset: bigint; position: number }[] | null = null;
  /** Appends assigned here whose write has not finished, so the log knows when a rolled segment can be flushed. */
  private queuedAppends = 0;
  /** Rolled: no more appends. */
  private sealed = false;
  /** When sealed by a roll: the base offset of the segment rolled to. */
  private rolledTo: bigint | undefined;
  /** The .log file's modification time as last seen (retention of segments without timestamps). */
  private modifiedMs: number;
  private created: Promise<void> | null;
  /** Changes to the .log file so far (completed writes, truncations, renames). */
  private logChanges = 0;
  /** `logChanges` when the .log was last known durable (an fsync, or `markDurable`); -1 while not known to be. */
  private logDurableAt = -1;

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
    this.assignedBytes = sizes.log;
    this.completedBytes = sizes.log;
    this.modifiedMs = sizes.mtimeMs;
    this.offsetIndex = new OffsetIndex(env, this, baseOffset, settings.maxIndexSize, sizes.index);
    this.timeIndex = new TimeIndex(env, this, baseOffset, settings.maxIndexSize, sizes.timeIndex);
    this.txn = sizes.txnIndex ? new TransactionIndex(env, this, baseOffset, sizes.txnIndex) : null;
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

  /** Bytes assigned to batches, including appends whose write is still queued. */
  get size(): number {
    return this.assignedBytes;
  }

  /** Bytes whose write completed: all a reader may see. */
  get writtenSize(): number {
    return this.completedBytes;
  }

  /** The largest batch appended or read here so far. */
  get largestBatchBytes(): number {
    return this.largestBatch;
  }

  /** The .log file's modification time as last seen. */
  get lastModifiedMs(): number {
    return this.modifiedMs;
  }

  /** The first batch's max timestamp (Kafka's rollingBasedTimestamp), when known. */
  get rollingBasedTimestamp(): bigint | undefined {
    return this.firstBatchTimestamp;
  }

  /** When this segment was rolled: the base offset of the next one. */
  get nextSegmentBase(): bigint | undefined {
    return this.rolledTo;
  }

  /** Rolled, and no append's write is in flight any more: ready to be flushed for good. */
  get finishedWriting(): boolean {
    return this.sealed && this.queuedAppends === 0;
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
    const position = this.assignedBytes;
    if (position === 0) this.firstBatchTimestamp = maxTimestamp;
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
    this.noteBatchSize(size);
    this.assignedBytes += size;
    return position;
  }

  /** Remembers the largest batch seen (appended or read), to size read windows. */
  noteBatchSize(size: number): void {
    if (size > this.largestBatch) this.largestBatch = size;
  }

  /** An append was assigned here and its write queued (the writer reports it with appendsWritten). */
  appendQueued(): void {
    this.queuedAppends++;
  }

  /** `count` queued appends were written. */
  appendsWritten(count: number): void {
    this.queuedAppends -= count;
  }

  /** The log went offline: bytes assigned but never written do not count any more. */
  discardUnwritten(): void {
    this.assignedBytes = this.completedBytes;
  }

  /** Writes assigned batches at their position; readers see them once this resolves. */
  async write(buffers: readonly Buffer[], position: number, bytes: number): Promise<void> {
    if (this.created) await this.created;
    await this.env.files.use(this, (f) => f.write(buffers, position));
    this.wrote(position, bytes);
  }

  /**
   * `write` made now, on the calling thread, when it can be (the file created and open, and the
   * write small enough for DiskFile.writeNow): whether it was. Throws what the write throws.
   */
  writeNow(buffers: readonly Buffer[], position: number, bytes: number): boolean {
    if (this.created) return false;
    const written = this.env.files.useNow(this, (f) => {
      if (!f.writeNow || bytes > (f.writeNowMaxBytes ?? 0)) return false;
      f.writeNow(buffers, position);
      return true;
    });
    if (written) this.wrote(position, bytes);
    return written === true;
  }

  private wrote(position: number, bytes: number): void {
    this.logChanges++;
    this.completedBytes = Math.max(this.completedBytes, position + bytes);
    this.modifiedMs = this.env.clock.now();
  }

  /** fsyncs the .log file. */
  async sync(): Promise<void> {
    await this.ensureFile();
    // Writes that complete while the fsync runs count as changes after it.
    const changes = this.logChanges;
    await this.env.files.use(this, (f) => f.sync());
    this.logDurableAt = changes;
  }

  /**
   * Whether the segment's files are known to be durable as they are: no write, truncation or
   * index change since an fsync of each (or since `markDurable`). A new segment is not.
   */
  get isDurable(): boolean {
    return this.logDurableAt === this.logChanges && this.offsetIndex.isDurable && this.timeIndex.isDurable && (this.txn === null || this.txn.isDurable);
  }

  /**
   * The segment's files are as durable as the clean close that wrote the clean-shutdown summary
   * left them (every log was fsynced, indexes included, before its marker): a log opened from the
   * summary, before any change.
   */
  markDurable(): void {
    this.logDurableAt = this.logChanges;
    this.offsetIndex.markDurable();
    this.timeIndex.markDurable();
    this.txn?.markDurable();
  }

  /** Writes the index tails; with `sync`, makes indexes and log durable (before the recovery point passes it). */
  async flush(sync: boolean): Promise<void> {
    if (sync) await this.sync();
    await Promise.all([this.offsetIndex.persist(sync), this.timeIndex.persist(sync), this.txn && this.txn.entries > 0 ? this.txn.persist(sync) : undefined]);
  }

  /**
   * Takes no more appends (a roll, with the next segment's base; or a cleaned segment, whole).
   * As Kafka's onBecomeInactiveSegment, the last time index entry records the largest timestamp.
   */
  seal(nextSegmentBase?: bigint): void {
    this.recordMaxTimestampInIndex();
    this.sealed = true;
    this.rolledTo = nextSegmentBase;
  }

  /** Becomes the active segment again (a truncation removed the segments after it). */
  reactivate(): void {
    this.sealed = false;
    this.rolledTo = undefined;
  }

  private recordMaxTimestampInIndex(): void {
    if (this.maxTimestampSoFar !== undefined && this.offsetOfMaxTimestampSoFar !== undefined && this.timeIndex.lastKnown !== undefined) {
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true);
    }
  }

  /** Every batch here counts as acknowledged (recovered from disk, or written whole by the cleaner). */
  markAllAcknowledged(): void {
    this.acknowledgedMax = { timestamp: this.maxTimestampSoFar!, offset: this.offsetOfMaxTimestampSoFar! };
  }

  /**
   * Forgets what is known of the batches, before recovery reads the whole file again and assigns
   * each valid batch anew (which rebuilds sizes, indexes and timestamps).
   */
  beginRecovery(fileSize: number): void {
    this.maxTimestampSoFar = NO_TIMESTAMP;
    this.offsetOfMaxTimestampSoFar = this.baseOffset;
    this.firstBatchTimestamp = undefined;
    this.bytesSinceLastIndexEntry = 0;
    this.assignedBytes = 0;
    this.completedBytes = fileSize;
    this.readEnds = null;
  }

  /** Recovery kept the first `validEnd` bytes: they are all there is, and all acknowledged. */
  completeRecovery(validEnd: number): void {
    this.assignedBytes = validEnd;
    this.completedBytes = validEnd;
    // As Kafka's recover: the last time index entry carries the segment's largest timestamp.
    this.recordMaxTimestampInIndex();
    this.markAllAcknowledged();
  }

  /** What reading the tail of the file found (after a clean shutdown): every batch is acknowledged. */
  restoreTailState(tail: SegmentTailState): void {
    this.maxTimestampSoFar = tail.maxTimestamp;
    this.offsetOfMaxTimestampSoFar = tail.offsetOfMaxTimestamp;
    this.bytesSinceLastIndexEntry = tail.bytesSinceLastIndexEntry;
    this.firstBatchTimestamp = tail.firstBatchTimestamp;
    this.markAllAcknowledged();
  }

  /** The state of the segment's end (as restoreTailState takes it), or undefined when it was never read. */
  tailState(): SegmentTailState | undefined {
    if (this.maxTimestampSoFar === undefined || this.offsetOfMaxTimestampSoFar === undefined) return undefined;
    return { maxTimestamp: this.maxTimestampSoFar, offsetOfMaxTimestamp: this.offsetOfMaxTimestampSoFar, bytesSinceLastIndexEntry: this.bytesSinceLastIndexEntry, firstBatchTimestamp: this.firstBatchTimestamp };
  }

  /**
   * Whether the time-based roll is due (segment.ms minus this segment's jitter), as Kafka's
   * shouldRoll: from the first batch's timestamp to the incoming batches' largest one, or, when the
   * first batch has none, from the segment's creation to now. Records stamped long ago do not roll
   * a segment at every append.
   */
  timeToRoll(now: number, segmentMs: number, incomingMaxTimestamp: bigint): boolean {
    if (this.assignedBytes === 0) return false;
    const ts = this.firstBatchTimestamp;
    const since = ts !== undefined && ts >= 0n ? Number(incomingMaxTimestamp - ts) : now - this.createdMs;
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

  /** The segment's `.txnindex` (Kafka's TransactionIndex), created empty on first use. */
  get txnIndex(): TransactionIndex {
    return (this.txn ??= new TransactionIndex(this.env, this, this.baseOffset, 0));
  }

  /** Bytes of the `.txnindex` as far as this segment knows (0: none). */
  get txnIndexBytes(): number {
    return this.txn?.sizeInBytes ?? 0;
  }

  /** Whether the segment has a transaction index with entries (or one on disk). */
  get hasTxnIndex(): boolean {
    return this.txn !== null && this.txn.entries > 0;
  }

  /** Kafka's largestTimestamp: the largest record timestamp, or the file's mtime when there is none. */
  async largestTimestamp(): Promise<number> {
    const { timestamp } = await this.maxTimestampAndOffset();
    return timestamp >= 0n ? Number(timestamp) : this.modifiedMs;
  }

  /** The file position of `offset` if a recent read ended exactly there. */
  readEndAt(offset: bigint): number | undefined {
    const ends = this.readEnds;
    if (!ends) return undefined;
    for (const e of ends) if (e.offset === offset && e.position <= this.completedBytes) return e.position;
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
    this.logChanges++;
    this.assignedBytes = position;
    this.completedBytes = position;
    this.readEnds = null;
  }

  /** Renames the three files from suffix `from` to `to` (".deleted", ".swap", '' for the final name). */
  async changeSuffix(from: string, to: string): Promise<void> {
    this.logChanges++;
    const prev = this.state;
    const next = (prev.endsWith(from) ? prev.slice(0, prev.length - from.length) : prev) + to;
    const kinds = [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX];
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
    for (const p of [this.filePath, this.offsetIndex.path, this.timeIndex.path, this.indexPath(TXN_INDEX_FILE_SUFFIX)]) {
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
    this.txn?.release();
    await this.env.files.forget(this);
  }

  toString(): string {
    return `${dirname(this.filePath)}/${this.baseOffset}`;
  }
}
