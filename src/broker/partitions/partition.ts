/**
 * One partition as this broker holds it (Kafka's Partition): its log, its leadership (leader,
 * leader epoch, replicas, in-sync replicas) and the high watermark.
 *
 * The log acknowledges appends once they are durable per the topic's policy (its local end); the
 * high watermark is the offset below which every in-sync replica has the records: the log's
 * acknowledged end when this broker is the only in-sync replica, else the least of that and the
 * followers' fetch positions. Consumers read below the high watermark only. Whenever it moves,
 * the partition tells its listener (the replica manager), which wakes the operations waiting on
 * it: long-poll fetches and acks=all produces. Every writer goes through the log, so every writer
 * wakes them, a coordinator's appends included; a leader with followers also wakes them at every
 * local append (followers' fetches wait for the log end, not the high watermark).
 *
 * As leader it keeps what it knows of each follower (Kafka's Replica state: log end, when last
 * caught up), reset at each leader epoch, and says which ISR change the lag rules call for; as
 * follower it appends the leader's batches as they are and takes the leader's high watermark.
 *
 * Transactions: the last stable offset (Kafka's UnifiedLog.lastStableOffset) is the lower of the
 * high watermark and the log's first unstable offset (the oldest transaction not yet decided, or
 * decided by a marker the high watermark has not passed). read_committed reads stop there and
 * carry the aborted transactions of what they return. It moves only when the high watermark does,
 * so the same wake-ups serve read_committed long polls, which count the bytes below it.
 */
import type { AbortedTxn, AppendOptions, AppendResult, PartitionLog, ReadOptions, ReadResult, TimestampOffset } from '../../log/index.js';
import type { BufferSource } from '../../log/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD } from '../../protocol/records/batch-header.js';
import { PartitionError } from './partition-error.js';
import { type TopicPartition, tpKey } from './topic-partition.js';

/** What a partition uses of its log (src/log's PartitionLog). */
export type PartitionLogPort = Pick<
  PartitionLog,
  | 'logStartOffset'
  | 'logEndOffset'
  | 'acknowledgedEnd'
  | 'sizeInBytes'
  | 'append'
  | 'read'
  | 'readNow'
  | 'mayHaveAbortedTransactions'
  | 'offsetForTimestamp'
  | 'maxTimestampOffset'
  | 'deleteRecordsBefore'
  | 'config'
  | 'subscribe'
  | 'latestEpoch'
  | 'endOffsetForEpoch'
  | 'firstUnstableOffset'
  | 'onHighWatermarkUpdated'
  | 'collectAbortedTransactions'
  | 'hasOngoingTransaction'
  | 'verificationGuard'
  | 'activeProducers'
  | 'appendAsFollower'
  | 'truncateTo'
  | 'truncateFullyTo'
>;

/** Who leads a partition, at which epoch, and which replicas are in sync (Kafka's LeaderAndIsr). */
export interface LeaderAndIsr {
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** Bumped by the controller on every change of the partition (AlterPartition names the one it changes). */
  partitionEpoch?: number;
}

/** What the leader knows of a follower (Kafka's Replica state). */
export interface FollowerState {
  /** The follower's log end offset: the offset of its last fetch. */
  logEndOffset: bigint;
  /** The last time the follower was caught up with the leader's log end. */
  lastCaughtUpMs: number;
  lastFetchMs: number;
  /** The leader's log end offset at the follower's last fetch. */
  lastFetchLeaderLogEnd: bigint;
}

export interface PartitionListener {
  /** The high watermark moved (or leadership changed): waiting operations may complete. */
  partitionChanged(p: Partition): void;
}

export interface LeaderAppendOptions {
  /** -1 (all) checks the in-sync replicas against `minInsyncReplicas` first. */
  requiredAcks: number;
  minInsyncReplicas: number;
  logAppendTime?: bigint;
  /** A coordinator's write (transactional offset commits, transaction markers) rather than a client's. */
  origin?: AppendOptions['origin'];
  /** KIP-890: the guard a transactional batch starting a transaction must carry. */
  verification?: AppendOptions['verification'];
}

