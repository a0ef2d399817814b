/**
 * The producer. `send` places each record in its partition (explicit, by key with Kafka's murmur2,
 * or sticky for unkeyed records) and resolves once the broker acknowledges it. Records are batched
 * per partition: a batch is sent when it reaches `batchSize` bytes or has waited `lingerMs`.
 * Batches for partitions with the same leader travel in one Produce request (one batch per
 * partition per request). `bufferMemory` bounds the bytes waiting: `send` waits while it is full.
 *
 * Idempotence (Kafka's enable.idempotence) is on by default with acks=all once a broker serves
 * InitProducerId: batches carry the producer id and per-partition sequence numbers, so a retry of
 * a batch the broker already wrote is not written twice, and up to five batches per partition are
 * in flight with their order kept across retries (see partition-queue.ts). Without idempotence one
 * batch per partition is in flight unless `maxInFlight` says otherwise.
 *
 * With a `transactionalId` the producer is transactional (Kafka's transactional.id): it sends only
 * inside transactions (`producer.transaction()`, transaction.ts), each partition joining the
 * transaction before its first batch (transaction-manager.ts), and its batches are transactional.
 */
import { COMPRESSION_LEVELS, CompressionType, isCompressionLevel } from '../../protocol/compression/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { ProduceApi, type ProduceResponse } from '../../protocol/messages/index.js';
import type { RecordHeaderInput } from '../../protocol/records/index.js';
import { encodeRecordBatch } from '../../protocol/records/index.js';
import type { Cluster } from '../cluster.js';
import { KafkaProtocolError, SamsaClientError, isRetriable } from '../errors.js';
import { StickyPartitions, partitionForKey } from '../partitioner.js';
import { type Bytes, type Serializer, bytesSerde, toBytes } from '../serde.js';
import type { ProducerRecord, RecordMetadata } from './producer-types.js';
import type { Clock, TimerHandle } from '../world.js';
import { type Batch, PartitionQueue, type PendingRecord, type ProducerIdentity, SendCall } from './partition-queue.js';
import { initProducerId } from './producer-id.js';
import { Transaction } from './transaction.js';
import { TransactionManager } from './transaction-manager.js';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
const CODECS: Record<Compression, CompressionType> = { none: CompressionType.None, gzip: CompressionType.Gzip, snappy: CompressionType.Snappy, lz4: CompressionType.Lz4, zstd: CompressionType.Zstd };

export interface ProducerOptions<K = Bytes, V = Bytes> {
  /** Turns record keys into bytes (default: Buffers and Uint8Arrays as they are, strings as UTF-8). */
  keySerializer?: Serializer<K>;
  /** Turns record values into bytes (the same default), e.g. `jsonSerde` or `stringSerde`. */
  valueSerializer?: Serializer<V>;
  /** 0 (no answer), 1 (the leader wrote it) or -1 / 'all' (every in-sync replica has it). Default all. */
  acks?: 0 | 1 | -1 | 'all';
  /**
   * Kafka's enable.idempotence: default on, with acks=all, once a broker serves InitProducerId;
   * off by default when acks is 0 or 1. Turning it on with acks 0 or 1 is a configuration error.
   */
  idempotent?: boolean;
  /**
   * Batches of one partition in flight at once (Kafka's max.in.flight.requests.per.connection):
   * default 5 with idempotence, which allows at most 5; default 1 without, where more would let a
   * retried batch be overtaken by the next one.
   */
  maxInFlight?: number;
  compression?: Compression;
  /**
   * The codec's level (KIP-390: Kafka's compression.gzip.level, -1 or 1-9; compression.zstd.level,
   * up to 22; compression.lz4.level, 1-17, accepted and not applied: LZ4 has one level here); the
   * codec's default when absent.
   */
  compressionLevel?: number;
  /** How long a batch waits for more records (Kafka's linger.ms, default 5). */
  lingerMs?: number;
  /** Bytes of records per batch before it is sent (Kafka's batch.size, default 1 MiB). */
  batchSize?: number;
  /** Bytes of records waiting to be sent before `send` waits (Kafka's buffer.memory, default 32 MiB). */
  bufferMemory?: number;
  /** Attempts after the first for a batch that fails with a retriable error (default 5). */
  retries?: number;
  retryBackoffMs?: number;
  /** How long the broker may take to replicate before answering (Produce timeoutMs, default 30 s). */
  timeoutMs?: number;
  /**
   * Kafka's transactional.id: the producer sends inside transactions only (`transaction()`), and a
   * new producer with the same id fences this one. Needs idempotence (acks=all).
   */
  transactionalId?: string;
  /** Kafka's transaction.timeout.ms: the coordinator aborts a transaction open longer (default 60 s). */
  transactionTimeoutMs?: number;
  /** Kafka's max.block.ms: how long transaction calls retry a busy or moving coordinator (default 60 s). */
  maxBlockMs?: number;
}

