/**
 * The producer. `send` places each record in its partition (explicit, by key with Kafka's murmur2,
 * or sticky for unkeyed records) and resolves once the broker acknowledges it. Records are batched
 * per partition: a batch is sent when it reaches `batchSize` bytes or has waited `lingerMs`, and at
 * most one request per partition is in flight, so a retried batch can never be overtaken: order
 * within a partition is kept across retries. Batches for partitions with the same leader travel in
 * one Produce request. `bufferMemory` bounds the bytes waiting: `send` waits while it is full.
 *
 * Not done yet: idempotence and transactions (Samsa's broker does not serve InitProducerId yet;
 * against brokers that do, this producer still sends without a producer id).
 */
import { CompressionType } from '../protocol/compression/index.js';
import { ProduceApi } from '../protocol/messages/index.js';
import type { RecordHeaderInput, RecordInput } from '../protocol/records/index.js';
import { encodeRecordBatch } from '../protocol/records/index.js';
import type { Cluster } from './cluster.js';
import { KafkaProtocolError, SamsaClientError, isRetriable } from './errors.js';
import { StickyPartitions, partitionForKey } from './partitioner.js';
import { type Bytes, type Serializer, bytesSerde, toBytes } from './serde.js';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
const CODECS: Record<Compression, CompressionType> = { none: CompressionType.None, gzip: CompressionType.Gzip, snappy: CompressionType.Snappy, lz4: CompressionType.Lz4, zstd: CompressionType.Zstd };

export interface ProducerOptions<K = Bytes, V = Bytes> {
  /** Turns record keys into bytes (default: Buffers and Uint8Arrays as they are, strings as UTF-8). */
  keySerializer?: Serializer<K>;
  /** Turns record values into bytes (the same default), e.g. `jsonSerde` or `stringSerde`. */
  valueSerializer?: Serializer<V>;
  /** 0 (no answer), 1 (the leader wrote it) or -1 / 'all' (every in-sync replica has it). Default all. */
  acks?: 0 | 1 | -1 | 'all';
  compression?: Compression;
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
}

export interface ProducerRecord<K = Bytes, V = Bytes> {
  key?: K;
  value: V;
  headers?: Record<string, Bytes> | readonly { key: string; value: Bytes }[];
  /** Milliseconds since the epoch (default now). */
  timestamp?: number | bigint;
  partition?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** The record's offset; -1 with acks=0. */
  offset: bigint;
  /** LogAppendTime when the topic uses it, else -1 (the record keeps its own). */
  logAppendTime: bigint;
}

interface Pending {
  record: RecordInput;
  bytes: number;
  resolve: (m: RecordMetadata) => void;
  reject: (e: Error) => void;
}

interface PartitionQueue {
  topic: string;
  partition: number;
  numPartitions: number;
  batches: Pending[][];
  openBytes: number;
  inFlight: boolean;
  timer: NodeJS.Timeout | undefined;
  /** A retried batch waits until this time. */
  notBefore: number;
  /** Times the first batch has been retried. */
  headRetries: number;
}

const RECORD_OVERHEAD_BYTES = 70;

