/**
 * The segments of one partition on this node's disk (Kafka's LocalLog): the segment list and the
 * active segment that takes appends, rolling, the writer and the durability it gives (flushed
 * offset, recovery point, flush.ms and flush.messages), reads over segments, retiring segments,
 * and going offline. It knows nothing of what the offsets mean to clients: the log start offset,
 * producer state, leader epochs and listeners belong to PartitionLog, which owns one LocalLog.
 *
 * - logEndOffset: the offset the next append gets; advanced synchronously in append, so appends
 *   take offsets in call order even though they complete asynchronously.
 * - acknowledgedEnd: the end of the acknowledged prefix: appends are acknowledged in order once
 *   durable per the topic's policy (written; or fsynced for fsync-before-ack and flush.messages).
 * - flushedOffset: everything below it is fsynced.
 * - recoveryPoint: every segment below it is fsynced with complete indexes, and so is what the
 *   owner keeps about those offsets (beforeRecoveryPointMoves); after a crash only segments from it
 *   on are scanned.
 */
import type { TimerHandle } from '../common/clock.js';
import type { AppendSpan } from './append-batches.js';
import { DELETED_FILE_SUFFIX } from './file-names.js';
import { RESOLVED } from './index-file.js';
import { NEVER, type LogConfig, maxSegmentMs } from './log-config.js';
import { CorruptIndexError, LogClosedError, LogOfflineError, LogTruncatingError } from './log-errors.js';
import type { LogLogger } from './log-logger.js';
import { LogSegment, type SegmentEnv, type SegmentSettings } from './log-segment.js';
import { type AppendResult, LogWriter, type PendingAppend, type WriterHost } from './log-writer.js';
import { Mutex } from './mutex.js';
import type { BufferSource } from './read-buffer-pool.js';
import { type SegmentRead, readSegments, readSegmentsNow } from './segment-read.js';
import { recoverSegment } from './segment-recovery.js';

export interface LocalLogEnv extends SegmentEnv {
  logger: LogLogger;
  random: () => number;
  /** Persists every log's recovery point (after it moved backwards). */
  checkpointRecoveryPoints(): Promise<void>;
}

/** What a LocalLog tells the log that owns it (PartitionLog). */
export interface LocalLogOwner {
  /** The log start offset now (acknowledged appends report it). */
  readonly logStartOffset: bigint;
  /** Appends were acknowledged: the acknowledged end is now `end`, `bytes` further than before. */
  appendsAcknowledged(end: bigint, bytes: number): void;
  /**
   * The log went offline. `truncatedTo` is the new log end when appends in flight were dropped
   * (the end went back to the acknowledged end), undefined when there were none.
   */
  wentOffline(error: LogOfflineError, truncatedTo: bigint | undefined): void;
  /** Makes durable what the owner keeps about offsets the recovery point is about to pass. */
  beforeRecoveryPointMoves(): Promise<void>;
}

export interface LocalLogInit {
  topic: string;
  partition: number;
  dir: string;
  config: LogConfig;
  env: LocalLogEnv;
  segments: LogSegment[];
  logEndOffset: bigint;
  owner: LocalLogOwner;
}

/** Where an append's batches go and what the writer needs to acknowledge them. */
export interface SegmentAppend {
  batches: Buffer;
  spans: readonly AppendSpan[];
  lastOffset: bigint;
  maxTimestamp: bigint;
  offsetOfMaxTimestamp: bigint;
  result: AppendResult;
}

/** Positions in a segment are int32, whatever segment.bytes says. */
const MAX_SEGMENT_BYTES = 0x7fffffff;
/**
 * Index entries kept in memory before they are written out (not fsynced) even without a flush:
 * bounds an active segment's index memory to 64 KiB + 96 KiB whatever its size.
 */
const INDEX_TAIL_PERSIST_ENTRIES = 8192;

type LogState = 'open' | 'truncating' | 'closing' | 'closed';

export class LocalLog implements WriterHost {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  private cfg: LogConfig;
  private readonly env: LocalLogEnv;
  private readonly owner: LocalLogOwner;
  private segs: readonly LogSegment[];
  private leo: bigint;
  private ackEnd: bigint;
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
  private state: LogState = 'open';
  private maintenanceMutex: Mutex | null = null;
  private pendingDeletes: Set<TimerHandle> | null = null;
  private repairs: Map<LogSegment, Promise<void>> | null = null;
  /** Files of retired or abandoned segments may be left in the directory for the next open to remove. */
  private leftovers = false;
  private deletesInFlight = 0;