/** A read with what the fetch purgatory needs to count the bytes that become visible after it. */
export interface PartitionRead extends ReadResult {
  /** The high watermark the read stopped at (consumers) or saw (followers). */
  highWatermark: bigint;
  lastStableOffset: bigint;
  /** Bytes readable at this isolation when the read was made (see `visibleBytesFor`). */
  visibleBytesAtRead: number;
  /** read_committed: the aborted transactions overlapping what was read; otherwise null. */
  abortedTransactions: AbortedTxn[] | null;
}

/**
 * How far a read may go (Kafka's FetchIsolation): read_uncommitted consumers below the high
 * watermark, read_committed ones below the last stable offset, followers (later) to the log end.
 */
export type ReadIsolation = 'high-watermark' | 'txn-committed' | 'log-end';

/** Entries of the stable-bytes ledger kept at most (older ones are merged: a long poll may then wait longer). */
const MAX_UNSTABLE_ENTRIES = 4096;

/** A checkpointed high watermark within the log as it is now (recovery may have cut its tail; retention may have moved its start). */
function startingHighWatermark(log: PartitionLogPort, checkpointed: bigint | undefined): bigint {
  const end = log.acknowledgedEnd;
  if (checkpointed === undefined || checkpointed > end) return end;
  return checkpointed < log.logStartOffset ? log.logStartOffset : checkpointed;
}