export class Producer<K = Bytes, V = Bytes> {
  private readonly queues = new Map<string, PartitionQueue>();
  private readonly sticky = new StickyPartitions();
  private bufferedBytes = 0;
  private spaceWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private readonly acks: number;
  private readonly compression: CompressionType;
  private readonly lingerMs: number;
  private readonly batchSize: number;
  private readonly bufferMemory: number;
  private readonly keySerializer: Serializer<K>;
  private readonly valueSerializer: Serializer<V>;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: ProducerOptions<K, V> = {},
  ) {
    this.keySerializer = options.keySerializer ?? (bytesSerde as Serializer<K>);
    this.valueSerializer = options.valueSerializer ?? (bytesSerde as Serializer<V>);
    this.acks = options.acks === 'all' || options.acks === undefined ? -1 : options.acks;
    this.compression = CODECS[options.compression ?? 'none'];
    if (this.compression === undefined) throw new SamsaClientError('SAMSA_CONFIG', `unknown compression ${options.compression}: use none, gzip, snappy, lz4 or zstd`);
    this.lingerMs = options.lingerMs ?? 5;
    this.batchSize = options.batchSize ?? 1024 * 1024;
    this.bufferMemory = options.bufferMemory ?? 32 * 1024 * 1024;
  }

  /** Sends records to a topic; resolves with each one's metadata once acknowledged. */
  async send(topic: string, records: ProducerRecord<K, V> | readonly ProducerRecord<K, V>[]): Promise<RecordMetadata[]> {
    if (this.closed) throw new SamsaClientError('SAMSA_CLOSED', 'the producer is closed');
    const list = Array.isArray(records) ? (records as readonly ProducerRecord<K, V>[]) : [records as ProducerRecord<K, V>];
    // As Kafka's producers do, ask for the topic to be created when the broker auto-creates topics.
    const info = await this.cluster.topic(topic, { allowAutoCreate: true });
    const n = info.partitions.length;
    const acks: Promise<RecordMetadata>[] = [];
    for (const r of list) {
      const record = this.toRecordInput(r);
      const bytes = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0);
      while (this.bufferedBytes > 0 && this.bufferedBytes + bytes > this.bufferMemory) await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
      const partition = r.partition ?? (record.key ? partitionForKey(record.key, n) : this.sticky.partition(topic, n));
      if (!Number.isInteger(partition) || partition < 0 || partition >= n) throw new KafkaProtocolError(3, `${topic} has no partition ${partition}`);
      acks.push(new Promise((resolve, reject) => this.enqueue(topic, partition, { record, bytes, resolve, reject }, n)));
    }
    return Promise.all(acks);
  }

  /** Bytes of records waiting to be sent or acknowledged (bounded by bufferMemory). */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /** Sends everything waiting now and resolves once all of it is acknowledged (or failed). */
  async flush(): Promise<void> {
    for (const q of this.queues.values()) this.markReady(q);
    this.drain();
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Flushes, then refuses further sends. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private enqueue(topic: string, partition: number, p: Pending, numPartitions: number): void {
    const key = `${topic}\u0000${partition}`;
    let q = this.queues.get(key);
    if (!q) {
      q = { topic, partition, numPartitions, batches: [[]], openBytes: 0, inFlight: false, timer: undefined, notBefore: 0, headRetries: 0 };
      this.queues.set(key, q);
    }
    q.numPartitions = numPartitions;
    if (q.batches[q.batches.length - 1]!.length > 0 && q.openBytes + p.bytes > this.batchSize) this.closeOpenBatch(q);
    q.batches[q.batches.length - 1]!.push(p);
    q.openBytes += p.bytes;
    this.bufferedBytes += p.bytes;
    if (q.openBytes >= this.batchSize || this.lingerMs === 0) return this.markReady(q);
    q.timer ??= setTimeout(() => this.markReady(q), this.lingerMs);
    if (q.batches.length > 1) this.drain();
  }

  /** The open batch is complete (full, or lingered long enough): close it so drain sends it. */
  private markReady(q: PartitionQueue): void {
    if (q.timer) clearTimeout(q.timer);
    q.timer = undefined;
    if (q.batches[q.batches.length - 1]!.length > 0) this.closeOpenBatch(q);
    this.drain();
  }

  /** Starts a new open batch; unkeyed records move to another partition (KIP-480). */
  private closeOpenBatch(q: PartitionQueue): void {
    q.batches.push([]);
    q.openBytes = 0;
    this.sticky.batchSent(q.topic, q.partition, q.numPartitions);
  }

  /** Sends the first closed batch of every partition that has none in flight, one request per leader. */
  private drain(): void {
    const now = Date.now();
    const ready = [...this.queues.values()].filter((q) => !q.inFlight && q.batches.length > 1 && q.notBefore <= now);
    if (ready.length === 0) return;
    for (const q of ready) q.inFlight = true;
    void this.sendReady(ready);
  }

  private async sendReady(ready: PartitionQueue[]): Promise<void> {
    const byLeader = new Map<number, PartitionQueue[]>();
    for (const q of ready) {
      try {
        const info = await this.cluster.topic(q.topic);
        const leader = info.partitions[q.partition]?.leader ?? -1;
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), q]);
      } catch (err) {
        this.settle(q, err as Error);
      }
    }
    await Promise.all([...byLeader].map(([leader, qs]) => this.produce(leader, qs)));
  }

  private async produce(leader: number, qs: PartitionQueue[]): Promise<void> {
    const topics = new Map<string, { index: number; records: Buffer }[]>();
    try {
      const encoded = await Promise.all(qs.map((q) => encodeRecordBatch({ compression: this.compression, records: q.batches[0]!.map((p) => p.record) })));
      qs.forEach((q, i) => topics.set(q.topic, [...(topics.get(q.topic) ?? []), { index: q.partition, records: encoded[i]! }]));
      if (leader < 0) throw new KafkaProtocolError(5, 'no leader known');
      const conn = await this.cluster.connectionTo(leader);
      const request = { acks: this.acks, timeoutMs: this.options.timeoutMs ?? 30_000, topicData: [...topics].map(([name, partitionData]) => ({ name, partitionData })) };
      if (this.acks === 0) {
        conn.sendWithoutResponse(ProduceApi, request);
        for (const q of qs) this.settle(q, undefined, () => ({ offset: -1n, logAppendTime: -1n }));
        return;
      }
      const res = await conn.send(ProduceApi, request, { timeoutMs: conn.requestTimeoutMs + (this.options.timeoutMs ?? 30_000) });
      const answers = new Map<string, { errorCode: number; errorMessage: string | null; baseOffset: bigint; logAppendTimeMs: bigint }>();
      for (const t of res.responses) for (const p of t.partitionResponses) answers.set(`${t.name}\u0000${p.index}`, p);
      for (const q of qs) {
        const a = answers.get(`${q.topic}\u0000${q.partition}`);
        if (!a) this.settle(q, new SamsaClientError('SAMSA_PROTOCOL', `no answer for ${q.topic}-${q.partition}`));
        else if (a.errorCode !== 0) this.settle(q, new KafkaProtocolError(a.errorCode, a.errorMessage ?? `${q.topic}-${q.partition}`));
        else this.settle(q, undefined, (i) => ({ offset: a.baseOffset + BigInt(i), logAppendTime: a.logAppendTimeMs }));
      }
    } catch (err) {
      for (const q of qs) this.settle(q, err as Error);
    }
  }

  /** Resolves or fails the in-flight batch of `q`; a retriable failure is retried after a backoff. */
  private settle(q: PartitionQueue, err: Error | undefined, meta?: (i: number) => { offset: bigint; logAppendTime: bigint }): void {
    const batch = q.batches[0]!;
    if (err && isRetriable(err) && q.headRetries < (this.options.retries ?? 5)) {
      q.headRetries++;
      this.cluster.invalidate(q.topic);
      const backoff = this.options.retryBackoffMs ?? 100;
      q.notBefore = Date.now() + backoff;
      q.inFlight = false;
      setTimeout(() => this.drain(), backoff).unref();
      return;
    }
    q.batches.shift();
    q.inFlight = false;
    q.notBefore = 0;
    q.headRetries = 0;
    batch.forEach((p, i) => {
      this.bufferedBytes -= p.bytes;
      if (err) p.reject(err);
      else p.resolve({ topic: q.topic, partition: q.partition, ...meta!(i) });
    });
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
    this.drain();
    if (this.isIdle()) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of idle) w();
    }
  }

  private isIdle(): boolean {
    for (const q of this.queues.values()) if (q.inFlight || q.batches.length > 1 || q.batches[0]!.length > 0) return false;
    return true;
  }

  /** The record as bytes; a serializer that throws fails this send, before anything is queued. */
  private toRecordInput(r: ProducerRecord<K, V>): RecordInput {
    const headers: RecordHeaderInput[] = [];
    if (Array.isArray(r.headers)) for (const h of r.headers as { key: string; value: Bytes }[]) headers.push({ key: h.key, value: toBytes(h.value) });
    else if (r.headers) for (const [key, value] of Object.entries(r.headers as Record<string, Bytes>)) headers.push({ key, value: toBytes(value) });
    let key: Buffer | null;
    let value: Buffer | null;
    try {
      key = r.key === undefined ? null : this.keySerializer.serialize(r.key);
      value = this.valueSerializer.serialize(r.value);
    } catch (err) {
      throw new SamsaClientError('SAMSA_SERIALIZATION', `cannot serialize a record: ${(err as Error).message}`, { cause: err });
    }
    return { key, value, headers, timestamp: BigInt(r.timestamp ?? Date.now()) };
  }
}
