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
 * wakes them, a coordinator's appends included.
 *
 * Transactions: the last stable offset (Kafka's UnifiedLog.lastStableOffset) is the lower of the
 * high watermark and the log's first unstable offset (the oldest transaction not yet decided, or
 * decided by a marker the high watermark has not passed). read_committed reads stop there and
 * carry the aborted transactions of what they return. It moves only when the high watermark does,
 * so the same wake-ups serve read_committed long polls, which count the bytes below it.
 */
import type { AbortedTxn, AppendOptions, AppendResult, PartitionLog, ReadResult, TimestampOffset } from '../../log/index.js';
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
  | 'offsetForTimestamp'
  | 'maxTimestampOffset'
  | 'deleteRecordsBefore'
  | 'subscribe'
  | 'latestEpoch'
  | 'endOffsetForEpoch'
  | 'firstUnstableOffset'
  | 'onHighWatermarkUpdated'
  | 'collectAbortedTransactions'
  | 'hasOngoingTransaction'
  | 'verificationGuard'
  | 'activeProducers'
>;

/** Who leads a partition, at which epoch, and which replicas are in sync (Kafka's LeaderAndIsr). */
export interface LeaderAndIsr {
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
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
  /** Follower fetch positions (log end offsets), by replica id. */
  private readonly followers = new Map<number, bigint>();
  /** Appends whose records are still being prepared (recompressed) keep their order behind this. */
  private appendTail: Promise<void> | undefined;
  private readonly stopListening: () => void;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly topicId: string,
    private readonly localId: number,
    readonly log: PartitionLogPort,
    state: LeaderAndIsr,
    private readonly listener: PartitionListener,
  ) {
    this.key = tpKey(topic, partition);
    this.state = state;
    this.hw = log.acknowledgedEnd;
    log.onHighWatermarkUpdated(this.hw);
    this.stopListening = log.subscribe({ acknowledged: (end, bytes) => this.localAcknowledged(end, bytes) });
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

  /** A replica here that another broker leads (it will fetch from the leader: replication is the next issue). */
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

  /** Bytes of record batches below the high watermark, counted since this partition was opened. */
  get visibleBytes(): number {
    return this.visible;
  }

  /** Bytes a reader at `isolation` can see (below the last stable offset for read_committed), counted since open. */
  visibleBytesFor(isolation: ReadIsolation): number {
    return isolation === 'txn-committed' ? this.stable : this.visible;
  }

  /** Takes a new leadership state (a leader election, an ISR change); the high watermark follows. */
  updateLeadership(state: LeaderAndIsr): void {
    this.state = state;
    for (const id of this.followers.keys()) if (!state.replicas.includes(id)) this.followers.delete(id);
    this.maybeIncrementHighWatermark();
    this.listener.partitionChanged(this);
  }

  /** A follower fetched from `logEndOffset`: it has everything below it. */
  updateFollowerFetchState(replicaId: number, logEndOffset: bigint): void {
    const previous = this.followers.get(replicaId);
    if (previous !== undefined && previous >= logEndOffset) return;
    this.followers.set(replicaId, logEndOffset);
    this.maybeIncrementHighWatermark();
  }

  /** The error a request needing the leader gets here, if any, checking the client's leader epoch (-1: none). */
  leaderError(currentLeaderEpoch = -1): number | undefined {
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
    return this.log.append(records, {
      leaderEpoch: this.state.leaderEpoch,
      ...(opts.logAppendTime !== undefined ? { logAppendTime: opts.logAppendTime } : {}),
      ...(opts.origin !== undefined ? { origin: opts.origin } : {}),
      ...(opts.verification !== undefined ? { verification: opts.verification } : {}),
    });
  }

  /** The log acknowledged everything below `end`, `bytes` of it new. */
  private localAcknowledged(end: bigint, bytes: number): void {
    this.ackedBytes += bytes;
    if (this.aboveHw.length > 0 || this.state.isr.length > 1) this.aboveHw.push({ end, ackedBytes: this.ackedBytes });
    this.aboveLso.push({ end, ackedBytes: this.ackedBytes });
    this.maybeIncrementHighWatermark();
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

  /** Kafka's maybeIncrementLeaderHW: the least end among the leader and the in-sync followers. */
  private maybeIncrementHighWatermark(): void {
    if (!this.isLeader) return;
    const localEnd = this.log.acknowledgedEnd;
    let hw = localEnd;
    for (const id of this.state.isr) {
      if (id === this.localId) continue;
      const end = this.followers.get(id) ?? this.hw;
      if (end < hw) hw = end;
    }
    if (hw <= this.hw) return;
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
  }

  /**
   * Whole batches from `offset` within `maxBytes`, below the high watermark (read_committed: the
   * last stable offset, with the aborted transactions among them; followers: the log end).
   */
  async read(offset: bigint, maxBytes: number, opts: { isolation: ReadIsolation; minOneBatch: boolean; buffers?: BufferSource }): Promise<PartitionRead> {
    const hw = this.hw;
    const lso = this.lastStableOffset;
    const visibleBytesAtRead = this.visibleBytesFor(opts.isolation);
    const limit = opts.isolation === 'high-watermark' ? hw : opts.isolation === 'txn-committed' ? lso : undefined;
    const r = await this.log.read(offset, maxBytes, {
      minOneBatch: opts.minOneBatch,
      ...(limit !== undefined ? { maxOffset: limit } : {}),
      ...(opts.buffers ? { buffers: opts.buffers } : {}),
    });
    let abortedTransactions: AbortedTxn[] | null = null;
    if (opts.isolation === 'txn-committed') {
      const upper = nextOffsetAfter(r.chunks);
      abortedTransactions = upper === undefined ? [] : await this.log.collectAbortedTransactions(offset, upper);
    }
    return { ...r, highWatermark: hw, lastStableOffset: lso, visibleBytesAtRead, abortedTransactions };
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

  /** DeleteRecords: moves the log start offset up to `offset` (-1: the high watermark); resolves with the new start. */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
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
    if (epoch >= this.state.leaderEpoch && (latest === undefined || latest < this.state.leaderEpoch)) {
      return epoch === this.state.leaderEpoch ? { leaderEpoch: epoch, endOffset: this.log.logEndOffset } : { leaderEpoch: -1, endOffset: -1n };
    }
    const found = this.log.endOffsetForEpoch(epoch);
    return { leaderEpoch: found.epoch, endOffset: found.endOffset };
  }

  /** Stops following the log (the partition is deleted or the broker closes). */
  close(): void {
    this.stopListening();
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