export class Partition implements TopicPartition {
  readonly key: string;
  private state: LeaderAndIsr;
  private hw: bigint;
  /** Bytes the log has acknowledged since this partition was opened. */
  private ackedBytes = 0;
  /** Bytes below the high watermark (cumulative since open), and acknowledged ones above it. */
  private visible = 0;
  private aboveHw: { end: bigint; ackedBytes: number }[] = [];
  /** Bytes below the last stable offset (cumulative since open), and acknowledged ones above it. */
  private stable = 0;
  private aboveLso: { end: bigint; ackedBytes: number }[] = [];
  /**
   * What the leader knows of each follower, by replica id (reset at each leader epoch); made with
   * the first follower (a partition with one replica never has any: 1,000 Maps less at a start).
   */
  private followersKnown: Map<number, FollowerState> | undefined;
  /** An ISR change sent to the controller and not yet in the metadata (Kafka's PendingExpand/Shrink). */
  private pendingIsr: readonly number[] | undefined;
  /** The log end offset when this broker became leader of the current epoch. */
  private leaderEpochStartOffset = -1n;
  /** Appends whose records are still being prepared (recompressed) keep their order behind this. */
  private appendTail: Promise<void> | undefined;
  private readonly stopListening: () => void;
  private removed = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly topicId: string,
    private readonly localId: number,
    readonly log: PartitionLogPort,
    state: LeaderAndIsr,
    private readonly listener: PartitionListener,
    nowMs = 0,
    /**
     * The high watermark this replica had (replication-offset-checkpoint), or where to start it
     * when the checkpoint has none (the log start, as Kafka); undefined: the log's acknowledged end
     * (a partition opened without a checkpoint, as in unit tests).
     */
    initialHighWatermark?: bigint,
  ) {
    this.key = tpKey(topic, partition);
    this.state = state;
    this.hw = startingHighWatermark(log, initialHighWatermark);
    log.onHighWatermarkUpdated(this.hw);
    if (this.isLeader) this.becameLeader(nowMs);
    this.stopListening = log.subscribe({
      acknowledged: (end, bytes) => this.localAcknowledged(end, bytes),
      truncated: (end) => {
        if (end < this.hw) this.hw = end;
      },
    });
    // A leader alone in the ISR has everything it holds committed; others wait for their followers.
    this.maybeIncrementHighWatermark();
  }

  private get followers(): Map<number, FollowerState> {
    return (this.followersKnown ??= new Map());
  }

  get leaderEpoch(): number {
    return this.state.leaderEpoch;
  }

  get leaderAndIsr(): LeaderAndIsr {
    return this.state;
  }

  get isLeader(): boolean {
    return this.state.leader === this.localId;
  }

  /** A replica here that another broker leads: it fetches from the leader. */
  get isFollower(): boolean {
    return !this.isLeader && this.state.replicas.includes(this.localId);
  }

  get highWatermark(): bigint {
    return this.hw;
  }

  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  /** Kafka's lastStableOffset: the high watermark, or the first offset of an undecided transaction below it. */
  get lastStableOffset(): bigint {
    const unstable = this.log.firstUnstableOffset;
    return unstable !== undefined && unstable < this.hw ? unstable : this.hw;
  }

  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }

  /** The end of the local log's acknowledged (durable per policy) prefix: what a follower may read. */
  get acknowledgedEnd(): bigint {
    return this.log.acknowledgedEnd;
  }

  /** Bytes of record batches below the high watermark, counted since this partition was opened. */
  get visibleBytes(): number {
    return this.visible;
  }

  /** Bytes a reader at `isolation` can see (below the last stable offset for read_committed), counted since open. */
  visibleBytesFor(isolation: ReadIsolation): number {
    return isolation === 'txn-committed' ? this.stable : this.visible;
  }

  /**
   * Takes a new leadership state (a leader election, an ISR change); the high watermark follows.
   * A new leader epoch forgets what was known of the followers (they truncate and fetch again);
   * a broker becoming leader notes where its epoch starts (followers join the ISR only past it).
   */
  updateLeadership(state: LeaderAndIsr, nowMs = 0): void {
    const previous = this.state;
    this.state = state;
    this.pendingIsr = undefined;
    if (previous.leaderEpoch !== state.leaderEpoch || previous.leader !== state.leader) {
      this.followersKnown?.clear();
      if (this.isLeader) this.becameLeader(nowMs);
    }
    if (this.followersKnown) for (const id of this.followersKnown.keys()) if (!state.replicas.includes(id)) this.followersKnown.delete(id);
    if (this.isLeader && this.hw > this.log.acknowledgedEnd) this.hw = this.log.acknowledgedEnd;
    this.maybeIncrementHighWatermark();
    this.listener.partitionChanged(this);
  }

  /** Where this leader's epoch starts; its in-sync followers count as caught up now (Kafka's makeLeader). */
  private becameLeader(nowMs: number): void {
    this.leaderEpochStartOffset = this.log.logEndOffset;
    // What was appended as a follower counts as visible (a long poll may wake early, never late).
    this.visible = this.ackedBytes;
    this.aboveHw = [];
    const isr = this.state.isr;
    for (let i = 0; i < isr.length; i++) if (isr[i] !== this.localId) this.followers.set(isr[i]!, { logEndOffset: -1n, lastCaughtUpMs: nowMs, lastFetchMs: nowMs, lastFetchLeaderLogEnd: -1n });
  }

  /**
   * A follower fetched from `logEndOffset` at `nowMs` (Kafka's updateFollowerFetchState): it has
   * everything below it; it is caught up when that reaches the leader's log end now, or the log end
   * the leader had at the follower's previous fetch.
   */
  updateFollowerFetchState(replicaId: number, logEndOffset: bigint, nowMs = 0): void {
    const leaderEnd = this.log.logEndOffset;
    const previous = this.followers.get(replicaId);
    const f: FollowerState = previous ?? { logEndOffset: -1n, lastCaughtUpMs: -1, lastFetchMs: -1, lastFetchLeaderLogEnd: -1n };
    if (logEndOffset >= leaderEnd) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, nowMs);
    else if (previous && logEndOffset >= previous.lastFetchLeaderLogEnd) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, previous.lastFetchMs);
    f.logEndOffset = logEndOffset;
    f.lastFetchMs = nowMs;
    f.lastFetchLeaderLogEnd = leaderEnd;
    this.followers.set(replicaId, f);
    this.maybeIncrementHighWatermark();
  }

  /** What the leader knows of a follower. */
  followerState(replicaId: number): Readonly<FollowerState> | undefined {
    return this.followers.get(replicaId);
  }

  /** The ISR change waiting for the controller, if any. */
  get pendingIsrChange(): readonly number[] | undefined {
    return this.pendingIsr;
  }

  /** An ISR change was sent to the controller (undefined: it failed, and may be tried again). */
  setPendingIsr(isr: readonly number[] | undefined): void {
    this.pendingIsr = isr;
    if (isr === undefined) this.maybeIncrementHighWatermark();
  }

  /**
   * Kafka's maybeExpandIsr check: a follower outside the ISR that has reached the high watermark
   * and the start of this leader's epoch is in sync again; the ISR it should have, or undefined.
   */
  isrToExpand(replicaId: number): number[] | undefined {
    if (!this.isLeader || this.pendingIsr || this.state.isr.includes(replicaId) || !this.state.replicas.includes(replicaId)) return undefined;
    const f = this.followers.get(replicaId);
    if (!f || f.logEndOffset < this.hw || f.logEndOffset < this.leaderEpochStartOffset) return undefined;
    return [...this.state.isr, replicaId];
  }

  /** Kafka's maybeShrinkIsr check: the ISR without followers not caught up for `lagMs`, or undefined if none lag. */
  isrToShrink(nowMs: number, lagMs: number): number[] | undefined {
    if (!this.isLeader || this.pendingIsr) return undefined;
    const lagging = this.state.isr.filter((id) => {
      if (id === this.localId) return false;
      const f = this.followers.get(id);
      return !f || nowMs - f.lastCaughtUpMs > lagMs;
    });
    if (lagging.length === 0) return undefined;
    return this.state.isr.filter((id) => !lagging.includes(id));
  }

  /** The in-sync replicas the high watermark waits for: the ISR and, while a change is pending, its new members too (Kafka's maximal ISR). */
  private get maximalIsr(): readonly number[] {
    const pending = this.pendingIsr;
    if (!pending) return this.state.isr;
    return [...new Set([...this.state.isr, ...pending])];
  }

  // ---- as a follower ----

  /** Appends what the fetcher copied from the leader (offsets, epochs and producer state as the leader has them). */
  appendAsFollower(records: Buffer): Promise<AppendResult> {
    if (this.isLeader) return Promise.reject(new PartitionError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.key} is led here now: not appending as a follower`));
    return this.log.appendAsFollower(records);
  }

  /** The leader's log start offset moved (retention, DeleteRecords): so does this replica's, up to what it holds. */
  async followLogStartOffset(leaderLogStart: bigint): Promise<void> {
    if (this.isLeader || leaderLogStart <= this.log.logStartOffset) return;
    const end = this.log.acknowledgedEnd;
    await this.log.deleteRecordsBefore(leaderLogStart < end ? leaderLogStart : end);
  }

  /** The leader's high watermark, as its fetch response gave it: this replica's is that, up to what it holds. */
  updateFollowerHighWatermark(leaderHw: bigint): void {
    if (this.isLeader) return;
    const end = this.log.acknowledgedEnd;
    const hw = leaderHw < end ? leaderHw : end;
    if (hw === this.hw) return;
    this.hw = hw;
    // Markers below it make their transactions stable in the log (its last stable offset, should this replica lead).
    this.log.onHighWatermarkUpdated(hw);
    // Nothing reads a follower below its high watermark: the visible byte counts restart here.
    this.visible = this.ackedBytes;
    this.aboveHw = [];
    this.stable = this.ackedBytes;
    this.aboveLso = [];
  }

  /** Cuts the log at `offset` (a leader change: the leader's log diverges there); resolves with the new log end. */
  truncateTo(offset: bigint): Promise<bigint> {
    // A fetcher's answer from the previous leader must not cut what this broker now leads.
    if (this.isLeader) return Promise.reject(new PartitionError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.key} is led here now: not truncating`));
    return this.log.truncateTo(offset);
  }

  /** Restarts the log empty at `offset` (the leader no longer has what this replica would fetch next). */
  truncateFullyTo(offset: bigint): Promise<bigint> {
    if (this.isLeader) return Promise.reject(new PartitionError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.key} is led here now: not truncating`));
    return this.log.truncateFullyTo(offset);
  }

  /** The error a request needing the leader gets here, if any, checking the client's leader epoch (-1: none). */
  leaderError(currentLeaderEpoch = -1): number | undefined {
    if (this.removed) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (currentLeaderEpoch > this.state.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    if (currentLeaderEpoch !== -1 && currentLeaderEpoch < this.state.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
    if (!this.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return undefined;
  }

  /**
   * Appends record batches as the leader, stamped with the leader epoch. Offsets are assigned in
   * call order, also for batches still being prepared (a promise). Resolves with the log's result
   * once it acknowledged the append; whether the high watermark covers it is the caller's wait.
   */
  appendAsLeader(records: Buffer | Promise<Buffer>, opts: LeaderAppendOptions): Promise<AppendResult> {
    // Records still being prepared may fail before their turn comes (or after a refusal): that
    // failure is this append's answer, awaited below, never an unhandled rejection of the process.
    if (!Buffer.isBuffer(records)) records.catch(() => undefined);
    const refused = this.appendRefusal(opts.requiredAcks, opts.minInsyncReplicas);
    if (refused) return Promise.reject(refused);
    if (!this.appendTail && Buffer.isBuffer(records)) return this.appendNow(records, opts);
    const started = (this.appendTail ?? Promise.resolve()).then(async () => {
      const buf = await records;
      const again = this.appendRefusal(opts.requiredAcks, opts.minInsyncReplicas);
      return { result: again ? Promise.reject(again) : this.appendNow(buf, opts) };
    });
    const tail = started.then(
      () => undefined,
      () => undefined,
    );
    this.appendTail = tail;
    void tail.then(() => {
      if (this.appendTail === tail) this.appendTail = undefined;
    });
    return started.then((s) => s.result);
  }

  /** Why an append with these acks would be refused now: not the leader, or too few in-sync replicas for acks=all. */
  appendRefusal(requiredAcks: number, minInsyncReplicas: number): PartitionError | undefined {
    if (!this.isLeader) return new PartitionError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker is not the leader of ${this.key}`);
    const isr = this.state.isr.length;
    if (requiredAcks === -1 && isr < minInsyncReplicas) {
      return new PartitionError(ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR ${isr} is insufficient to satisfy the min.isr requirement of ${minInsyncReplicas} for partition ${this.key}`);
    }
    return undefined;
  }

  private appendNow(records: Buffer, opts: LeaderAppendOptions): Promise<AppendResult> {
    // Built whole (no spreads of temporary objects): this runs for every produce request.
    const append: AppendOptions = { leaderEpoch: this.state.leaderEpoch };
    if (opts.logAppendTime !== undefined) append.logAppendTime = opts.logAppendTime;
    if (opts.origin !== undefined) append.origin = opts.origin;
    if (opts.verification !== undefined) append.verification = opts.verification;
    return this.log.append(records, append);
  }

  /** The log acknowledged everything below `end`, `bytes` of it new. */
  private localAcknowledged(end: bigint, bytes: number): void {
    this.ackedBytes += bytes;
    if (this.isLeader && (this.aboveHw.length > 0 || this.state.isr.length > 1 || this.pendingIsr)) this.aboveHw.push({ end, ackedBytes: this.ackedBytes });
    this.aboveLso.push({ end, ackedBytes: this.ackedBytes });
    // Followers' fetches wait for the log end, not the high watermark.
    if (!this.maybeIncrementHighWatermark() && this.isLeader && this.state.replicas.length > 1) this.listener.partitionChanged(this);
    this.updateStableBytes();
  }

  /** Counts as stable the acknowledged bytes the last stable offset has passed. */
  private updateStableBytes(): void {
    const lso = this.lastStableOffset;
    if (lso >= this.log.acknowledgedEnd) {
      this.stable = this.ackedBytes;
      this.aboveLso = [];
      return;
    }
    let n = 0;
    while (n < this.aboveLso.length && this.aboveLso[n]!.end <= lso) this.stable = this.aboveLso[n++]!.ackedBytes;
    if (n > 0) this.aboveLso = this.aboveLso.slice(n);
    // A transaction left open for long: keep every other entry (counts fall behind, never ahead).
    if (this.aboveLso.length > MAX_UNSTABLE_ENTRIES) this.aboveLso = this.aboveLso.filter((_, i) => i % 2 === 1);
  }

  /** Kafka's maybeIncrementLeaderHW: the least end among the leader and the in-sync followers; whether it moved. */
  private maybeIncrementHighWatermark(): boolean {
    if (!this.isLeader) return false;
    const localEnd = this.log.acknowledgedEnd;
    let hw = localEnd;
    const isr = this.maximalIsr;
    for (let i = 0; i < isr.length; i++) {
      const id = isr[i]!;
      if (id === this.localId) continue;
      const f = this.followers.get(id);
      const end = f && f.logEndOffset >= 0n ? f.logEndOffset : this.hw;
      if (end < hw) hw = end;
    }
    if (hw <= this.hw) return false;
    this.hw = hw;
    this.log.onHighWatermarkUpdated(hw);
    if (hw === localEnd) {
      // Everything acknowledged is visible (always so with no other in-sync replica).
      this.visible = this.ackedBytes;
      this.aboveHw = [];
    } else {
      let n = 0;
      while (n < this.aboveHw.length && this.aboveHw[n]!.end <= hw) this.visible = this.aboveHw[n++]!.ackedBytes;
      if (n > 0) this.aboveHw = this.aboveHw.slice(n);
    }
    this.updateStableBytes();
    this.listener.partitionChanged(this);
    return true;
  }

  /**
   * Whole batches from `offset` within `maxBytes`, below the high watermark (read_committed: the
   * last stable offset, with the aborted transactions among them; followers: the log end).
   */
  async read(offset: bigint, maxBytes: number, opts: { isolation: ReadIsolation; minOneBatch: boolean; buffers?: BufferSource }): Promise<PartitionRead> {
    const hw = this.hw;
    const lso = this.lastStableOffset;
    const visibleBytesAtRead = this.visibleBytesFor(opts.isolation);
    const r = await this.log.read(offset, maxBytes, logReadOptions(opts, hw, lso));
    let abortedTransactions: AbortedTxn[] | null = null;
    if (opts.isolation === 'txn-committed') {
      const upper = nextOffsetAfter(r.chunks);
      abortedTransactions = upper === undefined ? [] : await this.log.collectAbortedTransactions(offset, upper);
    }
    return { chunks: r.chunks, bytes: r.bytes, acknowledgedEnd: r.acknowledgedEnd, logStartOffset: r.logStartOffset, highWatermark: hw, lastStableOffset: lso, visibleBytesAtRead, abortedTransactions };
  }

  /**
   * `read` made now, on the calling thread, when the log can read it so (PartitionLog.readNow: a
   * small read where a recent one ended, such as a caught-up consumer's at the log end) and, under
   * read_committed, no aborted transaction can be among the records; otherwise undefined, and
   * `read` answers.
   */
  readNow(offset: bigint, maxBytes: number, opts: { isolation: ReadIsolation; minOneBatch: boolean; buffers?: BufferSource }): PartitionRead | undefined {
    if (opts.isolation === 'txn-committed' && this.log.mayHaveAbortedTransactions(offset)) return undefined;
    const hw = this.hw;
    const lso = this.lastStableOffset;
    const r = this.log.readNow(offset, maxBytes, logReadOptions(opts, hw, lso));
    if (!r) return undefined;
    const abortedTransactions = opts.isolation === 'txn-committed' ? [] : null;
    return { chunks: r.chunks, bytes: r.bytes, acknowledgedEnd: r.acknowledgedEnd, logStartOffset: r.logStartOffset, highWatermark: hw, lastStableOffset: lso, visibleBytesAtRead: this.visibleBytesFor(opts.isolation), abortedTransactions };
  }

  /** The last offset ListOffsets may answer for a reader at this isolation (Kafka's lastFetchableOffset). */
  private lastFetchable(readCommitted: boolean): bigint {
    return readCommitted ? this.lastStableOffset : this.hw;
  }

  /** ListOffsets by timestamp, among the records below the high watermark (read_committed: the last stable offset). */
  async offsetForTimestamp(timestamp: bigint, readCommitted = false): Promise<TimestampOffset | undefined> {
    const found = await this.log.offsetForTimestamp(timestamp);
    return found && found.offset < this.lastFetchable(readCommitted) ? found : undefined;
  }

  async maxTimestampOffset(readCommitted = false): Promise<TimestampOffset | undefined> {
    const found = await this.log.maxTimestampOffset();
    return found && found.offset < this.lastFetchable(readCommitted) ? found : undefined;
  }

  /** Whether the producer has a transaction open in this partition at `epoch` (KIP-890: then no verification is needed). */
  hasOngoingTransaction(producerId: bigint, epoch: number): boolean {
    return this.log.hasOngoingTransaction(producerId, epoch);
  }

  /** KIP-890: the guard a transactional append must carry, taken before asking the coordinator (see PartitionLog.verificationGuard). */
  verificationGuard(producerId: bigint, epoch: number): object {
    return this.log.verificationGuard(producerId, epoch);
  }

  /** The producers this partition's log knows (DescribeProducers). */
  activeProducers(): ReturnType<PartitionLogPort['activeProducers']> {
    return this.log.activeProducers();
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (-1: the high watermark); resolves
   * with the new start. As Kafka, only a topic whose cleanup.policy includes delete: a compacted
   * one keeps the latest value of every key.
   */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    if (!this.log.config.cleanupPolicy.delete) return Promise.reject(new PartitionError(ErrorCode.POLICY_VIOLATION, `Records of partition ${this.key} can not be deleted due to the configured policy`));
    const target = offset === -1n ? this.hw : offset;
    if (target < 0n || target > this.hw) return Promise.reject(new PartitionError(ErrorCode.OFFSET_OUT_OF_RANGE, `Cannot delete records of ${this.key} before ${offset}: the high watermark is ${this.hw}`));
    return this.log.deleteRecordsBefore(target);
  }

  /**
   * OffsetForLeaderEpoch as the leader answers it (Kafka's lastOffsetForLeaderEpoch): the largest
   * epoch at or below `epoch` and where it ended, from the log's leader-epoch cache. The current
   * epoch ends at the log end even before a record of it is written (the cache learns an epoch
   * from its first batch; Kafka writes it at election, which would cost a file per new partition).
   */
  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: bigint } {
    const latest = this.log.latestEpoch;
    if (latest === undefined || latest < this.state.leaderEpoch) {
      if (epoch >= this.state.leaderEpoch) return epoch === this.state.leaderEpoch ? { leaderEpoch: epoch, endOffset: this.log.logEndOffset } : { leaderEpoch: -1, endOffset: -1n };
      // Between the log's latest epoch and the current one: the current epoch starts at the log end
      // (Kafka's cache would hold that start from the election on).
      if (latest === undefined) return { leaderEpoch: epoch, endOffset: this.log.logEndOffset };
      if (epoch >= latest) return { leaderEpoch: latest, endOffset: this.log.logEndOffset };
    }
    const found = this.log.endOffsetForEpoch(epoch);
    return { leaderEpoch: found.epoch, endOffset: found.endOffset };
  }

  /**
   * Stops following the log (the partition is deleted or moved away, or the broker closes).
   * Whoever still holds it (a fetch woken from the purgatory, an acks=all produce waiting for its
   * followers) gets NOT_LEADER_OR_FOLLOWER, and does not read the log whose files are going.
   */
  close(): void {
    this.removed = true;
    this.stopListening();
  }

  /** Closed: no longer held here. */
  get isRemoved(): boolean {
    return this.removed;
  }
}

/** The offset after the last whole batch of `chunks` (read results are whole batches), or undefined when empty. */
function nextOffsetAfter(chunks: readonly Buffer[]): bigint | undefined {
  let next: bigint | undefined;
  for (const c of chunks) {
    for (let pos = 0; pos + LOG_OVERHEAD <= c.length; ) {
      next = c.readBigInt64BE(pos) + BigInt(c.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET)) + 1n;
      pos += LOG_OVERHEAD + c.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    }
  }
  return next;
}

/**
 * The log read options of a read at `opts.isolation`: below the high watermark `hw`, the last
 * stable offset `lso` (read_committed), or the log end (followers). Built whole (no spreads): this
 * runs for every fetch that reads records.
 */
function logReadOptions(opts: { isolation: ReadIsolation; minOneBatch: boolean; buffers?: BufferSource }, hw: bigint, lso: bigint): ReadOptions {
  const readOptions: ReadOptions = { minOneBatch: opts.minOneBatch };
  const limit = opts.isolation === 'high-watermark' ? hw : opts.isolation === 'txn-committed' ? lso : undefined;
  if (limit !== undefined) readOptions.maxOffset = limit;
  if (opts.buffers) readOptions.buffers = opts.buffers;
  return readOptions;
}
