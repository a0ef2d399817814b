/**
 * One partition's log (Kafka's UnifiedLog + LocalLog for a single node): a list of segments in
 * offset order, the last one active, with the offsets the broker reports.
 *
 * - logStartOffset: the first offset a reader may ask for (retention and DeleteRecords move it).
 * - logEndOffset: the offset the next append gets; advanced synchronously in append, so appends
 *   take offsets in call order even though they complete asynchronously.
 * - highWatermark: the end of the acknowledged prefix: appends are acknowledged in order once
 *   durable per the topic's policy (written; or fsynced for fsync-before-ack and flush.messages).
 * - recoveryPoint: every segment below it is fsynced with complete indexes; after a crash only
 *   segments from it on are scanned.
 *
 * Batches are opaque here (DESIGN.md principle 1): append patches base offsets, leader epoch and
 * LogAppendTime in place and writes the caller's bytes; read returns whole batches as stored.
 */
import type { TimerHandle } from '../common/clock.js';
import { NEVER, type LogConfig } from './log-config.js';
import { CorruptIndexError, InvalidAppendError, LogClosedError, LogOfflineError, LogTruncatingError, OffsetOutOfRangeError } from './log-errors.js';
import type { LogLogger } from './log-logger.js';
import { LogSegment, type SegmentEnv, type SegmentSettings } from './log-segment.js';
import { type AppendResult, LogWriter, type PendingAppend, type WriterHost } from './log-writer.js';
import { Mutex } from './mutex.js';
import { RESOLVED } from './index-file.js';
import { readSegments } from './segment-read.js';
import { recoverSegment } from './segment-recovery.js';
import { type AppendSpan, patchAppendBatches, walkAppendBatches } from './append-batches.js';
import { DELETED_FILE_SUFFIX } from './file-names.js';
import { isNotFound } from '../storage/storage-error.js';
import { maxTimestampOffset, offsetForTimestamp } from './log-timestamps.js';
import { truncateTo } from './log-truncation.js';
import { type RetentionResult, deleteOldSegments } from './log-retention.js';
import type { TimestampOffset } from './time-index.js';
import type { BufferSource } from './read-buffer-pool.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { producerIdAt } from './batch-fields.js';
import { type ProducerBatch, ProducerState, ProducerStateError } from './producer-state.js';
import { deleteProducerSnapshotsAbove, noteStoredBatch, producerAppendAt, writeProducerSnapshot } from './producer-snapshots.js';

export type { AppendResult } from './log-writer.js';

export interface AppendOptions {
  /** Stamped on every batch as its partitionLeaderEpoch. */
  leaderEpoch?: number;
  /** For message.timestamp.type=LogAppendTime: the time stamped on every batch. */
  logAppendTime?: bigint;
}

export interface ReadOptions {
  /** Return the first batch whole even when larger than maxBytes (KIP-74). Default false. */
  minOneBatch?: boolean;
  /** Only batches whose last offset is below this (default: the high watermark). */
  maxOffset?: bigint;
  /** Where the read's buffers come from (a pool lease); default fresh allocations. */
  buffers?: BufferSource;
}

export interface ReadResult {
  /** Whole record batches as stored, in offset order. */
  chunks: Buffer[];
  bytes: number;
  highWatermark: bigint;
  logStartOffset: bigint;
}

/** Called when the high watermark advances, with the new value (wakes long-poll fetches). */
export type AppendListener = (highWatermark: bigint) => void;

export interface LogEnv extends SegmentEnv {
  logger: LogLogger;
  random: () => number;
  /** Persists every log's start offset (DeleteRecords waits for it). */
  checkpointLogStartOffsets(): Promise<void>;
  /** Persists every log's recovery point (after it moved backwards). */
  checkpointRecoveryPoints(): Promise<void>;
  /** The log end went backwards: the cleaner's checkpoint for it must follow (and be persisted). */
  logTruncated?(log: PartitionLog): Promise<void>;
}

