/**
 * Kafka's ReplicaManager: the partitions this broker holds, found by topic name or id, and the
 * two things clients do with them. Appends go to each partition's leader and, for acks=all, wait
 * in the produce purgatory for the high watermark; fetches read below the high watermark and, when
 * they find too little, wait in the fetch purgatory. Both purgatories are woken by the partitions
 * themselves when their high watermark or leadership moves, whoever appended.
 *
 * Which partitions a broker holds, and their leadership, follow the metadata image: the broker's
 * metadata publisher (cluster/broker-metadata-publisher.ts) opens or creates a partition when the
 * image makes this broker one of its replicas, passes on every leadership change, and deletes the
 * partition when its topic is deleted or the broker stops being a replica.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import type { BufferSource, LogConfig, LogManager, VerificationCheck } from '../../log/index.js';
import { ProducerStateError } from '../../log/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { TopicPolicy } from '../config/topic-configs.js';
import type { MetadataImage } from '../../controller/image/metadata-image.js';
import { isInternalTopic } from '../../common/topic-name.js';
import { prepareProduceRecords } from '../produce/validate-produce.js';
import { awaitHighWatermarks } from './delayed-produce.js';
import { type FetchOutcome, type FetchParams, type FetchTarget, readPartitions } from './fetch-messages.js';
import { type LeaderAndIsr, type LeaderAppendOptions, Partition, type PartitionListener } from './partition.js';
import { PartitionError, type RecordError } from './partition-error.js';
import { DelayedFetchPurgatory, unchangedSinceRead } from './delayed-fetch.js';
import { Purgatory } from './purgatory.js';
import { type TxnVerifier, verifiedRecords } from './txn-verification.js';
import { tpKey } from './topic-partition.js';
import type { Disk } from '../../storage/disk.js';
import { partitionDirName } from '../../log/file-names.js';
import type { OffsetCheckpoint } from '../../log/offset-checkpoint-file.js';
import { HighWatermarkCheckpointer } from './high-watermark-checkpoint.js';

export interface ReplicaManagerOptions {
  nodeId: number;
  logs: LogManager;
  /** The committed metadata (topics by name and id). */
  image: MetadataImage;
  /** The produce rules of a topic (its effective config). */
  policyOf(topic: string): TopicPolicy;
  clock: Clock;
  logger: Logger;
  /** Operations each purgatory holds at most (bounded anyway by connections × requests in flight). */
  maxDelayedOperations: number;
  /** KIP-890: asks the transaction coordinator before a transaction's first batch in a partition (none: transaction.partition.verification.enable=false). */
  txnVerifier?: () => TxnVerifier | undefined;
  /** `replica.lag.time.max.ms`: an in-sync follower not caught up for this long leaves the ISR. */
  replicaLagTimeMaxMs?: number;
  /** Simulator controls only (src/sim/partition-sim.ts): a deliberate defect, acks=all answered once the leader's log has the records, without waiting for the ISR. */
  unsafeAcksAllWithoutIsr?: boolean;
  /**
   * The high-watermark checkpoint (high-watermark-checkpoint.ts): what it held at start, and where
   * and how often (`replica.high.watermark.checkpoint.interval.ms`) to write it. Without it a
   * partition opens with its high watermark at its log's acknowledged end. `checkpointed` is taken
   * over, not copied: each entry is removed as its partition first opens.
   */
  highWatermarks?: { checkpointed: OffsetCheckpoint; disk: Disk; dataDir: string; intervalMs: number };
}

/** Replication's part (src/broker/replication): following leaders and asking the controller for ISR changes. */
export interface ReplicationHooks {
  /** The partition's leadership is now as it says (called after every change, and when first held). */
  leadershipApplied(p: Partition): void;
  /** The partition is no longer held here. */
  removed(p: Partition): void;
  /** The leader wants the ISR of `p` changed to `isr` (AlterPartition). */
  alterIsr(p: Partition, isr: number[]): void;
}

export interface ProduceEntry {
  topic: string;
  partition: number;
  records: Buffer | null;
}

export interface ProduceResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: bigint;
  logAppendTime: bigint;
  logStartOffset: bigint;
  /** The records the batch was refused for (Produce v8+), when the error is theirs. */
  recordErrors?: readonly RecordError[];
}