export type { ProducerRecord, RecordMetadata } from './producer-types.js';

interface Sending {
  q: PartitionQueue;
  b: Batch;
}

interface Acknowledged {
  baseOffset: bigint;
  logAppendTime: bigint;
}

const RECORD_OVERHEAD_BYTES = 70;
/** A base offset this far from 2^53 leaves room for any batch's offset deltas in number arithmetic. */
const MAX_SAFE_BASE = BigInt(Number.MAX_SAFE_INTEGER) - 0x7fffffffn;
/** Kafka's most batches in flight per partition with idempotence: brokers remember the last five. */
const MAX_IDEMPOTENT_IN_FLIGHT = 5;
/** Refusals after which the broker may still have written the batch. */
const MAYBE_WRITTEN = new Set<number>([ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND]);

export class Producer<K = Bytes, V = Bytes> {
  private readonly queues = new Map<string, PartitionQueue>();
  /** The same queues by topic, then partition. */
  private readonly topicQueues = new Map<string, (PartitionQueue | undefined)[]>();
  private readonly sticky: StickyPartitions;
  /** The cluster's clock: lingers, retry backoffs and record timestamps. */
  private readonly clock: Clock;
  private bufferedBytes = 0;
  private spaceWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private readonly acks: number;
  private readonly compression: CompressionType;
  private readonly compressionLevel: number | undefined;
  private readonly lingerMs: number;
  private readonly batchSize: number;
  private readonly bufferMemory: number;
  private readonly maxInFlight: number;
  private readonly retries: number;
  private readonly retryBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly keySerializer: Serializer<K>;
  private readonly valueSerializer: Serializer<V>;
  /** The id batches are numbered under; null when not idempotent, undefined until known. */
  private identity: ProducerIdentity | null | undefined;
  private identityRequest: Promise<void> | undefined;
  /** The broker's view of a sequence is unknown: a new id is taken once nothing is in flight. */
  private needNewIdentity = false;
  /** Requests are written in the order batches were taken, whatever encoding takes. */
  private writes: Promise<void> = Promise.resolve();
  /** Wakes drain when the first retry backoff ends. */
  private backoffTimer: TimerHandle | undefined;
  /** Per topic, the latest send's placing of its records: the next send places after it. */
  private readonly placing = new Map<string, Promise<void>>();
  /** The transactional side (with a transactionalId). */
  private readonly txn: TransactionManager | undefined;
  /** An abort is under way: unsent batches are dropped, failed ones not retried. */
  private aborting = false;
  /** A batch with sequence numbers failed or was dropped in this transaction: the next one needs a new epoch. */
  private sequencesSpoiled = false;