  constructor(init: LocalLogInit) {
    if (init.segments.length === 0) throw new RangeError('a log needs at least one segment');
    this.topic = init.topic;
    this.partition = init.partition;
    this.dir = init.dir;
    this.cfg = init.config;
    this.env = init.env;
    this.owner = init.owner;
    this.segs = init.segments;
    this.leo = init.logEndOffset;
    this.ackEnd = init.logEndOffset;
    this.flushed = init.logEndOffset;
    this.flushRequested = init.logEndOffset;
    this.rp = this.active.baseOffset;
  }

  /** `<topic>-<partition>`, for errors and log lines (computed: 100,000 idle logs keep no string for it). */
  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  private get writer(): LogWriter {
    return (this.writerInstance ??= new LogWriter(this));
  }

  get config(): LogConfig {
    return this.cfg;
  }

  updateConfig(config: LogConfig): void {
    this.cfg = config;
  }

  get segments(): readonly LogSegment[] {
    return this.segs;
  }

  get active(): LogSegment {
    return this.segs[this.segs.length - 1]!;
  }

  get logEndOffset(): bigint {
    return this.leo;
  }

  /** The end of the acknowledged prefix of this log (durable per the topic's policy). */
  get acknowledgedEnd(): bigint {
    return this.ackEnd;
  }

  get flushedOffset(): bigint {
    return this.flushed;
  }

  get recoveryPoint(): bigint {
    return this.rp;
  }

  /** Bytes of all segments (DescribeLogDirs, retention.bytes). */
  get sizeInBytes(): number {
    let n = 0;
    for (const s of this.segs) n += s.size;
    return n;
  }

