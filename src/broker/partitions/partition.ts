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
 */
import type { AppendResult, PartitionLog, ReadResult, TimestampOffset } from '../../log/index.js';
import type { BufferSource } from '../../log/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
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
}

/** A read with what the fetch purgatory needs to count the bytes that become visible after it. */
export interface PartitionRead extends ReadResult {
  /** The high watermark the read stopped at (consumers) or saw (followers). */
  highWatermark: bigint;
  /** Bytes below the high watermark when the read was made (see `visibleBytes`). */
  visibleBytesAtRead: number;
}

/** How far a read may go: consumers below the high watermark, followers (later) to the log end. */
export type ReadIsolation = 'high-watermark' | 'log-end';

export class Partition implements TopicPartition {
  readonly key: string;
  private state: LeaderAndIsr;
  private hw: bigint;
  /** Bytes the log has acknowledged since this partition was opened. */
  private ackedBytes = 0;
  /** Bytes below the high watermark (cumulative since open), and acknowledged ones above it. */
  private visible = 0;
  private aboveHw: { end: bigint; ackedBytes: number }[] = [];
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

  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }

  /** Bytes of record batches below the high watermark, counted since this partition was opened. */
  get visibleBytes(): number {
    return this.visible;
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
    return this.log.append(records, { leaderEpoch: this.state.leaderEpoch, ...(opts.logAppendTime !== undefined ? { logAppendTime: opts.logAppendTime } : {}) });
  }

  /** The log acknowledged everything below `end`, `bytes` of it new. */
  private localAcknowledged(end: bigint, bytes: number): void {
    this.ackedBytes += bytes;
    if (this.aboveHw.length > 0 || this.state.isr.length > 1) this.aboveHw.push({ end, ackedBytes: this.ackedBytes });
    this.maybeIncrementHighWatermark();
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
    if (hw === localEnd) {
      // Everything acknowledged is visible (always so with no other in-sync replica).
      this.visible = this.ackedBytes;
      this.aboveHw = [];
    } else {
      let n = 0;
      while (n < this.aboveHw.length && this.aboveHw[n]!.end <= hw) this.visible = this.aboveHw[n++]!.ackedBytes;
      if (n > 0) this.aboveHw = this.aboveHw.slice(n);
    }
    this.listener.partitionChanged(this);
  }

  /** Whole batches from `offset` within `maxBytes`, below the high watermark (or the log end for followers). */
  async read(offset: bigint, maxBytes: number, opts: { isolation: ReadIsolation; minOneBatch: boolean; buffers?: BufferSource }): Promise<PartitionRead> {
    const hw = this.hw;
    const visibleBytesAtRead = this.visible;
    const r = await this.log.read(offset, maxBytes, {
      minOneBatch: opts.minOneBatch,
      ...(opts.isolation === 'high-watermark' ? { maxOffset: hw } : {}),
      ...(opts.buffers ? { buffers: opts.buffers } : {}),
    });
    return { ...r, highWatermark: hw, visibleBytesAtRead };
  }

  /** ListOffsets by timestamp, among the records below the high watermark. */
  async offsetForTimestamp(timestamp: bigint): Promise<TimestampOffset | undefined> {
    const found = await this.log.offsetForTimestamp(timestamp);
    return found && found.offset < this.hw ? found : undefined;
  }

  async maxTimestampOffset(): Promise<TimestampOffset | undefined> {
    const found = await this.log.maxTimestampOffset();
    return found && found.offset < this.hw ? found : undefined;
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