function sameLeadership(a: LeaderAndIsr, b: LeaderAndIsr): boolean {
  const same = (x: readonly number[], y: readonly number[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return a.leader === b.leader && a.leaderEpoch === b.leaderEpoch && a.partitionEpoch === b.partitionEpoch && same(a.replicas, b.replicas) && same(a.isr, b.isr);
}

const produceFailure = (errorCode: number, errorMessage: string | null = null): ProduceResult => ({ errorCode, errorMessage, baseOffset: -1n, logAppendTime: -1n, logStartOffset: -1n });
/** The answer to an append a PartitionError refused, with the records it names. */
const refusal = (err: PartitionError): ProduceResult => (err.recordErrors.length > 0 ? { ...produceFailure(err.errorCode, err.message), recordErrors: err.recordErrors } : produceFailure(err.errorCode, err.message));

/** One partition's append of a produce request, as it goes. */
interface LocalAppend {
  result: Promise<ProduceResult>;
  partition?: Partition;
  /** The offset after the append's last record, once appended (what acks=all waits for). */
  nextOffset: bigint;
  minIsr: number;
}

/** A placeholder for an entry's result until its append has started (never awaited). */
const NOT_YET: Promise<ProduceResult> = Promise.resolve(produceFailure(ErrorCode.UNKNOWN_SERVER_ERROR));
const inArray = (r: ProduceResult): ProduceResult[] => [r];

export class ReplicaManager implements PartitionListener {
  private readonly partitions = new Map<string, Partition>();
  readonly fetchPurgatory: DelayedFetchPurgatory;
  readonly producePurgatory: Purgatory;
  private replication: ReplicationHooks | undefined;
  private isrTimer: { cancel(): void } | undefined;
  private closed = false;
  private readonly hwCheckpointer: HighWatermarkCheckpointer | undefined;
  /** High watermarks read at start, each used once, by the first opening of its partition. */
  private readonly checkpointedHighWatermarks: OffsetCheckpoint;

  constructor(private readonly o: ReplicaManagerOptions) {
    this.fetchPurgatory = new DelayedFetchPurgatory(o.clock, o.maxDelayedOperations);
    this.producePurgatory = new Purgatory(o.clock, o.maxDelayedOperations);
    const hw = o.highWatermarks;
    // Not copied: 1,000 entries at a start with 1,000 partitions, read for this manager alone.
    this.checkpointedHighWatermarks = hw?.checkpointed ?? new Map();
    this.hwCheckpointer = hw
      ? new HighWatermarkCheckpointer({
          disk: hw.disk,
          dataDir: hw.dataDir,
          clock: o.clock,
          intervalMs: hw.intervalMs,
          entries: () => [...this.partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition, highWatermark: p.highWatermark })),
          onError: (err) => o.logger.warn({ err }, 'could not write replication-offset-checkpoint'),
        })
      : undefined;
  }

  /** Writes every held partition's high watermark to replication-offset-checkpoint (a clean shutdown's last write). */
  async checkpointHighWatermarks(): Promise<void> {
    await this.hwCheckpointer?.write();
  }

  /** The high watermark a partition opened now starts from: its checkpointed one, else its log start (Kafka's); undefined without a checkpoint. */
  private startingHighWatermark(topic: string, partition: number, log: { logStartOffset: bigint }): bigint | undefined {
    if (!this.o.highWatermarks) return undefined;
    const key = partitionDirName(topic, partition);
    const hw = this.checkpointedHighWatermarks.get(key);
    this.checkpointedHighWatermarks.delete(key);
    return hw ?? log.logStartOffset;
  }

  /** Connects replication (fetchers, AlterPartition); starts the periodic ISR shrink check (Kafka's isr-expiration task). */
  startReplication(hooks: ReplicationHooks): void {
    this.replication = hooks;
    for (const p of this.partitions.values()) hooks.leadershipApplied(p);
    this.scheduleIsrCheck();
  }

  private scheduleIsrCheck(): void {
    const lag = this.o.replicaLagTimeMaxMs;
    if (lag === undefined || this.closed) return;
    this.isrTimer = this.o.clock.setTimeout(() => {
      this.maybeShrinkIsr();
      this.scheduleIsrCheck();
    }, Math.max(1, Math.floor(lag / 2)));
  }

  /** Proposes, for each partition led here, the ISR without followers that have lagged for `replica.lag.time.max.ms`. */
  maybeShrinkIsr(): void {
    const lag = this.o.replicaLagTimeMaxMs;
    const hooks = this.replication;
    if (lag === undefined || !hooks) return;
    const now = this.o.clock.now();
    for (const p of this.partitions.values()) {
      if (!p.isLeader || p.leaderAndIsr.isr.length <= 1) continue;
      const isr = p.isrToShrink(now, lag);
      if (isr) {
        this.o.logger.info({ topic: p.topic, partition: p.partition, isr: p.leaderAndIsr.isr, newIsr: isr }, 'shrinking the ISR');
        hooks.alterIsr(p, isr);
      }
    }
  }

  /** A follower fetched `p` (led here) from `fetchOffset`: its position counts for the high watermark, and it may rejoin the ISR. */
  followerFetched(p: Partition, replicaId: number, fetchOffset: bigint): void {
    p.updateFollowerFetchState(replicaId, fetchOffset, this.o.clock.now());
    const isr = p.isrToExpand(replicaId);
    if (isr && this.replication) {
      this.o.logger.info({ topic: p.topic, partition: p.partition, replica: replicaId, newIsr: isr }, 'expanding the ISR');
      this.replication.alterIsr(p, isr);
    }
  }

  /** The partition if this broker holds it. */
  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(tpKey(topic, partition));
  }

  /** The partition, or the error a request about it answers: unknown, or not held here. */
  partitionOrError(topic: string | undefined, partition: number): Partition | number {
    const t = topic === undefined ? undefined : this.o.image.topic(topic);
    if (!t || partition < 0 || partition >= t.partitionCount) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    return this.getPartition(t.name, partition) ?? ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }

  /** The leader's partition, or the error: unknown, not the leader, a fenced or unknown leader epoch. */
  leaderPartitionOrError(topic: string | undefined, partition: number, currentLeaderEpoch = -1): Partition | number {
    const p = this.partitionOrError(topic, partition);
    if (typeof p === 'number') return p;
    return p.leaderError(currentLeaderEpoch) ?? p;
  }

  /** The name of the topic with this id, if it exists. */
  topicName(topicId: string): string | undefined {
    return this.o.image.topicById(topicId)?.name;
  }

  /** Every partition held here. */
  allPartitions(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /** PartitionListener: a high watermark or leadership moved. */
  partitionChanged(p: Partition): void {
    this.producePurgatory.checkAndComplete(p.key);
    this.fetchPurgatory.partitionChanged(p);
  }

  // ---- lifecycle (driven by the metadata) ----

  /**
   * Holds a partition as the metadata says: a partition held already takes the new leadership;
   * otherwise its log (found at start-up, or created now) is opened with it.
   */
  async makePartition(topic: string, topicId: string, partition: number, state: LeaderAndIsr, config: LogConfig): Promise<Partition> {
    const held = this.getPartition(topic, partition);
    if (held && held.topicId === topicId) {
      if (!sameLeadership(held.leaderAndIsr, state)) {
        held.updateLeadership(state, this.o.clock.now());
        this.replication?.leadershipApplied(held);
      }
      return held;
    }
    if (held) await this.removePartition(topic, partition);
    const found = this.o.logs.getLog(topic, partition);
    const log = found ?? (await this.o.logs.createLog(topic, partition, config));
    // Created meanwhile by an earlier call for the same partition (only while this one waited: at a start every log is found).
    const raced = held || !found ? this.getPartition(topic, partition) : undefined;
    if (raced) return raced;
    const p = new Partition(topic, partition, topicId, this.o.nodeId, log, state, this, this.o.clock.now(), this.startingHighWatermark(topic, partition, log));
    this.partitions.set(p.key, p);
    this.replication?.leadershipApplied(p);
    return p;
  }

  /** Stops holding a partition and deletes its log (its topic is gone, or this broker is no longer a replica). */
  async removePartition(topic: string, partition: number): Promise<void> {
    const p = this.getPartition(topic, partition);
    if (p) {
      this.partitions.delete(p.key);
      this.replication?.removed(p);
      p.close();
      // Waiting operations hear that the partition is gone.
      this.partitionChanged(p);
    }
    await this.o.logs.deleteLog(topic, partition);
  }

  updateConfig(topic: string, config: LogConfig): void {
    this.o.logs.updateConfig(topic, config);
  }

  /** Deletes a log no partition of the metadata needs (a topic deleted while this broker was down). */
  async deleteStrayLog(topic: string, partition: number): Promise<void> {
    if (!this.getPartition(topic, partition)) await this.o.logs.deleteLog(topic, partition);
  }

  /** Answers every waiting operation as it stands (the broker is closing). */
  close(): void {
    this.closed = true;
    this.isrTimer?.cancel();
    this.hwCheckpointer?.stop();
    this.producePurgatory.expireAll();
    this.fetchPurgatory.expireAll();
    for (const p of this.partitions.values()) p.close();
  }

  // ---- produce ----

  /**
   * Appends a client's produce data, partition by partition. Everything up to each log append
   * runs synchronously, so appends keep the order of the requests on a connection. acks=all then
   * waits for the high watermark (at most `timeoutMs`).
   */
  appendRecords(entries: readonly ProduceEntry[], acks: number, timeoutMs: number, apiVersion: number, transactionalId: string | null = null): Promise<ProduceResult[]> {
    const now = this.o.clock.now();
    const local = entries.map((e) => this.appendEntry(e, acks, apiVersion, now, transactionalId));
    // A request for one partition (every request of a producer of one partition) needs no Promise.all.
    const appended = local.length === 1 ? local[0]!.result.then(inArray) : Promise.all(local.map((l) => l.result));
    if (acks !== -1 || this.o.unsafeAcksAllWithoutIsr) return appended;
    return appended.then((results) => this.awaitReplicated(local, results, timeoutMs));
  }

  /** acks=all: each appended entry's result once the high watermark covers it (or its error). */
  private async awaitReplicated(local: readonly LocalAppend[], results: ProduceResult[], timeoutMs: number): Promise<ProduceResult[]> {
    const waiting = results.flatMap((r, i) => (r.errorCode === ErrorCode.NONE && local[i]!.partition ? [i] : []));
    if (waiting.length === 0) return results;
    const codes = await awaitHighWatermarks(
      this.producePurgatory,
      waiting.map((i) => ({ partition: local[i]!.partition!, requiredOffset: local[i]!.nextOffset, minInsyncReplicas: local[i]!.minIsr })),
      timeoutMs,
    );
    waiting.forEach((i, n) => {
      if (codes[n] !== ErrorCode.NONE) results[i] = { ...results[i]!, errorCode: codes[n]!, ...(codes[n] === ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND ? {} : { baseOffset: -1n }) };
    });
    return results;
  }

  private appendEntry(e: ProduceEntry, acks: number, apiVersion: number, now: number, transactionalId: string | null): LocalAppend {
    const none = (r: ProduceResult) => ({ result: Promise.resolve(r), nextOffset: -1n, minIsr: 1 });
    if (acks !== 0 && acks !== 1 && acks !== -1) return none(produceFailure(ErrorCode.INVALID_REQUIRED_ACKS));
    const p = this.partitionOrError(e.topic, e.partition);
    if (typeof p === 'number') return none(produceFailure(p));
    if (isInternalTopic(e.topic)) return none(produceFailure(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${e.topic}`));
    const policy = this.o.policyOf(e.topic);
    const refused = p.appendRefusal(acks, policy.minInsyncReplicas);
    if (refused) return none(produceFailure(refused.errorCode, refused.message));
    const prepared = prepareProduceRecords(e, policy, apiVersion, now);
    if (prepared instanceof PartitionError) return none(refusal(prepared));
    // The result is set below, before anyone reads it; the entry exists first for its nextOffset.
    const entry: LocalAppend = { result: NOT_YET, partition: p, nextOffset: -1n, minIsr: policy.minInsyncReplicas };
    const verifier = transactionalId !== null && prepared.producer.isTransactional ? this.o.txnVerifier?.() : undefined;
    const { records, verification } = verifier ? verifiedRecords(verifier, p, prepared.records, prepared.producer, transactionalId!, apiVersion) : { records: prepared.records, verification: undefined };
    // Built whole (no spreads): this runs for every produce request.
    const opts: LeaderAppendOptions = { requiredAcks: acks, minInsyncReplicas: policy.minInsyncReplicas };
    if (prepared.logAppendTime !== undefined) opts.logAppendTime = prepared.logAppendTime;
    if (verification) opts.verification = verification;
    const logAppendTime = prepared.logAppendTime ?? -1n;
    entry.result = p.appendAsLeader(records, opts).then(
      (r): ProduceResult => {
        entry.nextOffset = r.lastOffset + 1n;
        return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: r.baseOffset, logAppendTime, logStartOffset: r.logStartOffset };
      },
      (err: unknown) => this.appendFailure(err, e),
    );
    return entry;
  }

  private appendFailure(err: unknown, e: { topic: string; partition: number }): ProduceResult {
    if (err instanceof PartitionError) return refusal(err);
    if (err instanceof ProducerStateError) return produceFailure(err.errorCode, err.message);
    this.o.logger.error({ err, topic: e.topic, partition: e.partition }, 'append failed');
    return produceFailure(ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
  }

  /**
   * Appends a coordinator's batch (group records, transactional offset commits, transaction
   * markers) to a partition and resolves once the high watermark covers it (acks=all); rejects
   * with a PartitionError or the log's error. The log checks it as a coordinator's write (no
   * sequence numbers); `verification` is the KIP-890 guard of a transactional one.
   */
  async appendInternal(topic: string, partition: number, batch: Buffer, timeoutMs: number, verification?: VerificationCheck): Promise<void> {
    const p = this.partitionOrError(topic, partition);
    if (typeof p === 'number') throw new PartitionError(p, `cannot append to ${tpKey(topic, partition)}`);
    const r = await p.appendAsLeader(batch, { requiredAcks: -1, minInsyncReplicas: 1, origin: 'coordinator', ...(verification ? { verification } : {}) });
    const [code] = await awaitHighWatermarks(this.producePurgatory, [{ partition: p, requiredOffset: r.lastOffset + 1n, minInsyncReplicas: 1 }], timeoutMs);
    if (code !== ErrorCode.NONE) throw new PartitionError(code!, `append to ${p.key} not replicated`);
  }

  // ---- fetch ----

  /**
   * Reads the targets (see fetch-messages.ts); when fewer than `minBytes` were found and nothing
   * failed, waits up to `maxWaitMs` for more and reads again. Answered now, without a promise,
   * when no wait is needed and every read could be made now (readPartitions).
   */
  fetchMessages(targets: readonly FetchTarget[], params: FetchParams, buffers: BufferSource): FetchOutcome[] | Promise<FetchOutcome[]> {
    const first = readPartitions(targets, params, buffers, this.onFetchError);
    return first instanceof Promise ? first.then((f) => this.afterFirstRead(targets, f, params, buffers)) : this.afterFirstRead(targets, first, params, buffers);
  }

  private readonly onFetchError = (err: unknown, p: Partition): void => this.o.logger.error({ err, topic: p.topic, partition: p.partition }, 'fetch read failed');

  private afterFirstRead(targets: readonly FetchTarget[], first: FetchOutcome[], params: FetchParams, buffers: BufferSource): FetchOutcome[] | Promise<FetchOutcome[]> {
    const total = first.reduce((n, o) => n + o.bytes, 0);
    if (total >= params.minBytes || params.maxWaitMs <= 0 || first.some((o) => o.errorCode !== ErrorCode.NONE)) return first;
    return this.waitAndReadAgain(targets, first, params, buffers);
  }

  /** Waits in the fetch purgatory, then reads again what may have changed (no async frame: one per held fetch otherwise). */
  private waitAndReadAgain(targets: readonly FetchTarget[], first: FetchOutcome[], params: FetchParams, buffers: BufferSource): Promise<FetchOutcome[]> {
    return this.fetchPurgatory.wait(targets, first, params).then(() => this.readAgain(targets, first, params, buffers));
  }

  private readAgain(targets: readonly FetchTarget[], first: FetchOutcome[], params: FetchParams, buffers: BufferSource): FetchOutcome[] | Promise<FetchOutcome[]> {
    // Read again what may have changed; what provably did not keeps its first answer.
    const again: number[] = [];
    for (let i = 0; i < targets.length; i++) if (!unchangedSinceRead(targets[i]!, first[i]!, params)) again.push(i);
    if (again.length === targets.length) return readPartitions(targets, params, buffers, this.onFetchError);
    const outcomes = [...first];
    if (again.length === 0) return outcomes;
    const merge = (read: FetchOutcome[]) => {
      for (const [k, i] of again.entries()) outcomes[i] = read[k]!;
      return outcomes;
    };
    const read = readPartitions(
      again.map((i) => targets[i]!),
      params,
      buffers,
      this.onFetchError,
    );
    return read instanceof Promise ? read.then(merge) : merge(read);
  }
}