  constructor(
    private readonly cluster: Cluster,
    options: ProducerOptions<K, V> = {},
  ) {
    this.clock = cluster.clock;
    this.sticky = new StickyPartitions(cluster.random);
    this.keySerializer = options.keySerializer ?? (bytesSerde as Serializer<K>);
    this.valueSerializer = options.valueSerializer ?? (bytesSerde as Serializer<V>);
    this.acks = options.acks === 'all' || options.acks === undefined ? -1 : options.acks;
    this.compression = CODECS[options.compression ?? 'none'];
    if (this.compression === undefined) throw new SamsaClientError('SAMSA_CONFIG', `unknown compression ${options.compression}: use none, gzip, snappy, lz4 or zstd`);
    this.compressionLevel = options.compressionLevel;
    if (this.compressionLevel !== undefined) checkCompressionLevel(options.compression ?? 'none', this.compressionLevel);
    const idempotent = options.idempotent ?? this.acks === -1;
    if (idempotent && this.acks !== -1) throw new SamsaClientError('SAMSA_CONFIG', `idempotence needs acks=all (acks is ${this.acks}): set acks: 'all' or idempotent: false`);
    this.maxInFlight = options.maxInFlight ?? (idempotent ? MAX_IDEMPOTENT_IN_FLIGHT : 1);
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) throw new SamsaClientError('SAMSA_CONFIG', `maxInFlight must be a positive integer, not ${options.maxInFlight}`);
    if (idempotent && this.maxInFlight > MAX_IDEMPOTENT_IN_FLIGHT) throw new SamsaClientError('SAMSA_CONFIG', `idempotence allows at most ${MAX_IDEMPOTENT_IN_FLIGHT} batches in flight per partition, not ${this.maxInFlight}`);
    this.identity = idempotent ? undefined : null;
    this.lingerMs = options.lingerMs ?? 5;
    this.batchSize = options.batchSize ?? 1024 * 1024;
    this.bufferMemory = options.bufferMemory ?? 32 * 1024 * 1024;
    this.retries = options.retries ?? 5;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    if (options.transactionalId !== undefined) {
      if (!idempotent) throw new SamsaClientError('SAMSA_CONFIG', 'a transactional producer needs idempotence (acks=all)');
      if (options.transactionalId === '') throw new SamsaClientError('SAMSA_CONFIG', 'transactionalId must not be empty');
      this.txn = new TransactionManager(cluster, options.transactionalId, options.transactionTimeoutMs ?? 60_000, options.maxBlockMs ?? 60_000, () => this.afterAnswers());
    }
  }

  /** The transactional id, for a transactional producer. */
  get transactionalId(): string | undefined {
    return this.txn?.transactionalId;
  }

  /**
   * Begins a transaction (the first call initializes the transactional id, fencing any earlier
   * producer with it): send with it, add consumed offsets with `sendOffsets`, then `commit()` or
   * `abort()`. One transaction at a time.
   */
  async transaction(): Promise<Transaction<K, V>> {
    const tm = this.txn;
    if (!tm) throw new SamsaClientError('SAMSA_CONFIG', 'transactions need a transactionalId in the producer options');
    if (this.closed) throw new SamsaClientError('SAMSA_CLOSED', 'the producer is closed');
    if (tm.needsInit) {
      await this.flush();
      await tm.init();
      const id = tm.identity!;
      if (this.identity && (this.identity.producerId !== id.producerId || this.identity.producerEpoch !== id.producerEpoch)) for (const q of this.queues.values()) q.resetSequences();
      this.identity = id;
      this.sequencesSpoiled = false;
    }
    tm.begin();
    return new Transaction(this, tm);
  }

  /**
   * @internal Transaction.abort: drops what is not sent yet, waits for what is in flight, and
   * resolves with whether batches with sequence numbers were lost (the next transaction then
   * starts at a new epoch).
   */
  async abortInFlight(reason: Error): Promise<boolean> {
    this.aborting = true;
    try {
      for (const q of this.queues.values()) this.dropUnsent(q, reason);
      await this.flush();
    } finally {
      this.aborting = false;
    }
    const spoiled = this.sequencesSpoiled;
    this.sequencesSpoiled = false;
    return spoiled;
  }

  private dropUnsent(q: PartitionQueue, reason: Error): void {
    q.timer?.cancel();
    q.timer = undefined;
    q.closeOpen();
    for (const b of q.ready.splice(0)) {
      if (b.baseSequence >= 0) this.sequencesSpoiled = true;
      this.complete(q, b, reason);
    }
  }

  /**
   * Sends records to a topic; resolves with each one's metadata once acknowledged. The records of
   * calls made one after another join their partitions in call order, whatever each call waits
   * for (metadata, buffer space) before its records are placed.
   */
  async send(topic: string, records: ProducerRecord<K, V> | readonly ProducerRecord<K, V>[]): Promise<RecordMetadata[]> {
    if (this.closed) throw new SamsaClientError('SAMSA_CLOSED', 'the producer is closed');
    if (this.txn) {
      if (this.txn.error) throw this.txn.error;
      if (!this.txn.inTransaction) throw new SamsaClientError('SAMSA_TXN_STATE', 'a transactional producer sends inside a transaction: use producer.transaction()');
    }
    const list = Array.isArray(records) ? (records as readonly ProducerRecord<K, V>[]) : [records as ProducerRecord<K, V>];
    const placed = (this.placing.get(topic) ?? Promise.resolve()).then(() => this.place(topic, list));
    const tail = placed.then(
      () => undefined,
      () => undefined,
    );
    this.placing.set(topic, tail);
    void tail.then(() => this.placing.get(topic) === tail && this.placing.delete(topic));
    return (await placed).acked;
  }

  /** Bytes of records waiting to be sent or acknowledged (bounded by bufferMemory). */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /** Whether batches carry a producer id and sequences; undefined until the first batch is sent. */
  get idempotent(): boolean | undefined {
    return this.identity === undefined ? undefined : this.identity !== null;
  }

  /** Sends everything waiting now and resolves once all of it is acknowledged (or failed). */
  async flush(): Promise<void> {
    // Sends still being placed (waiting for metadata or buffer space) are part of what is flushed:
    // a transaction's commit must not overtake them.
    for (;;) {
      for (const q of this.queues.values()) this.markReady(q);
      if (this.placing.size === 0) break;
      await Promise.all([...this.placing.values()]);
    }
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Flushes, then refuses further sends. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  /**
   * Puts each record in its partition's open batch; `acked` settles once all are acknowledged (or
   * one failed). The records of one call share its timestamp (read once, not once per record).
   */
  private async place(topic: string, list: readonly ProducerRecord<K, V>[]): Promise<{ acked: Promise<RecordMetadata[]> }> {
    // As Kafka's producers do, ask for the topic to be created when the broker auto-creates topics.
    const info = await this.cluster.topic(topic, { allowAutoCreate: true });
    const n = info.partitions.length;
    let call!: SendCall;
    const acked = new Promise<RecordMetadata[]>((resolve, reject) => (call = new SendCall(list.length, resolve, reject)));
    // One bigint for the call's records that carry no timestamp of their own (bigints are immutable).
    let now = BigInt(this.clock.now());
    try {
      for (let index = 0; index < list.length; index++) {
        const r = list[index]!;
        const record = this.toPendingRecord(r, now, call, index);
        if (this.bufferedBytes > 0 && this.bufferedBytes + record.bytes > this.bufferMemory) {
          while (this.bufferedBytes > 0 && this.bufferedBytes + record.bytes > this.bufferMemory) await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
          now = BigInt(this.clock.now());
        }
        const partition = r.partition ?? (record.key ? partitionForKey(record.key, n) : this.sticky.partition(topic, n));
        if (!Number.isInteger(partition) || partition < 0 || partition >= n) throw new KafkaProtocolError(3, `${topic} has no partition ${partition}`);
        this.enqueue(topic, partition, record, n);
      }
    } catch (err) {
      call.abandon();
      throw err;
    }
    return { acked };
  }

  private enqueue(topic: string, partition: number, p: PendingRecord, numPartitions: number): void {
    // Found by topic, then partition index: no key string built per record.
    let byPartition = this.topicQueues.get(topic);
    if (!byPartition) this.topicQueues.set(topic, (byPartition = []));
    let q = byPartition[partition];
    if (!q) {
      q = new PartitionQueue(topic, partition, numPartitions);
      byPartition[partition] = q;
      this.queues.set(`${topic}\u0000${partition}`, q);
    }
    q.numPartitions = numPartitions;
    if (q.open.length > 0 && q.openBytes + p.bytes > this.batchSize) this.closeOpen(q);
    q.open.push(p);
    q.openBytes += p.bytes;
    this.bufferedBytes += p.bytes;
    if (q.openBytes >= this.batchSize) return this.markReady(q);
    if (this.lingerMs === 0) {
      // Kafka's linger.ms=0: a batch leaves as soon as a request can carry it; while the
      // partition's requests in flight are at their limit, records gather in the open batch
      // (drain closes it when an answer makes room), instead of one batch per record.
      if (q.ready.length === 0 && (this.identity === undefined || (q.inFlight.length < this.maxInFlight && q.hasRoom(this.maxInFlight, this.identity !== null, this.clock.now())))) this.markReady(q);
      return;
    }
    const queue = q;
    q.timer ??= this.clock.setTimeout(() => this.markReady(queue), this.lingerMs, { keepAlive: true });
    // A closed batch that waited for room in flight may go now (answers drain the rest). The
    // flight is looked at before the clock is read: while it is full, as it mostly is under load,
    // a record costs no clock read.
    if (this.identity !== undefined && q.ready.length > 0 && q.inFlight.length < this.maxInFlight && q.canSend(this.maxInFlight, this.identity !== null, this.clock.now())) this.drain();
  }

  /** The open batch is complete (full, or lingered long enough): close it and send what can go. */
  private markReady(q: PartitionQueue): void {
    q.timer?.cancel();
    q.timer = undefined;
    this.closeOpen(q);
    this.drain();
  }

  /** Closes the open batch; unkeyed records move to another partition (KIP-480). */
  private closeOpen(q: PartitionQueue): void {
    if (!q.closeOpen()) return;
    this.sticky.batchSent(q.topic, q.partition, q.numPartitions);
    // Without idempotence a batch's bytes do not depend on when it is sent: one that must wait for
    // the flight is encoded now, while the broker works on the one before it, instead of after its
    // answer (with one batch per partition in flight, encoding was otherwise a gap in every round).
    if (this.identity === null && !this.txn && q.inFlight.length >= this.maxInFlight) {
      const b = q.ready[q.ready.length - 1]!;
      b.encoded = this.encode(b, false);
    }
  }

  /** The batch's bytes: made once, at its first send (or before, see closeOpen), and kept for its retries. */
  private encode(b: Batch, transactional: boolean): Promise<Buffer> {
    const encoded = encodeRecordBatch({
      compression: this.compression,
      ...(this.compressionLevel !== undefined ? { compressionLevel: this.compressionLevel } : {}),
      records: b.records,
      ...(b.identity ?? {}),
      ...(b.baseSequence >= 0 ? { baseSequence: b.baseSequence } : {}),
      ...(transactional ? { isTransactional: true } : {}),
    });
    encoded.catch(() => undefined); // answered where it is awaited
    return encoded;
  }

  /** Sends every batch that may go now: per partition, in order, up to maxInFlight in flight. */
  private drain(): void {
    if (this.txn) {
      if (this.identity === undefined) return;
    } else if (this.identity === undefined || this.needNewIdentity) return this.renewIdentity();
    const now = this.clock.now();
    const sends: Sending[] = [];
    const identity = this.identity ?? undefined;
    const transactional = this.txn !== undefined;
    let backoffEnd = Infinity;
    for (const q of this.queues.values()) {
      // A transaction's partition waits until it joined the transaction; a failed or aborting one sends nothing more.
      if (this.txn && (this.aborting || this.txn.error)) {
        if (q.ready.length > 0) this.dropUnsent(q, this.txn.error ?? new SamsaClientError('SAMSA_TXN_ABORTED', 'the transaction was aborted'));
        continue;
      }
      if (this.txn && q.ready.length > 0 && !this.txn.ready(q.topic, q.partition)) continue;
      if (q.backingOff(now)) backoffEnd = Math.min(backoffEnd, q.notBefore);
      for (;;) {
        while (q.canSend(this.maxInFlight, identity !== undefined, now)) {
          const b = q.takeNext(identity);
          b.encoded ??= this.encode(b, transactional);
          sends.push({ q, b });
        }
        // linger.ms=0: records that gathered while the requests in flight were at their limit go now.
        if (this.lingerMs !== 0 || q.open.length === 0 || !q.hasRoom(this.maxInFlight, identity !== undefined, now)) break;
        this.closeOpen(q);
      }
    }
    // The system clock's timers may fire a millisecond early by its now(): wait one more (a timer
    // that still finds the batch backing off sets another when it drains).
    if (backoffEnd < Infinity && !this.backoffTimer) {
      this.backoffTimer = this.clock.setTimeout(
        () => {
          this.backoffTimer = undefined;
          this.drain();
        },
        backoffEnd - now + 1,
        { keepAlive: true },
      );
    }
    if (sends.length === 0) return;
    this.writes = this.writes
      .then(() => this.write(sends))
      .catch((err: unknown) => this.answerAll(sends.filter((s) => s.q.inFlight.includes(s.b)), err as Error));
  }

  /** Takes a producer id (a first one, or a new one once nothing is in flight), then drains. */
  private renewIdentity(): void {
    if (this.identityRequest || ![...this.queues.values()].some((q) => q.ready.length > 0)) return;
    if (this.needNewIdentity && [...this.queues.values()].some((q) => q.inFlight.length > 0)) return;
    this.identityRequest = initProducerId(this.cluster).then(
      (identity) => {
        if (this.needNewIdentity) for (const q of this.queues.values()) q.resetSequences();
        this.needNewIdentity = false;
        this.identity = identity ?? null;
      },
      (err: unknown) => {
        for (const q of this.queues.values()) for (const b of q.ready.splice(0)) this.complete(q, b, err as Error);
      },
    );
    void this.identityRequest.finally(() => {
      this.identityRequest = undefined;
      this.afterAnswers();
    });
  }

  /** Writes the requests for `sends`: per leader, request k holds the k-th batch of each partition. */
  private async write(sends: Sending[]): Promise<void> {
    const byLeader = new Map<number, Sending[][]>();
    const perPartition = new Map<PartitionQueue, number>();
    for (const s of sends) {
      let leader: number;
      try {
        leader = (await this.cluster.topic(s.q.topic)).partitions[s.q.partition]?.leader ?? -1;
      } catch (err) {
        this.answerAll([s], err as Error);
        continue;
      }
      const k = perPartition.get(s.q) ?? 0;
      perPartition.set(s.q, k + 1);
      const requests = byLeader.get(leader) ?? [];
      byLeader.set(leader, requests);
      (requests[k] ??= []).push(s);
    }
    for (const [leader, requests] of byLeader) for (const r of requests) await this.produce(leader, r);
  }

  /** Writes one Produce request (resolves once written); its answer settles the batches in it. */
  private async produce(leader: number, sends: Sending[]): Promise<void> {
    const topics = new Map<string, { index: number; records: Buffer }[]>();
    let conn;
    try {
      const encoded = await Promise.all(sends.map((s) => s.b.encoded!));
      sends.forEach((s, i) => topics.set(s.q.topic, [...(topics.get(s.q.topic) ?? []), { index: s.q.partition, records: encoded[i]! }]));
      if (leader < 0) throw new KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE, 'no leader known');
      conn = await this.cluster.connectionTo(leader);
    } catch (err) {
      return this.answerAll(sends, err as Error);
    }
    const request = { transactionalId: this.txn?.transactionalId ?? null, acks: this.acks, timeoutMs: this.timeoutMs, topicData: [...topics].map(([name, partitionData]) => ({ name, partitionData })) };
    if (this.acks === 0) {
      try {
        conn.sendWithoutResponse(ProduceApi, request);
      } catch (err) {
        return this.answerAll(sends, err as Error);
      }
      for (const s of sends) this.answered(s, undefined, { baseOffset: -1n, logAppendTime: -1n });
      return this.afterAnswers();
    }
    conn.send(ProduceApi, request, { timeoutMs: conn.requestTimeoutMs + this.timeoutMs }).then(
      (res) => this.settle(sends, res),
      (err: unknown) => this.answerAll(sends, err as Error),
    );
  }

  private settle(sends: Sending[], res: ProduceResponse): void {
    const answers = new Map<string, ProduceResponse['responses'][number]['partitionResponses'][number]>();
    for (const t of res.responses) for (const p of t.partitionResponses) answers.set(`${t.name}\u0000${p.index}`, p);
    for (const s of sends) {
      const a = answers.get(`${s.q.topic}\u0000${s.q.partition}`);
      if (!a) this.answered(s, new SamsaClientError('SAMSA_PROTOCOL', `no answer for ${s.q.topic}-${s.q.partition}`));
      else if (a.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER && s.b.identity) this.answered(s, undefined, { baseOffset: -1n, logAppendTime: -1n });
      else if (a.errorCode !== 0) this.answered(s, new KafkaProtocolError(a.errorCode, a.errorMessage ?? `${s.q.topic}-${s.q.partition}`));
      else this.answered(s, undefined, { baseOffset: a.baseOffset, logAppendTime: a.logAppendTimeMs });
    }
    this.afterAnswers();
  }

  /** Fails every batch of `sends` with `err` (retrying those that may be), then sends what can go. */
  private answerAll(sends: Sending[], err: Error): void {
    for (const s of sends) this.answered(s, err);
    this.afterAnswers();
  }

  private afterAnswers(): void {
    this.drain();
    this.checkIdle();
  }

  /**
   * A batch's answer: acknowledged, to be retried, or failed (with what that means for the
   * partition's sequences). The caller then calls afterAnswers.
   */
  private answered({ q, b }: Sending, err: Error | undefined, ack?: Acknowledged): void {
    q.landed(b);
    if (!err) {
      if (b.identity) q.confirmed = true;
      this.complete(q, b, undefined, ack);
    } else if (this.txn && (this.aborting || this.txn.isFatal || !isRetriable(err) || b.retries >= this.retries)) {
      // In a transaction a failed batch is not retried under a new producer id: the transaction
      // must be aborted (fenced errors end the producer), and its sequences start over after.
      this.txn.fail(err);
      this.complete(q, b, this.txn.error ?? err);
      if (b.baseSequence >= 0) {
        this.sequencesSpoiled = true;
        q.dropRefused(b);
      }
    } else {
      const code = err instanceof KafkaProtocolError ? err.errorCode : undefined;
      const sequenced = b.identity !== undefined;
      const retriesLeft = b.retries < this.retries;
      if (retriesLeft && sequenced && code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && q.recovering) {
        q.retry(b); // an earlier batch failed: this one did not follow it
      } else if (retriesLeft && sequenced && (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || code === ErrorCode.UNKNOWN_PRODUCER_ID)) {
        q.retry(b); // the broker lost this producer's state: start afresh under a new id
        this.needNewIdentity = true;
      } else if (retriesLeft && isRetriable(err)) {
        q.retry(b);
        this.cluster.invalidate(q.topic);
      } else {
        this.complete(q, b, err);
        if (sequenced && code !== undefined && !MAYBE_WRITTEN.has(code)) q.dropRefused(b);
        else if (sequenced) {
          q.recovering = true;
          this.needNewIdentity = true; // the batch may or may not be in the log: its sequences are spent
        }
      }
    }
    q.endRecovery(this.retryBackoffMs, this.clock);
  }

  /** Resolves or fails every record of a batch that is done with. */
  private complete(q: PartitionQueue, b: Batch, err: Error | undefined, ack?: Acknowledged): void {
    const records = b.records;
    // Each record's offset is one bigint, added as numbers when the base offset allows it exactly.
    const base = ack && ack.baseOffset >= 0n && ack.baseOffset <= MAX_SAFE_BASE ? Number(ack.baseOffset) : undefined;
    for (let i = 0; i < records.length; i++) {
      const p = records[i]!;
      this.bufferedBytes -= p.bytes;
      if (err) p.call.failed(err);
      else p.call.acknowledged(p.index, { topic: q.topic, partition: q.partition, offset: ack!.baseOffset < 0n ? -1n : base !== undefined ? BigInt(base + i) : ack!.baseOffset + BigInt(i), logAppendTime: ack!.logAppendTime });
    }
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    const idle = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of idle) w();
  }

  private isIdle(): boolean {
    if (this.identityRequest) return false;
    for (const q of this.queues.values()) if (!q.isEmpty) return false;
    return true;
  }

  /** The record as bytes; a serializer that throws fails this send, before anything is queued. */
  private toPendingRecord(r: ProducerRecord<K, V>, now: bigint, call: SendCall, index: number): PendingRecord {
    let headers: RecordHeaderInput[] | undefined;
    if (Array.isArray(r.headers)) headers = (r.headers as { key: string; value: Bytes }[]).map((h) => ({ key: h.key, value: toBytes(h.value) }));
    else if (r.headers) headers = Object.entries(r.headers as Record<string, Bytes>).map(([key, value]) => ({ key, value: toBytes(value) }));
    let key: Buffer | null;
    let value: Buffer | null;
    try {
      key = r.key === undefined ? null : this.keySerializer.serialize(r.key);
      value = this.valueSerializer.serialize(r.value);
    } catch (err) {
      throw new SamsaClientError('SAMSA_SERIALIZATION', `cannot serialize a record: ${(err as Error).message}`, { cause: err });
    }
    const timestamp = r.timestamp === undefined ? now : BigInt(r.timestamp);
    const bytes = RECORD_OVERHEAD_BYTES + (key?.length ?? 0) + (value?.length ?? 0);
    return headers ? { key, value, headers, timestamp, bytes, call, index } : { key, value, timestamp, bytes, call, index };
  }
}

function checkCompressionLevel(codec: string, level: number): void {
  if (!(codec in COMPRESSION_LEVELS)) throw new SamsaClientError('SAMSA_CONFIG', `compression ${codec} has no level`);
  const c = codec as keyof typeof COMPRESSION_LEVELS;
  const range = COMPRESSION_LEVELS[c];
  if (!isCompressionLevel(c, level)) throw new SamsaClientError('SAMSA_CONFIG', `compression level ${level} is outside ${codec}'s levels (${codec === 'gzip' ? '-1 or 1-9' : `${range.min} to ${range.max}`})`);
}