export interface PartitionLogInit {
  topic: string;
  partition: number;
  dir: string;
  config: LogConfig;
  env: LogEnv;
  segments: LogSegment[];
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** The idempotent producers' state as of the log end (default: none known). */
  producerState?: ProducerState;
  /** Whether producer snapshots exist on disk (then every roll writes one, so none goes stale). */
  hasProducerSnapshots?: boolean;
}

/** Positions in a segment are int32, whatever segment.bytes says. */
const MAX_SEGMENT_BYTES = 0x7fffffff;
/**
 * Index entries kept in memory before they are written out (not fsynced) even without a flush:
 * bounds an active segment's index memory to 64 KiB + 96 KiB whatever its size.
 */
const INDEX_TAIL_PERSIST_ENTRIES = 8192;

export class PartitionLog implements WriterHost {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  private cfg: LogConfig;
  private readonly env: LogEnv;
  private segs: readonly LogSegment[];
  private start: bigint;
  private leo: bigint;
  private hw: bigint;
  private flushed: bigint;
  private rp: bigint;
  /** Offset up to which a flush.messages fsync has been asked for. */
  private flushRequested: bigint;
  /** Created on first use: most of 100,000 partitions never append after open (see docs/storage.md). */
  private writerInstance: LogWriter | null = null;
  /** Flushes of rolled segments, in roll order; never rejects (a failure takes the log offline). */
  private finalizeChain: Promise<void> = RESOLVED;
  private flushTimer: TimerHandle | null = null;
  private offline: LogOfflineError | null = null;
  private state: 'open' | 'truncating' | 'closing' | 'closed' = 'open';
  private listeners: Set<AppendListener> | null = null;
  private maintenanceMutex: Mutex | null = null;
  private pendingDeletes: Set<TimerHandle> | null = null;
  private repairs: Map<LogSegment, Promise<void>> | null = null;
  /** The lowest log end a truncation left since the cleaner last asked. */
  private truncationFloor: bigint | undefined;
  private readonly producers: ProducerState;
  private hasProducerSnapshots: boolean;
  /** The latest producer snapshot write (never rejects: a failure is logged, the next roll writes again). */
  private snapshotWrite: Promise<void> = RESOLVED;

  constructor(init: PartitionLogInit) {
    this.topic = init.topic;
    this.partition = init.partition;
    this.dir = init.dir;
    this.cfg = init.config;
    this.env = init.env;
    if (init.segments.length === 0) throw new RangeError('a log needs at least one segment');
    this.segs = init.segments;
    this.start = init.logStartOffset;
    this.leo = init.logEndOffset;
    this.hw = init.logEndOffset;
    this.flushed = init.logEndOffset;
    this.flushRequested = init.logEndOffset;
    this.rp = this.active.baseOffset;
    this.producers = init.producerState ?? new ProducerState();
    this.hasProducerSnapshots = init.hasProducerSnapshots ?? false;
  }

  private get writer(): LogWriter {
    return (this.writerInstance ??= new LogWriter(this));
  }