  get offlineError(): LogOfflineError | null {
    return this.offline;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Whether maintenance (retention, cleaning) may touch the segments: open or truncating, and online. */
  get maintainable(): boolean {
    return this.offline === null && this.state !== 'closed';
  }

  segmentSettings(): SegmentSettings {
    return { indexIntervalBytes: this.cfg.indexIntervalBytes, maxIndexSize: this.cfg.segmentIndexBytes };
  }

  /** segment.jitter.ms: a random amount, below segment.ms, taken off this segment's roll time. */
  rollJitter(): number {
    const bound = Math.min(this.cfg.segmentJitterMs, this.cfg.segmentMs);
    return bound > 0 ? Math.floor(this.env.random() * bound) : 0;
  }

  /** A new empty segment of this log at `baseOffset` (its file is created in the background). */
  newSegment(baseOffset: bigint, suffix = ''): LogSegment {
    return LogSegment.create(this.env, this.dir, baseOffset, this.segmentSettings(), suffix === '' ? this.rollJitter() : 0, suffix);
  }

  /** Why an append must be refused now, if it must. */
  appendRefusal(): Error | undefined {
    if (this.offline) return this.offline;
    if (this.state === 'truncating') return new LogTruncatingError(this.name);
    if (this.state !== 'open') return new LogClosedError(this.name);
    return undefined;
  }

  /** Kafka's shouldRoll: size, time (segment.ms or a compacted log's max.compaction.lag.ms, by the incoming batches' largest timestamp), a full index, or an offset the active segment cannot index. */
  shouldRoll(bytes: number, lastOffset: bigint, maxTimestamp: bigint): boolean {
    const seg = this.active;
    if (seg.size === 0) return false;
    const maxBytes = Math.min(this.cfg.segmentBytes, MAX_SEGMENT_BYTES);
    return (
      seg.size + bytes > maxBytes ||
      seg.timeToRoll(this.env.clock.now(), maxSegmentMs(this.cfg), maxTimestamp) ||
      seg.offsetIndex.isFull() ||
      seg.timeIndex.isFull() ||
      !seg.canHoldOffset(lastOffset)
    );
  }

  /** Starts a new active segment at the log end offset (unless the active one is empty); the old one is flushed in the background. */
  roll(): LogSegment {
    const old = this.active;
    if (old.size === 0) return old;
    old.seal(this.leo);
    const seg = this.newSegment(this.leo);
    this.segs = [...this.segs, seg];
    if (old.finishedWriting) this.sealedSegmentWritten(old);
    return seg;
  }

  /**
   * Assigns the batches their place in the active segment and queues their write; resolves once
   * they are acknowledged (written, and fsynced if the policy asks). Offsets were assigned by the
   * caller from logEndOffset, which moves past them now.
   */
  append(a: SegmentAppend): Promise<AppendResult> {
    const segment = this.active;
    const position = segment.size;
    for (const s of a.spans) segment.assign(s.size, s.lastOffset, s.maxTimestamp);
    segment.appendQueued();
    if (segment.offsetIndex.unpersistedEntries >= INDEX_TAIL_PERSIST_ENTRIES || segment.timeIndex.unpersistedEntries >= INDEX_TAIL_PERSIST_ENTRIES) {
      segment.flush(false).catch((err: unknown) => this.goOffline(err));
    }
    const nextOffset = a.lastOffset + 1n;
    this.leo = nextOffset;
    const syncBeforeAck = this.cfg.fsyncBeforeAck || this.flushMessagesReached(nextOffset);
    return new Promise<AppendResult>((resolve, reject) => {
      const { batches: buffer, maxTimestamp, offsetOfMaxTimestamp, result } = a;
      const pending: PendingAppend = { segment, position, buffer, nextOffset, maxTimestamp, offsetOfMaxTimestamp, syncBeforeAck, result, resolve, reject };
      this.writer.enqueue(pending);
    });
  }

  /** flush.messages: whether this append brings the unflushed messages to the limit (Kafka counts offsets). */
  private flushMessagesReached(nextOffset: bigint): boolean {
    const limit = this.cfg.flushMessages;
    if (limit >= NEVER || nextOffset - this.flushRequested < BigInt(limit)) return false;
    this.flushRequested = nextOffset;
    return true;
  }

  /** @internal WriterHost: a rolled segment has no writes left in flight; flush it in the background. */
  sealedSegmentWritten(seg: LogSegment): void {
    if (!seg.finishedWriting) return;
    this.finalizeChain = this.finalizeChain.then(async () => {
      // Retired while queued (retention, truncation, cleaning): nothing in it needs to be durable,
      // and its files may be gone (Kafka flushes only the segments still in the log).
      if (this.offline || !this.segs.includes(seg)) return;
      try {
        await seg.flush(true);
        await this.owner.beforeRecoveryPointMoves();
        const next = seg.nextSegmentBase ?? seg.baseOffset;
        if (next > this.rp && !this.offline) this.rp = next;
      } catch (err) {
        this.goOffline(err);
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
    const before = this.ackEnd;
    let bytes = 0;
    for (const p of group) {
      if (p.nextOffset > this.ackEnd) this.ackEnd = p.nextOffset;
      bytes += p.buffer.length;
      p.segment.noteAcknowledged(p.maxTimestamp, p.offsetOfMaxTimestamp);
      p.result.logStartOffset = this.owner.logStartOffset;
      p.resolve(p.result);
    }
    if (this.ackEnd > before) this.owner.appendsAcknowledged(this.ackEnd, bytes);
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
      throw this.goOffline(err);
    }
  }

  /**
   * Takes the log offline after an I/O error (the one way to do it, for the writer, flushes and
   * maintenance alike): appends queued and later are refused, and the appends in flight are
   * dropped, so the log end goes back to the acknowledged end (recovery cuts their bytes at the
   * next open). Acknowledged data stays readable. Returns the error to report; idempotent.
   */
  goOffline(err: unknown): LogOfflineError {
    if (this.offline) return this.offline;
    const offline = err instanceof LogOfflineError ? err : new LogOfflineError(this.name, { cause: err });
    this.offline = offline;
    this.env.logger.error({ err, log: this.name, acknowledgedEnd: String(this.ackEnd) }, 'log offline after an I/O error; appends refused until reopened');
    this.writerInstance?.stop(offline);
    const dropped = this.leo > this.ackEnd;
    this.leo = this.ackEnd;
    for (const s of this.segs) s.discardUnwritten();
    this.owner.wentOffline(offline, dropped ? this.leo : undefined);
    return offline;
  }

  /** Whole batches from `offset` below `maxOffset`, within `maxBytes` (the caller checked the range). */
  read(offset: bigint, maxBytes: number, limits: { maxOffset: bigint; minOneBatch: boolean }, buffers?: BufferSource): Promise<{ chunks: Buffer[]; bytes: number }> {
    return readSegments(this.segs, offset, { maxBytes, ...limits }, (seg, fn) => this.withIndexRepair<SegmentRead>(seg, fn), buffers);
  }

  /** `read` made now on the calling thread (readSegmentsNow), or undefined when it cannot be: then `read`. */
  readNow(offset: bigint, maxBytes: number, limits: { maxOffset: bigint; minOneBatch: boolean }, buffers?: BufferSource): { chunks: Buffer[]; bytes: number } | undefined {
    return readSegmentsNow(this.segs, offset, { maxBytes, maxOffset: limits.maxOffset, minOneBatch: limits.minOneBatch }, buffers);
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
    return (this.maintenanceMutex ??= new Mutex()).run(fn);
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
      this.deletesInFlight++;
      void this.deleteSegmentFiles(old).finally(() => this.deletesInFlight--);
    }, this.cfg.fileDeleteDelayMs);
    (this.pendingDeletes ??= new Set()).add(handle);
  }

  private async deleteSegmentFiles(old: readonly LogSegment[]): Promise<void> {
    // A background flush already running on one of them finishes first: it would reopen a removed file.
    await this.finalizeChain;
    for (const s of old) {
      try {
        await s.deleteFiles();
        await s.release();
      } catch (err) {
        this.leftovers = true;
        this.env.logger.warn({ err, segment: s.filePath }, 'could not delete a retired segment (removed at next start)');
      }
    }
  }

  /** Whether files were left in the directory for the next open to remove (its full load removes them). */
  get leftFilesBehind(): boolean {
    return this.leftovers;
  }

  /** Files (a retired or abandoned segment's) could not be removed: the next open must list the directory. */
  noteLeftFilesBehind(): void {
    this.leftovers = true;
  }

  /** Sets the recovery point lower (truncation) and persists it. */
  async lowerRecoveryPoint(offset: bigint): Promise<void> {
    if (offset >= this.rp) return;
    this.rp = offset;
    await this.env.checkpointRecoveryPoints();
  }

  /**
   * Runs `fn` (a truncation) with appends refused, once every queued append and background
   * flush has finished. Fails at once if the log is closing, closed or already truncating.
   */
  async whileTruncating<T>(fn: () => Promise<T>): Promise<T> {
    if (this.state !== 'open') throw this.appendRefusal() ?? new LogClosedError(this.name);
    this.state = 'truncating';
    try {
      await this.writerInstance?.idle();
      await this.finalizeChain;
      return await fn();
    } finally {
      if (this.state === 'truncating') this.state = 'open';
    }
  }

  /**
   * After truncation cut the segments: `segments` are what is left, ending at `logEndOffset`.
   * An emptied log starting afresh has everything up to its start acknowledged and durable.
   */
  replaceSegments(segments: readonly LogSegment[], logEndOffset: bigint): void {
    this.segs = segments;
    this.leo = logEndOffset;
    const emptied = segments.length === 1 && segments[0]!.size === 0 && segments[0]!.baseOffset === logEndOffset;
    if (this.ackEnd > logEndOffset || emptied) this.ackEnd = logEndOffset;
    if (this.flushed > logEndOffset || emptied) this.flushed = logEndOffset;
    this.flushRequested = logEndOffset;
  }

  /** Refuses appends from now on and waits for the queued ones and the log's maintenance. */
  async beginClose(): Promise<void> {
    this.state = 'closing';
    await this.writerInstance?.idle();
    await this.maintenanceMutex?.run(async () => {});
    this.flushTimer?.cancel();
    this.flushTimer = null;
    for (const h of this.pendingDeletes ?? []) {
      h.cancel();
      this.leftovers = true;
    }
    if (this.deletesInFlight > 0) this.leftovers = true;
    this.pendingDeletes = null;
  }

  /**
   * Makes everything durable with complete indexes, so the whole log is below the recovery point
   * (a clean shutdown skips its recovery). Takes the log offline and throws if that fails.
   */
  async flushForClose(): Promise<void> {
    try {
      await this.flush();
      await this.finalizeChain;
      // An active segment untouched since the clean close before this open (a log opened from its
      // summary and not written to) is as durable as that close left it: no open and fsync of its files.
      if (!this.active.isDurable) await this.active.flush(true);
      await this.owner.beforeRecoveryPointMoves();
      if (this.offline) throw this.offline;
      this.rp = this.leo;
    } catch (err) {
      throw this.goOffline(err);
    }
  }

  /** Lets go of every file; the log is closed. */
  async release(): Promise<void> {
    await Promise.all(this.segs.map((s) => s.release()));
    this.state = 'closed';
  }
}
