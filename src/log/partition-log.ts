/**
 * One partition's log as the broker sees it (Kafka's UnifiedLog): the segments on disk are its
 * LocalLog's; this adds what the offsets mean.
 *
 * - logStartOffset: the first offset a reader may ask for (retention and DeleteRecords move it).
 * - logEndOffset: the offset the next append gets (LocalLog; moves synchronously in append).
 * - acknowledgedEnd: the end of this log's acknowledged prefix — appends are acknowledged in order
 *   once durable per the topic's policy, and reads stop there. It is the *local* acknowledged end
 *   (what Samsa called the high watermark while it had one replica); the replicated high watermark
 *   belongs to the partition layer, which passes it to `read` as `maxOffset`.
 * - the idempotent producers' state and its snapshots (ProducerStateManager);
 * - the leader epochs of the batches (LeaderEpochCache, persisted in `leader-epoch-checkpoint`);
 * - retention, DeleteRecords, truncation, timestamp lookups, and listeners (log-events.ts).
 *
 * Batches are opaque here (DESIGN.md principle 1): append patches base offsets, leader epoch and
 * LogAppendTime in place and writes the caller's bytes; read returns whole batches as stored.
 */
import { isNotFound } from '../storage/storage-error.js';
import { type AppendSpan, patchAppendBatches, walkAppendBatches } from './append-batches.js';
import { baseOffsetAt, crcMatches, partitionLeaderEpochAt } from './batch-fields.js';
import { RESOLVED } from './index-file.js';
import { EpochCheckpointWriter } from './leader-epoch-checkpoint-file.js';
import { type EpochEndOffset, type EpochEntry, LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.js';
import { LocalLog, type LocalLogEnv, type LocalLogOwner } from './local-log.js';
import type { LogConfig } from './log-config.js';
import { InvalidAppendError, type LogOfflineError, OffsetOutOfRangeError } from './log-errors.js';
import { LogEvents, type LogListener } from './log-events.js';
import { type RetentionResult, deletableSegments } from './log-retention.js';
import type { LogSegment } from './log-segment.js';
import { maxTimestampOffset, offsetForTimestamp } from './log-timestamps.js';
import { replaceWithEmptySegmentAt, truncateSegmentsTo } from './log-truncation.js';
import type { AppendResult } from './log-writer.js';
import type { ActiveProducer, CompletedTxn, ProducerAppendOrigin, ProducerBatch, ProducerState, VerificationCheck } from './producer-state.js';
import { ProducerStateManager } from './producer-state-manager.js';
import { loadProducerState } from './producer-snapshots.js';
import { floorSegment } from './segment-read.js';
import type { AbortedTxn } from './transaction-index.js';
import type { BufferSource } from './read-buffer-pool.js';
import type { TimestampOffset } from './time-index.js';

export type { AppendResult } from './log-writer.js';

export interface AppendOptions {
  /** Stamped on every batch as its partitionLeaderEpoch (and recorded in the leader epoch cache). */
  leaderEpoch?: number;
  /** For message.timestamp.type=LogAppendTime: the time stamped on every batch. */
  logAppendTime?: bigint;
  /**
   * Who wrote the batches (Kafka's AppendOrigin): 'client' (default) gets every producer check;
   * 'coordinator' (a coordinator's transactional writes, transaction markers) skips sequences.
   */
  origin?: Exclude<ProducerAppendOrigin, 'replay'>;
  /** KIP-890: a transactional batch starting a transaction must carry this guard (see verificationGuard). */
  verification?: VerificationCheck;
}

export interface ReadOptions {
  /** Return the first batch whole even when larger than maxBytes (KIP-74). Default false. */
  minOneBatch?: boolean;
  /** Only batches whose last offset is below this (default and ceiling: the acknowledged end). */
  maxOffset?: bigint;
  /** Where the read's buffers come from (a pool lease); default fresh allocations. */
  buffers?: BufferSource;
}

export interface ReadResult {
  /** Whole record batches as stored, in offset order. */
  chunks: Buffer[];
  bytes: number;
  /** The log's acknowledged end when the read started. */
  acknowledgedEnd: bigint;
  logStartOffset: bigint;
}

export interface LogEnv extends LocalLogEnv {
  /** Persists every log's start offset (DeleteRecords waits for it). */
  checkpointLogStartOffsets(): Promise<void>;
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
  /** The leader epoch entries as loaded (default: none). */
  leaderEpochs?: readonly EpochEntry[];
  /** The recovery point as checkpointed when loaded: producer snapshots from there on are kept. */
  checkpointedRecoveryPoint?: bigint;
}

export class PartitionLog implements LocalLogOwner {
  /** The segments on disk, for the log layer's own maintenance (the cleaner); the broker never needs it. */
  readonly localLog: LocalLog;
  private readonly env: LogEnv;
  private start: bigint;
  /** The partition's high watermark as last told (onHighWatermarkUpdated): retention deletes or rolls nothing above it, the cleaner cleans nothing above it. */
  private hw: bigint | undefined;
  private readonly producers: ProducerStateManager;
  // Created on first use: most of 100,000 partitions never need them (see docs/storage.md).
  private events: LogEvents | null = null;
  private epochCache: LeaderEpochCache | null = null;
  private epochWriter: EpochCheckpointWriter | null = null;
  /** The lowest log end a truncation left since the cleaner last asked. */
  private truncationFloor: bigint | undefined;

  constructor(init: PartitionLogInit) {
    this.env = init.env;
    this.start = init.logStartOffset;
    const { topic, partition, dir, config, env, segments, logEndOffset } = init;
    this.localLog = new LocalLog({ topic, partition, dir, config, env, segments, logEndOffset, owner: this });
    this.producers = new ProducerStateManager(env, this.localLog, init.producerState, init.hasProducerSnapshots, init.checkpointedRecoveryPoint ?? init.logEndOffset);
    if (init.leaderEpochs?.length) this.epochCache = new LeaderEpochCache(init.leaderEpochs, () => this.epochsChanged());
  }

  get topic(): string {
    return this.localLog.topic;
  }

  get partition(): number {
    return this.localLog.partition;
  }

  get dir(): string {
    return this.localLog.dir;
  }

  get name(): string {
    return this.localLog.name;
  }

  get config(): LogConfig {
    return this.localLog.config;
  }

  updateConfig(config: LogConfig): void {
    this.localLog.updateConfig(config);
  }

  get logStartOffset(): bigint {
    return this.start;
  }

  get logEndOffset(): bigint {
    return this.localLog.logEndOffset;
  }

  /**
   * The end of this log's acknowledged prefix: every append below it is durable per the topic's
   * policy. Local to this node; the replicated high watermark is the partition layer's.
   */
  get acknowledgedEnd(): bigint {
    return this.localLog.acknowledgedEnd;
  }

  /** Everything below it has been fsynced. */
  get flushedOffset(): bigint {
    return this.localLog.flushedOffset;
  }

  get recoveryPoint(): bigint {
    return this.localLog.recoveryPoint;
  }

  get segments(): readonly LogSegment[] {
    return this.localLog.segments;
  }

  /** Bytes of all segments (DescribeLogDirs). */
  get sizeInBytes(): number {
    return this.localLog.sizeInBytes;
  }

  /** The error that took the log offline, or null. */
  get offlineError(): LogOfflineError | null {
    return this.localLog.offlineError;
  }

  get isClosed(): boolean {
    return this.localLog.isClosed;
  }

  /** Listens for the log's events (log-events.ts); returns the function that stops listening. */
  subscribe(listener: LogListener): () => void {
    return (this.events ??= new LogEvents(this.env.logger, this)).subscribe(listener);
  }

  /** The batches' spans, or why they cannot be appended (the log refuses appends, or they are not whole v2 batches). */
  private appendableSpans(batches: Buffer): AppendSpan[] | Error {
    const refused = this.localLog.appendRefusal();
    if (refused) return refused;
    try {
      return walkAppendBatches(batches);
    } catch (err) {
      return err instanceof InvalidAppendError ? err : new InvalidAppendError(`not whole v2 batches: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Appends one or more validated v2 batches (the bytes are patched in place and written as
   * they are: the caller must not reuse the buffer). Offsets are assigned now, in call order;
   * the promise resolves once the append is durable per the policy. Batches of idempotent
   * producers are checked against the producer state first: a refused one rejects with a
   * ProducerStateError, and a retry of a batch the log holds resolves with its offsets then.
   */
  append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    const spans = this.appendableSpans(batches);
    if (spans instanceof Error) return Promise.reject(spans);
    const baseOffset = this.localLog.logEndOffset;
    const { lastOffset, maxTimestamp, offsetOfMaxTimestamp } = patchAppendBatches(batches, spans, baseOffset, opts);
    // A roll snapshots the producer state as of the new segment's base: before this batch counts.
    if (this.localLog.shouldRoll(batches.length, lastOffset, maxTimestamp)) {
      this.env.logger.debug({ log: this.name, base: baseOffset, size: this.localLog.active.size, maxTimestamp: String(maxTimestamp) }, 'rolling segment');
      this.roll();
    }
    let checked;
    try {
      checked = this.producers.checkAndRecord(batches, spans, { ...(opts.origin ? { origin: opts.origin } : {}), ...(opts.verification ? { verification: opts.verification } : {}) });
    } catch (err) {
      return Promise.reject(err);
    }
    if (checked.duplicate) return this.duplicateAppend(checked.duplicate);
    for (const t of checked.completed) this.transactionCompleted(t);
    this.learnLeaderEpochs(batches, spans, baseOffset, opts.leaderEpoch);
    const result: AppendResult = { baseOffset, lastOffset, logAppendTime: opts.logAppendTime ?? -1n, logStartOffset: this.start };
    return this.localLog.append({ batches, spans, lastOffset, maxTimestamp, offsetOfMaxTimestamp, result });
  }

  /** A marker ended a transaction: an aborted one goes to the transaction index of the marker's segment. */
  private transactionCompleted(t: CompletedTxn): void {
    if (!t.isAborted) return;
    this.localLog.active.txnIndex.append({ producerId: t.producerId, firstOffset: t.firstOffset, lastOffset: t.lastOffset, lastStableOffset: this.producers.current.lastStableOffsetAfter(t) });
  }

  /**
   * The first offset of the oldest transaction not yet stable (open, or completed by a marker the
   * high watermark has not passed), or undefined when there is none. The last stable offset is the
   * lower of this and the high watermark (Kafka's UnifiedLog.lastStableOffset).
   */
  get firstUnstableOffset(): bigint | undefined {
    return this.producers.firstUnstableOffset();
  }

  /** The partition's high watermark moved (Kafka's updateHighWatermark): markers below it make their transactions stable. */
  onHighWatermarkUpdated(highWatermark: bigint): void {
    this.hw = highWatermark;
    this.producers.onHighWatermarkUpdated(highWatermark);
  }

  /** The partition's high watermark as last told, undefined for a log no partition told (unit tests). */
  get highWatermark(): bigint | undefined {
    return this.hw;
  }

  /**
   * The aborted transactions overlapping [fetchOffset, upperBound) (Kafka's
   * collectAbortedTransactions), from the transaction indexes of the segments from the one holding
   * `fetchOffset` on, until an entry shows no later one can overlap.
   */
  async collectAbortedTransactions(fetchOffset: bigint, upperBound: bigint): Promise<AbortedTxn[]> {
    const segs = this.localLog.segments;
    const out: AbortedTxn[] = [];
    for (let i = floorSegment(segs, fetchOffset); i < segs.length; i++) {
      const seg = segs[i]!;
      if (!seg.hasTxnIndex) continue;
      const found = await seg.txnIndex.collect(fetchOffset, upperBound);
      for (const t of found.aborted) out.push(t);
      if (found.complete) break;
    }
    return out;
  }

  /** Whether the producer has a transaction open in this log at `epoch`. */
  hasOngoingTransaction(producerId: bigint, epoch: number): boolean {
    return this.producers.current.hasOngoingTransaction(producerId, epoch);
  }

  /** KIP-890: the guard to pass with a transactional append once the coordinator confirmed the partition is in the transaction. */
  verificationGuard(producerId: bigint, epoch: number): object {
    return this.producers.current.verificationGuard(producerId, epoch, this.env.clock.now());
  }

  /**
   * Whether this log holds a producers' state in memory: a log no idempotent or transactional
   * producer wrote to since it was opened makes none (one less thing to build per log at a start).
   */
  get hasProducerStateInMemory(): boolean {
    return this.producers.hasState;
  }

  /** Whether the log's directory may hold producer snapshots (the next open must read them). */
  get hasProducerSnapshots(): boolean {
    return this.producers.snapshotsOnDisk;
  }

  /**
   * After a clean close: the producer snapshot the close wrote at the log end (the producers'
   * state the next open needs), or undefined if it wrote none.
   */
  get closingProducerSnapshot(): Buffer | undefined {
    const last = this.producers.lastSnapshotWritten;
    return this.localLog.isClosed && last?.offset === this.logEndOffset ? last.snapshot : undefined;
  }

  /** Forgets the producers silent for producer.id.expiration.ms (the log manager asks every ten minutes; a roll does too). */
  removeExpiredProducers(): void {
    this.producers.removeExpired();
  }

  /** Every producer this log knows (DescribeProducers). */
  activeProducers(): ActiveProducer[] {
    return this.producers.current.activeProducers();
  }

  /** The log manager checkpointed this log's recovery point at `offset` (producer snapshots before it may go). */
  recoveryPointCheckpointed(offset: bigint): void {
    this.producers.recoveryPointCheckpointed(offset);
  }

  /**
   * Appends batches copied from the leader as they are (Kafka's appendAsFollower): their offsets,
   * leader epochs and timestamps are the leader's, none below the log end offset; the producer
   * state and the leader epochs follow them. Offsets may skip: a compacted leader log has gaps,
   * where the cleaner removed records. Resolves once durable per the policy.
   */
  appendAsFollower(batches: Buffer): Promise<AppendResult> {
    const spans = this.appendableSpans(batches);
    if (spans instanceof Error) return Promise.reject(spans);
    const baseOffset = baseOffsetAt(batches, 0);
    let next = this.localLog.logEndOffset;
    let maxTimestamp = -1n;
    let offsetOfMaxTimestamp = baseOffset;
    for (const s of spans) {
      const base = baseOffsetAt(batches, s.position);
      if (base < next) return Promise.reject(new InvalidAppendError(`replicated batch at offset ${base} is below the log end offset ${next} of ${this.name}`));
      if (!crcMatches(batches, s.position, s.size)) return Promise.reject(new InvalidAppendError(`replicated batch at offset ${base} of ${this.name} fails its CRC`));
      s.lastOffset = base + BigInt(s.lastOffsetDelta);
      if (s.maxTimestamp > maxTimestamp) {
        maxTimestamp = s.maxTimestamp;
        offsetOfMaxTimestamp = s.lastOffset;
      }
      next = s.lastOffset + 1n;
    }
    const lastOffset = next - 1n;
    if (this.localLog.shouldRoll(batches.length, lastOffset, maxTimestamp)) this.roll();
    for (const t of this.producers.recordReplicated(batches, spans)) this.transactionCompleted(t);
    this.learnLeaderEpochs(batches, spans, baseOffset, undefined);
    const result: AppendResult = { baseOffset, lastOffset, logAppendTime: -1n, logStartOffset: this.start };
    return this.localLog.append({ batches, spans, lastOffset, maxTimestamp, offsetOfMaxTimestamp, result });
  }

  /** Records the epochs the batches were stamped with (those without an epoch, -1, are skipped). */
  private learnLeaderEpochs(buf: Buffer, spans: readonly AppendSpan[], baseOffset: bigint, leaderEpoch: number | undefined): void {
    if (leaderEpoch !== undefined) {
      if (leaderEpoch >= 0 && leaderEpoch !== this.epochCache?.latestEpoch) this.epochs().assign(leaderEpoch, baseOffset);
      return;
    }
    for (const s of spans) {
      const epoch = partitionLeaderEpochAt(buf, s.position);
      if (epoch >= 0) this.epochs().assign(epoch, s.lastOffset - BigInt(s.lastOffsetDelta));
    }
  }

  /** A retried batch: its first offsets, once they are acknowledged (Kafka answers no append time). */
  private duplicateAppend(b: ProducerBatch): Promise<AppendResult> {
    const result = (): AppendResult => ({ baseOffset: b.firstOffset, lastOffset: b.lastOffset, logAppendTime: -1n, logStartOffset: this.start });
    if (b.lastOffset < this.acknowledgedEnd) return Promise.resolve(result());
    return new Promise((resolve, reject) => {
      const stop = this.subscribe({
        acknowledged: (end) => {
          if (b.lastOffset >= end) return;
          stop();
          resolve(result());
        },
        offline: (error) => {
          stop();
          reject(error);
        },
      });
    });
  }

  /** @internal LocalLogOwner */
  appendsAcknowledged(end: bigint, bytes: number): void {
    this.events?.acknowledged(end, bytes);
  }

  /**
   * @internal LocalLogOwner: the leader epochs starting below the new recovery point must be
   * durable, and so must the producer snapshots of the rolls it passes (recovery starts from them).
   */
  async beforeRecoveryPointMoves(): Promise<void> {
    await this.producers.idle();
    await this.epochCheckpointWritten();
  }

  /** Resolves once the leader epoch checkpoint holds every change made so far; throws if a write failed. */
  private epochCheckpointWritten(): Promise<void> {
    return this.epochWriter?.flushed() ?? RESOLVED;
  }

  /** @internal LocalLogOwner */
  wentOffline(error: LogOfflineError, truncatedTo: bigint | undefined): void {
    if (truncatedTo !== undefined) {
      this.epochCache?.truncateFromEnd(truncatedTo);
      this.events?.truncated(truncatedTo);
    }
    this.events?.offline(error);
  }

  /** Starts a new active segment at the log end offset (unless the active one is empty), snapshotting the producer state there. */
  roll(): LogSegment {
    if (this.localLog.active.size === 0) return this.localLog.active;
    void this.producers.takeSnapshot(this.localLog.logEndOffset);
    return this.localLog.roll();
  }

  /** fsyncs everything appended so far; resolves when it is durable. */
  flush(): Promise<void> {
    return this.localLog.flush();
  }

  /**
   * Takes the log offline after an I/O error (from maintenance, the cleaner, or a state file):
   * appends are refused until the log is reopened. Returns the error to report.
   */
  goOffline(err: unknown): LogOfflineError {
    return this.localLog.goOffline(err);
  }

  /**
   * Whole batches from `offset`, up to `maxBytes` (the first batch whole when minOneBatch), below
   * the acknowledged end and `maxOffset`. Throws OffsetOutOfRangeError below the log start offset
   * or beyond the log end offset.
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
    const end = this.localLog.logEndOffset;
    const acknowledged = this.localLog.acknowledgedEnd;
    if (offset < this.start || offset > end) throw new OffsetOutOfRangeError(offset, this.start, end, `log ${this.name}`);
    const maxOffset = opts.maxOffset !== undefined && opts.maxOffset < acknowledged ? opts.maxOffset : acknowledged;
    const out: ReadResult = { chunks: [], bytes: 0, acknowledgedEnd: acknowledged, logStartOffset: this.start };
    if (offset >= maxOffset || maxBytes < 0) return out;
    const r = await this.localLog.read(offset, maxBytes, { maxOffset, minOneBatch: opts.minOneBatch ?? false }, opts.buffers);
    out.chunks = r.chunks;
    out.bytes = r.bytes;
    return out;
  }

  /**
   * `read` made now, on the calling thread, when it can be: a read within the log's range whose
   * segment reads can each be made now (LocalLog.readNow: where a recent read ended, from an open
   * file, small). Otherwise undefined, and `read` answers (and throws what it throws).
   */
  readNow(offset: bigint, maxBytes: number, opts: ReadOptions = {}): ReadResult | undefined {
    const end = this.localLog.logEndOffset;
    const acknowledged = this.localLog.acknowledgedEnd;
    if (offset < this.start || offset > end) return undefined;
    const maxOffset = opts.maxOffset !== undefined && opts.maxOffset < acknowledged ? opts.maxOffset : acknowledged;
    if (offset >= maxOffset || maxBytes < 0) return { chunks: [], bytes: 0, acknowledgedEnd: acknowledged, logStartOffset: this.start };
    const r = this.localLog.readNow(offset, maxBytes, { maxOffset, minOneBatch: opts.minOneBatch ?? false }, opts.buffers);
    return r && { chunks: r.chunks, bytes: r.bytes, acknowledgedEnd: acknowledged, logStartOffset: this.start };
  }

  /** Whether a segment from the one holding `offset` on has transaction index entries (collectAbortedTransactions may find some). */
  mayHaveAbortedTransactions(offset: bigint): boolean {
    const segs = this.localLog.segments;
    for (let i = floorSegment(segs, offset); i < segs.length; i++) if (segs[i]!.hasTxnIndex) return true;
    return false;
  }

  /** The first acknowledged record with a timestamp at or after `timestamp` (ListOffsets by time). */
  offsetForTimestamp(timestamp: bigint): Promise<TimestampOffset | undefined> {
    return offsetForTimestamp(this.localLog, timestamp, { logStartOffset: this.start, acknowledgedEnd: this.acknowledgedEnd });
  }

  /** The acknowledged record with the largest timestamp, the first one on ties (ListOffsets MAX_TIMESTAMP). */
  maxTimestampOffset(): Promise<TimestampOffset | undefined> {
    return maxTimestampOffset(this.localLog, { logStartOffset: this.start, acknowledgedEnd: this.acknowledgedEnd });
  }

  private epochs(): LeaderEpochCache {
    return (this.epochCache ??= new LeaderEpochCache([], () => this.epochsChanged()));
  }

  /** Writes the leader epoch checkpoint in the background (not once offline: the log's files are suspect). */
  private epochsChanged(): void {
    if (this.localLog.offlineError) return;
    this.epochWriter ??= new EpochCheckpointWriter(this.env.disk, this.dir, () => this.epochCache?.epochEntries() ?? [], (err) => this.goOffline(err));
    this.epochWriter.schedule();
  }

  /** The epoch of the log's latest batches (or the latest epoch assigned), if any. */
  get latestEpoch(): number | undefined {
    return this.epochCache?.latestEpoch;
  }

  /** OffsetForLeaderEpoch: where `epoch` ends in this log (see LeaderEpochCache.endOffsetFor). */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochCache?.endOffsetFor(epoch, this.logEndOffset) ?? { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
  }

  /** The leader epochs of this log and the offset each starts at, oldest first. */
  epochEntries(): EpochEntry[] {
    return this.epochCache?.epochEntries() ?? [];
  }

  /**
   * Records that `epoch` starts at `startOffset` before any batch of it is appended (Kafka's
   * maybeAssignEpochStartOffset, when this node becomes the leader).
   */
  assignEpochStartOffset(epoch: number, startOffset: bigint = this.logEndOffset): void {
    this.epochs().assign(epoch, startOffset);
  }

  /**
   * Removes every offset at or above `offset` (replication); resolves with the new log end
   * offset, once the leader epoch checkpoint agrees with it. Appends are refused meanwhile.
   */
  async truncateTo(offset: bigint): Promise<bigint> {
    if (offset < 0n) throw new RangeError(`cannot truncate to negative offset ${offset}`);
    const { before, end } = await this.localLog.withMaintenance(() => this.localLog.whileTruncating(() => this.truncateLocked(offset)));
    if (end < before) this.events?.truncated(end);
    await this.env.logTruncated?.(this);
    return end;
  }

  private async truncateLocked(offset: bigint): Promise<{ before: bigint; end: bigint }> {
    const before = this.localLog.logEndOffset;
    if (offset >= before) return { before, end: before };
    if (offset < this.start) return { before, end: await this.truncateFullyAndStartAt(offset) };
    let end = await truncateSegmentsTo(this.localLog, offset);
    this.forgetFrom(end);
    // The cut went through the batch holding the log start offset: nothing readable is left, and
    // offsets below the log start must never be handed out again, so restart empty there.
    if (end < this.start) end = await this.truncateFullyAndStartAt(this.start);
    else await this.rebuildProducerState(end);
    await this.epochCheckpointWritten();
    return { before, end };
  }

  /**
   * After a truncation the producers' state is rebuilt from the newest snapshot at or below the
   * new end and the batches after it (Kafka's rebuildProducerState): a transaction whose marker
   * was cut off is open again.
   */
  private async rebuildProducerState(end: bigint): Promise<void> {
    await this.producers.idle();
    const { state } = await loadProducerState({ disk: this.env.disk, dir: this.dir, segments: this.localLog.segments, logEndOffset: end, logger: this.env.logger, nowMs: this.env.clock.now() });
    this.producers.replaceState(state);
  }

  /**
   * Every segment goes and the log restarts empty at `offset` (a follower whose leader no longer
   * has what it would fetch next); resolves with the new log end offset.
   */
  async truncateFullyTo(offset: bigint): Promise<bigint> {
    if (offset < 0n) throw new RangeError(`cannot restart at negative offset ${offset}`);
    const before = this.localLog.logEndOffset;
    await this.localLog.withMaintenance(() => this.localLog.whileTruncating(() => this.truncateFullyAndStartAt(offset)));
    this.events?.truncated(offset < before ? offset : before);
    await this.env.logTruncated?.(this);
    return offset;
  }

  /** Kafka's truncateFullyAndStartAt: every segment goes, the log restarts empty at `offset`. */
  private async truncateFullyAndStartAt(offset: bigint): Promise<bigint> {
    await replaceWithEmptySegmentAt(this.localLog, offset);
    this.start = offset;
    this.forgetFrom(offset);
    this.epochCache?.clear();
    await this.epochCheckpointWritten();
    return offset;
  }

  /** The log end went back to `end`: what this log knows of later offsets goes too. */
  private forgetFrom(end: bigint): void {
    if (this.truncationFloor === undefined || end < this.truncationFloor) this.truncationFloor = end;
    this.producers.truncateFrom(end);
    this.epochCache?.truncateFromEnd(end);
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

  /** Applies retention now (the LogManager runs it on a schedule); see log-retention.ts. */
  deleteOldSegments(now = this.env.clock.now()): Promise<RetentionResult> {
    return this.localLog.withMaintenance(async () => {
      if (!this.localLog.maintainable) return { deleted: [] };
      await this.rollExpiredActive(now);
      // Nothing above the high watermark goes (Kafka's deletableSegments): the log start never passes it.
      const ack = this.acknowledgedEnd;
      const end = this.hw !== undefined && this.hw < ack ? this.hw : ack;
      const doomed = await deletableSegments(this.localLog.segments, this.config, { logStartOffset: this.start, acknowledgedEnd: end, now });
      if (doomed.length === 0) return { deleted: [] };
      await this.localLog.retireSegments(doomed.map((d) => d.segment));
      this.advanceStartTo(this.localLog.segments[0]!.baseOffset);
      return { deleted: doomed.map((d) => ({ baseOffset: d.segment.baseOffset, size: d.segment.size, reason: d.reason })) };
    });
  }

  /**
   * Rolls the active segment once retention.ms has passed its newest record and all of it is
   * acknowledged and below the high watermark (the acknowledged end for a log without a partition,
   * as in unit tests), so that retention deletes it with the others, as Kafka's deleteOldSegments
   * rolls and deletes it: a partition no longer written to, or written only with records stamped
   * long ago, does not keep them past retention.ms.
   */
  private async rollExpiredActive(now: number): Promise<void> {
    const cfg = this.config;
    const seg = this.localLog.active;
    const end = this.logEndOffset;
    if (!cfg.cleanupPolicy.delete || cfg.retentionMs < 0 || seg.size === 0 || this.acknowledgedEnd < end || (this.hw ?? end) < end) return;
    const largest = await seg.largestTimestamp();
    // An append meanwhile may have brought a newer record: only the segment as read rolls.
    if (this.logEndOffset === end && now - largest > cfg.retentionMs) this.roll();
  }

  /** Moves the log start offset forward (DeleteRecords); persisted before this resolves. */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    const acknowledged = this.acknowledgedEnd;
    if (offset > acknowledged || offset < 0n) throw new OffsetOutOfRangeError(offset, this.start, acknowledged, `the deletable range of ${this.name}`);
    if (offset > this.start) {
      this.advanceStartTo(offset);
      await this.env.checkpointLogStartOffsets();
    }
    return this.start;
  }

  private advanceStartTo(offset: bigint): void {
    if (offset <= this.start) return;
    this.start = offset;
    this.epochCache?.truncateFromStart(offset);
  }

  /**
   * Stops appends, waits for queued ones, flushes everything with indexes and state files, and
   * releases files. Returns false when the log was offline (its state on disk needs recovery at
   * next open).
   */
  async close(opts: { flush?: boolean } = {}): Promise<boolean> {
    if (this.localLog.isClosed) return this.offlineError === null;
    await this.localLog.beginClose();
    let clean = this.offlineError === null;
    if (clean && opts.flush !== false) {
      try {
        await this.localLog.flushForClose();
        if (!(await this.producers.takeSnapshot(this.logEndOffset))) clean = false;
      } catch {
        clean = false;
      }
    }
    await this.producers.idle();
    await this.epochCheckpointWritten().catch(() => {});
    await this.localLog.release();
    return clean && this.offlineError === null;
  }
}