  private get maintenance(): Mutex {
    return (this.maintenanceMutex ??= new Mutex());
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  get logStartOffset(): bigint {
    return this.start;
  }

  get logEndOffset(): bigint {
    return this.leo;
  }

  get highWatermark(): bigint {
    return this.hw;
  }

  /** Everything below it has been fsynced. */
  get flushedOffset(): bigint {
    return this.flushed;
  }

  get recoveryPoint(): bigint {
    return this.rp;
  }

  get config(): LogConfig {
    return this.cfg;
  }

  get segments(): readonly LogSegment[] {
    return this.segs;
  }

  get active(): LogSegment {
    return this.segs[this.segs.length - 1]!;
  }

  /** Bytes of all segments (DescribeLogDirs). */
  get sizeInBytes(): number {
    let n = 0;
    for (const s of this.segs) n += s.size;
    return n;
  }

  /** The error that took the log offline, or null. */
  get offlineError(): LogOfflineError | null {
    return this.offline;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  updateConfig(config: LogConfig): void {
    this.cfg = config;
  }

  /** Listens for high watermark advances; returns the function that stops listening. */
  onAppend(listener: AppendListener): () => void {
    (this.listeners ??= new Set()).add(listener);
    return () => this.listeners?.delete(listener);
  }

  /**
   * Appends one or more validated v2 batches (the bytes are patched in place and written as
   * they are: the caller must not reuse the buffer). Offsets are assigned now, in call order;
   * the promise resolves once the append is durable per the policy. Batches of idempotent
   * producers are checked against the producer state first: a refused one rejects with a
   * ProducerStateError, and a retry of a batch the log holds resolves with its offsets then.
   */
  append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    const refused = this.appendRefusal();
    if (refused) return Promise.reject(refused);
    let spans: AppendSpan[];
    try {
      spans = walkAppendBatches(batches);
    } catch (err) {
      return Promise.reject(err instanceof InvalidAppendError ? err : new InvalidAppendError(`not whole v2 batches: ${(err as Error).message}`, { cause: err }));
    }
    const baseOffset = this.leo;
    const { lastOffset, maxTimestamp, offsetOfMaxTimestamp } = patchAppendBatches(batches, spans, baseOffset, opts);
    // A roll snapshots the producer state as of the new segment's base: before this batch counts.
    this.maybeRoll(batches.length, lastOffset, maxTimestamp);
    let duplicate: ProducerBatch | undefined;
    try {
      duplicate = this.updateProducerState(batches, spans);
    } catch (err) {
      return Promise.reject(err);
    }
    if (duplicate) return this.duplicateAppend(duplicate);
    const segment = this.active;
    const position = segment.size;
    for (const s of spans) segment.assign(s.size, s.lastOffset, s.maxTimestamp);
    segment.appendQueued();
    if (segment.offsetIndex.unpersistedEntries >= INDEX_TAIL_PERSIST_ENTRIES || segment.timeIndex.unpersistedEntries >= INDEX_TAIL_PERSIST_ENTRIES) {
      segment.flush(false).catch((err: unknown) => this.fail(err));
    }
    const nextOffset = lastOffset + 1n;
    this.leo = nextOffset;
    const syncBeforeAck = this.cfg.fsyncBeforeAck || this.flushMessagesReached(nextOffset);
    return new Promise<AppendResult>((resolve, reject) => {
      const result: AppendResult = { baseOffset, lastOffset, logAppendTime: opts.logAppendTime ?? -1n, logStartOffset: this.start };
      const pending: PendingAppend = { segment, position, buffer: batches, nextOffset, maxTimestamp, offsetOfMaxTimestamp, syncBeforeAck, result, resolve, reject };
      this.writer.enqueue(pending);
    });
  }

  /**
   * Checks the batches' producer fields and records them (all or none); returns the batch the
   * log already holds when a single batch is a retry of it.
   */
  private updateProducerState(buf: Buffer, spans: readonly AppendSpan[]): ProducerBatch | undefined {
    let saved: ReturnType<ProducerState['save']> | undefined;
    const now = this.env.clock.now();
    try {
      for (const s of spans) {
        const a = producerAppendAt(buf, s.position);
        if (!a) continue;
        const duplicate = this.producers.check(a);
        if (duplicate && spans.length === 1) return duplicate;
        if (duplicate) throw new ProducerStateError(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, `Producer ${a.producerId} repeated sequence ${a.firstSeq} among other batches`);
        // Only a later batch of the same append can be refused after this one is recorded.
        if (spans.length > 1) saved ??= this.producers.save(spans.map((x) => producerIdAt(buf, x.position)));
        noteStoredBatch(this.producers, a, buf, s.position, now);
      }
    } catch (err) {
      if (saved) this.producers.restore(saved);
      throw err;
    }
    return undefined;
  }

  /** A retried batch: its first offsets, once they are acknowledged (Kafka answers no append time). */
  private duplicateAppend(b: ProducerBatch): Promise<AppendResult> {
    const result = (): AppendResult => ({ baseOffset: b.firstOffset, lastOffset: b.lastOffset, logAppendTime: -1n, logStartOffset: this.start });
    if (b.lastOffset < this.hw) return Promise.resolve(result());
    return new Promise((resolve, reject) => {
      const stop = this.onAppend(() => {
        if (this.offline) reject(this.offline);
        else if (b.lastOffset < this.hw) resolve(result());
        else return;
        stop();
      });
    });
  }

  private appendRefusal(): Error | undefined {
    if (this.offline) return this.offline;
    if (this.state === 'truncating') return new LogTruncatingError(this.name);
    if (this.state !== 'open') return new LogClosedError(this.name);
    return undefined;
  }

  /** flush.messages: whether this append brings the unflushed messages to the limit (Kafka counts offsets). */
  private flushMessagesReached(nextOffset: bigint): boolean {
    const limit = this.cfg.flushMessages;
    if (limit >= NEVER || nextOffset - this.flushRequested < BigInt(limit)) return false;
    this.flushRequested = nextOffset;
    return true;
  }

  /** Kafka's shouldRoll: size, time, a full index, or an offset the active segment cannot index. */
  private maybeRoll(bytes: number, lastOffset: bigint, maxTimestamp: bigint): void {
    const seg = this.active;
    if (seg.size === 0) return;
    const maxBytes = Math.min(this.cfg.segmentBytes, MAX_SEGMENT_BYTES);
    const roll =
      seg.size + bytes > maxBytes ||
      seg.timeToRoll(this.env.clock.now(), this.cfg.segmentMs) ||
      seg.offsetIndex.isFull() ||
      seg.timeIndex.isFull() ||
      !seg.canHoldOffset(lastOffset);
    if (!roll) return;
    this.env.logger.debug({ log: this.name, base: this.leo, size: seg.size, maxTimestamp: String(maxTimestamp) }, 'rolling segment');
    this.roll();
  }

  /** Starts a new active segment at the log end offset; the old one is flushed in the background. */
  roll(): LogSegment {
    const old = this.active;
    if (old.size === 0) return old;
    old.seal(this.leo);
    this.snapshotProducers(this.leo);
    const seg = LogSegment.create(this.env, this.dir, this.leo, this.segmentSettings(), this.rollJitter());
    this.segs = [...this.segs, seg];
    if (old.finishedWriting) this.sealedSegmentWritten(old);
    return seg;
  }

  /** Writes the producer state as of `offset` in the background (only once there is any to keep). */
  private snapshotProducers(offset: bigint): Promise<void> {
    this.producers.removeExpired(this.env.clock.now());
    if (this.producers.size === 0 && !this.hasProducerSnapshots) return this.snapshotWrite;
    this.hasProducerSnapshots = true;
    const snapshot = this.producers.encodeSnapshot();
    this.snapshotWrite = this.snapshotWrite
      .then(() => writeProducerSnapshot(this.env.disk, this.dir, offset, snapshot))
      .catch((err: unknown) => this.env.logger.warn({ err, log: this.name }, 'could not write a producer snapshot'));
    return this.snapshotWrite;
  }

  segmentSettings(): SegmentSettings {
    return { indexIntervalBytes: this.cfg.indexIntervalBytes, maxIndexSize: this.cfg.segmentIndexBytes };
  }

  /** segment.jitter.ms: a random amount, below segment.ms, taken off this segment's roll time. */
  rollJitter(): number {
    const bound = Math.min(this.cfg.segmentJitterMs, this.cfg.segmentMs);
    return bound > 0 ? Math.floor(this.env.random() * bound) : 0;
  }

  /** @internal WriterHost: a rolled segment has no writes left in flight; flush it in the background. */
  sealedSegmentWritten(seg: LogSegment): void {
    if (!seg.finishedWriting) return;
    this.finalizeChain = this.finalizeChain.then(async () => {
      if (this.offline) return;
      try {
        await seg.flush(true);
        const next = seg.nextSegmentBase ?? seg.baseOffset;
        if (next > this.rp) this.rp = next;
      } catch (err) {
        this.fail(err);
      }
    });
  }

  /** @internal WriterHost */
  async syncThrough(segment: LogSegment, upTo: bigint): Promise<void> {
    await Promise.all([segment.sync(), this.finalizeChain]);
    if (this.offline) throw this.offline;
    if (upTo > this.flushed) this.flushed = upTo;
  }

  /** @internal WriterHost */
  acknowledge(group: readonly PendingAppend[]): void {
    for (const p of group) {
      if (p.nextOffset > this.hw) this.hw = p.nextOffset;
      p.segment.noteAcknowledged(p.maxTimestamp, p.offsetOfMaxTimestamp);
      p.result.logStartOffset = this.start;
      p.resolve(p.result);
    }
    this.notifyListeners();
  }

  private notifyListeners(): void {
    for (const l of this.listeners ?? []) {
      try {
        l(this.hw);
      } catch (err) {
        this.env.logger.error({ err, log: this.name }, 'append listener threw');
      }
    }
  }

  /** @internal WriterHost. flush.ms: fsync once the oldest unflushed write is this old. */
  wroteUnsynced(): void {
    if (this.flushTimer || this.cfg.flushMs >= NEVER) return;
    this.flushTimer = this.env.clock.setTimeout(() => {
      this.flushTimer = null;
      this.flush().catch(() => {});
    }, this.cfg.flushMs);
  }

  /** fsyncs everything appended so far; resolves when it is durable. */
  async flush(): Promise<void> {
    await this.writerInstance?.idle();
    if (this.offline) throw this.offline;
    const upTo = this.leo;
    if (upTo <= this.flushed) {
      await this.finalizeChain;
      if (this.offline) throw this.offline;
      return;
    }
    if (upTo > this.flushRequested) this.flushRequested = upTo;
    try {
      await this.syncThrough(this.active, upTo);
    } catch (err) {
      throw this.fail(err);
    }
  }

  /** Takes the log offline (once) and rejects queued appends; returns the error to report. */
  private fail(err: unknown): LogOfflineError {
    this.writer.fail(err);
    return this.offline!;
  }

  /** @internal WriterHost: an I/O error takes the log offline. */
  failed(err: unknown): LogOfflineError {
    return this.goOffline(err);
  }

  private goOffline(err: unknown): LogOfflineError {
    if (this.offline) return this.offline;
    this.offline = err instanceof LogOfflineError ? err : new LogOfflineError(this.name, { cause: err });
    this.env.logger.error({ err, log: this.name, highWatermark: String(this.hw) }, 'log offline after an I/O error; appends refused until reopened');
    // Nothing past the acknowledged prefix counts any more; recovery will truncate it on reopen.
    this.leo = this.hw;
    for (const s of this.segs) s.discardUnwritten();
    // Wakes whoever waits for the high watermark (a retried batch's answer) to see the log is offline.
    this.notifyListeners();
    return this.offline;
  }

  /**
   * Whole batches from `offset`, up to `maxBytes` (the first batch whole when minOneBatch).
   * Throws OffsetOutOfRangeError below the log start offset or beyond the log end offset.
   */
  async read(offset: bigint, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.readOnce(offset, maxBytes, opts);
      } catch (err) {
        // A segment deleted (and its files moved) while we read it: read again from the new list.
        if (attempt === 0 && isNotFound(err)) continue;
        throw err;
      }
    }
  }

  private async readOnce(offset: bigint, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    if (offset < this.start || offset > this.leo) throw new OffsetOutOfRangeError(offset, this.start, this.leo, `log ${this.name}`);
    const maxOffset = opts.maxOffset !== undefined && opts.maxOffset < this.hw ? opts.maxOffset : this.hw;
    const out: ReadResult = { chunks: [], bytes: 0, highWatermark: this.hw, logStartOffset: this.start };
    if (offset >= maxOffset || maxBytes < 0) return out;
    const r = await readSegments(this.segs, offset, { maxBytes, maxOffset, minOneBatch: opts.minOneBatch ?? false }, (seg, fn) => this.withIndexRepair(seg, fn), opts.buffers);
    out.chunks = r.chunks;
    out.bytes = r.bytes;
    return out;
  }

  /** The first acknowledged record with a timestamp at or after `timestamp` (ListOffsets by time). */
  offsetForTimestamp(timestamp: bigint): Promise<TimestampOffset | undefined> {
    return offsetForTimestamp(this, timestamp);
  }

  /** The acknowledged record with the largest timestamp, the first one on ties (ListOffsets MAX_TIMESTAMP). */
  maxTimestampOffset(): Promise<TimestampOffset | undefined> {
    return maxTimestampOffset(this);
  }

  /** Removes every offset at or above `offset` (replication); resolves with the new log end offset. */
  truncateTo(offset: bigint): Promise<bigint> {
    return truncateTo(this, offset, this.env);
  }

  /** Applies retention now (the LogManager runs it on a schedule). */
  deleteOldSegments(now = this.env.clock.now()): Promise<RetentionResult> {
    return deleteOldSegments(this, now);
  }

  /** Takes the log offline after an I/O error found outside the append path (maintenance). */
  markOffline(err: unknown): LogOfflineError {
    return this.fail(err);
  }

  /**
   * Runs `fn`, which reads `seg` through its indexes; if an index file turns out damaged when it
   * is first read back (they are checked lazily), rebuilds the segment's indexes from its log
   * and runs `fn` again. Only inactive segments load index files lazily.
   */
  async withIndexRepair<T>(seg: LogSegment, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof CorruptIndexError) || seg === this.active) throw err;
      const repairs = (this.repairs ??= new Map());
      let repair = repairs.get(seg);
      if (!repair) {
        this.env.logger.warn({ err, segment: seg.filePath }, 'rebuilding a damaged index from its segment');
        repair = recoverSegment(seg).then((r) => {
          if (r.truncatedBytes > 0) this.env.logger.error({ segment: seg.filePath, truncatedBytes: r.truncatedBytes, reason: r.reason }, 'a segment below the recovery point was damaged; its invalid tail was cut');
        });
        repairs.set(seg, repair);
        void repair.finally(() => repairs.delete(seg)).catch(() => {});
      }
      await repair;
      return fn();
    }
  }

  /** Runs `fn` exclusively with the log's other maintenance (retention, cleaning, truncation). */
  withMaintenance<T>(fn: () => Promise<T>): Promise<T> {
    return this.maintenance.run(fn);
  }

  /**
   * Retires segments (retention, truncation, cleaning): renames their files `.deleted` (a restart
   * finishes the deletion), then swaps them out of the list for `replacement` (built after the
   * renames, as it may reuse a base offset), and deletes the files after file.delete.delay.ms so
   * reads already under way can finish.
   */
  async retireSegments(old: readonly LogSegment[], replacement?: () => Promise<LogSegment>): Promise<void> {
    if (old.length === 0 && !replacement) return;
    for (const s of old) await s.changeSuffix('', DELETED_FILE_SUFFIX);
    const added = replacement ? await replacement() : undefined;
    const gone = new Set(old);
    const kept = this.segs.filter((s) => !gone.has(s));
    if (added) {
      kept.push(added);
      kept.sort((a, b) => (a.baseOffset < b.baseOffset ? -1 : a.baseOffset > b.baseOffset ? 1 : 0));
    }
    if (kept.length === 0) throw new RangeError('retiring every segment needs a replacement');
    this.segs = kept;
    if (old.length > 0) this.scheduleFileDeletion(old);
  }

  private scheduleFileDeletion(old: readonly LogSegment[]): void {
    const handle = this.env.clock.setTimeout(() => {
      this.pendingDeletes?.delete(handle);
      void this.deleteSegmentFiles(old);
    }, this.cfg.fileDeleteDelayMs);
    (this.pendingDeletes ??= new Set()).add(handle);
  }

  private async deleteSegmentFiles(old: readonly LogSegment[]): Promise<void> {
    for (const s of old) {
      try {
        await s.deleteFiles();
        await s.release();
      } catch (err) {
        this.env.logger.warn({ err, segment: s.filePath }, 'could not delete a retired segment (removed at next start)');
      }
    }
  }

  /** Moves the log start offset forward (DeleteRecords); persisted before this resolves. */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    if (offset > this.hw || offset < 0n) throw new OffsetOutOfRangeError(offset, this.start, this.hw, `the deletable range of ${this.name}`);
    if (offset > this.start) {
      this.start = offset;
      await this.env.checkpointLogStartOffsets();
    }
    return this.start;
  }

  /** Raises the log start offset to the first segment's base once retention removed segments below it. */
  advanceStartToFirstSegment(): void {
    const first = this.segs[0]!.baseOffset;
    if (first > this.start) this.start = first;
  }

  /** Sets the recovery point lower (truncation) and persists it. */
  async lowerRecoveryPoint(offset: bigint): Promise<void> {
    if (offset >= this.rp) return;
    this.rp = offset;
    await this.env.checkpointRecoveryPoints();
  }

  /** @internal for truncation: replaces the whole state after the segments were cut. */
  resetEnd(segments: readonly LogSegment[], logEndOffset: bigint, logStartOffset: bigint): void {
    if (this.truncationFloor === undefined || logEndOffset < this.truncationFloor) this.truncationFloor = logEndOffset;
    this.segs = segments;
    this.leo = logEndOffset;
    // An emptied log starting afresh has everything up to its start acknowledged and durable.
    const emptied = segments.length === 1 && segments[0]!.size === 0 && segments[0]!.baseOffset === logEndOffset;
    if (this.hw > logEndOffset || emptied) this.hw = logEndOffset;
    if (this.flushed > logEndOffset || emptied) this.flushed = logEndOffset;
    this.flushRequested = logEndOffset;
    this.start = logStartOffset;
    this.producers.truncateFrom(logEndOffset);
    if (this.hasProducerSnapshots) {
      this.snapshotWrite = this.snapshotWrite
        .then(() => deleteProducerSnapshotsAbove(this.env.disk, this.dir, logEndOffset))
        .catch((err: unknown) => this.env.logger.warn({ err, log: this.name }, 'could not delete producer snapshots past a truncation'));
    }
  }

  /**
   * The lowest log end offset a truncation left since the last call, then forgets it: the cleaner
   * lowers its checkpoint to it (data appended after a truncation is dirty, whatever its offset).
   */
  takeTruncationFloor(): bigint | undefined {
    const floor = this.truncationFloor;
    this.truncationFloor = undefined;
    return floor;
  }

  /** @internal truncation blocks appends while it runs. */
  async beginTruncation(): Promise<void> {
    if (this.state !== 'open') throw this.appendRefusal() ?? new LogClosedError(this.name);
    this.state = 'truncating';
    await this.writerInstance?.idle();
    await this.finalizeChain;
  }

  /** @internal */
  endTruncation(): void {
    if (this.state === 'truncating') this.state = 'open';
  }

  /**
   * Stops appends, waits for queued ones, flushes everything with indexes, and releases files.
   * Returns false when the log was offline (its state on disk needs recovery at next open).
   */
  async close(opts: { flush?: boolean } = {}): Promise<boolean> {
    if (this.state === 'closed') return this.offline === null;
    this.state = 'closing';
    await this.writerInstance?.idle();
    await this.maintenanceMutex?.run(async () => {});
    this.flushTimer?.cancel();
    this.flushTimer = null;
    for (const h of this.pendingDeletes ?? []) h.cancel();
    this.pendingDeletes = null;
    let clean = this.offline === null;
    if (clean && opts.flush !== false) {
      try {
        await this.flush();
        await this.finalizeChain;
        await this.active.flush(true);
        this.rp = this.leo;
        await this.snapshotProducers(this.leo);
      } catch (err) {
        this.goOffline(err);
        clean = false;
      }
    }
    await this.snapshotWrite;
    await Promise.all(this.segs.map((s) => s.release()));
    this.state = 'closed';
    return clean && this.offline === null;
  }
}
