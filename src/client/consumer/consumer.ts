/**
 * The consumer. `subscribe` (topics or RegExp patterns) joins its group and reads the partitions
 * the group gives it; `assign` reads given partitions without a group. Records come from
 * `for await (const record of consumer)` or, a partition's fetched chunk at a time, from
 * `consumer.batches()`. A background poll loop fetches ahead (bounded by `maxBufferedBytes`),
 * rejoins the group when a rebalance is asked for, and positions new partitions at the group's
 * committed offset or by `autoOffsetReset`.
 *
 * Commits: a record counts as processed once the iterator is asked for the next one (or the next
 * batch); auto-commit commits processed positions every `autoCommitIntervalMs`, before partitions
 * are revoked and on close, which gives at-least-once delivery. `commit()` commits them at once,
 * `commit(offsets)` commits what it is given. With a transactional producer, offsets commit with
 * its transaction instead (`groupMetadata()`, `Transaction.sendOffsets`, consume-transform-produce.ts);
 * `isolationLevel: 'read_committed'` reads only records of committed transactions.
 *
 * Not done yet: KIP-848 groups, rack-aware fetching, fetch sessions (every fetch is a full one).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { FetchApi, OffsetCommitApi, OffsetFetchApi } from '../../protocol/messages/index.js';
import { Admin } from '../admin.js';
import type { Cluster } from '../cluster.js';
import { KafkaProtocolError, SamsaClientError } from '../errors.js';
import type { Deserializer } from '../serde.js';
import { type TimerHandle, afterPendingIo, every } from '../world.js';
import { ASSIGNORS, type Assignor } from './assignors.js';
import { type ConsumerRecord, nextOffsetAfter, recordsOf } from './fetch-records.js';
import { ConsumerProtocolMembership } from './consumer-protocol-membership.js';
import { GroupMembership, type Membership, type TopicPartitions } from './group-membership.js';
import type { ConsumerGroupMetadata } from '../producer/transaction-manager.js';

export type { ConsumerRecord } from './fetch-records.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ConsumerOptions<K = Buffer | null, V = Buffer | null> {
  /** Turns record keys from bytes into K (default: the Buffer, or null). */
  keyDeserializer?: Deserializer<K>;
  /** Turns record values from bytes into V, e.g. `jsonSerde` or `stringSerde`. */
  valueDeserializer?: Deserializer<V>;
  groupId?: string;
  /** Static membership (Kafka's group.instance.id). */
  groupInstanceId?: string;
  /**
   * The group protocol (Kafka's group.protocol): `classic` (JoinGroup/SyncGroup, the default) or
   * `consumer`, Kafka 4's KIP-848 protocol, where the coordinator assigns partitions and a member
   * joining or leaving stops nobody else (sessionTimeoutMs, heartbeatIntervalMs and assignors are
   * then the coordinator's: group.consumer.* broker configs).
   */
  groupProtocol?: 'classic' | 'consumer';
  /** With groupProtocol `consumer`: the server-side assignor to ask for (Kafka's group.remote.assignor: `uniform`, `range`). */
  groupRemoteAssignor?: string;
  sessionTimeoutMs?: number;
  /** How long the group waits for members to rejoin (Kafka's max.poll.interval.ms, default 5 min). */
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Assignor names in order of preference (default range, then cooperative-sticky, as the Java client). */
  assignors?: readonly string[];
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  /** Where to start without a committed offset (default latest). */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  isolationLevel?: 'read_uncommitted' | 'read_committed';
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  maxPartitionBytes?: number;
  /** Bytes of fetched records held ahead of the iterator (default 64 MiB). */
  maxBufferedBytes?: number;
  /**
   * Check each batch's CRC-32C before handing out its records (Kafka's check.crcs, default true): a
   * corrupted batch is then reported instead of delivered. Off, corruption goes unnoticed (kafkajs
   * does not check); it saves the checksum's cost, a fifth of a consumer's CPU at 1 KiB records.
   */
  checkCrcs?: boolean;
  onPartitionsAssigned?: (partitions: TopicPartition[]) => void | Promise<void>;
  onPartitionsRevoked?: (partitions: TopicPartition[]) => void | Promise<void>;
}

/** One partition's fetched bytes, decoded when the iterator reaches them (the next fetch is already out). */
interface Chunk {
  key: string;
  topic: string;
  partition: number;
  raw: Buffer;
  fetchOffset: bigint;
  aborted: readonly { producerId: bigint; firstOffset: bigint }[] | null;
  records: ConsumerRecord[] | undefined;
  next: number;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const FETCH_VERSION_MAX = 12; // v13+ name topics by id
const READ_COMMITTED = 1;

export class Consumer<K = Buffer | null, V = Buffer | null> implements AsyncIterable<ConsumerRecord<K, V>> {
  private subscription: (string | RegExp)[] = [];
  private readonly assigned = new Map<string, TopicPartition>();
  private readonly positions = new Map<string, bigint>();
  private readonly processed = new Map<string, bigint>();
  private readonly committed = new Map<string, bigint>();
  private readonly paused = new Set<string>();
  /** Bumped on seek and revocation, so a fetch answered afterwards is dropped. */
  private readonly epochs = new Map<string, number>();
  private chunks: Chunk[] = [];
  private bufferedBytes = 0;
  private lastYielded: ConsumerRecord | undefined;
  private readonly membership: Membership | undefined;
  private loop: Promise<void> | undefined;
  private failure: Error | undefined;
  private closing = false;
  private wake: (() => void)[] = [];
  private autoCommitTimer: TimerHandle | undefined;
  /** Ends the poll loop's current backoff (close does not wait it out). */
  private readonly naps = new Set<() => void>();
  private readonly o: Required<Omit<ConsumerOptions, 'groupId' | 'groupInstanceId' | 'groupProtocol' | 'groupRemoteAssignor' | 'onPartitionsAssigned' | 'onPartitionsRevoked' | 'assignors' | 'keyDeserializer' | 'valueDeserializer'>>;

  private readonly admin: Admin;
  /** Whether records are given to deserializers (else they are yielded as decoded). */
  private readonly deserializes: boolean;

  /** With `ownsCluster`, closing the consumer closes the cluster's connections too. */
  constructor(
    private readonly cluster: Cluster,
    private readonly options: ConsumerOptions<K, V> = {},
    private readonly lifecycle: { ownsCluster: boolean } = { ownsCluster: false },
  ) {
    this.admin = new Admin(cluster);
    this.deserializes = options.keyDeserializer !== undefined || options.valueDeserializer !== undefined;
    this.o = {
      sessionTimeoutMs: options.sessionTimeoutMs ?? 45_000,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 300_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3000,
      autoCommit: options.autoCommit ?? true,
      autoCommitIntervalMs: options.autoCommitIntervalMs ?? 5000,
      autoOffsetReset: options.autoOffsetReset ?? 'latest',
      isolationLevel: options.isolationLevel ?? 'read_uncommitted',
      maxWaitMs: options.maxWaitMs ?? 500,
      minBytes: options.minBytes ?? 1,
      maxBytes: options.maxBytes ?? 52_428_800,
      maxPartitionBytes: options.maxPartitionBytes ?? 1_048_576,
      maxBufferedBytes: options.maxBufferedBytes ?? 64 * 1024 * 1024,
      checkCrcs: options.checkCrcs ?? true,
    };
    if (options.groupProtocol !== undefined && options.groupProtocol !== 'classic' && options.groupProtocol !== 'consumer') throw new SamsaClientError('SAMSA_CONFIG', `unknown groupProtocol ${String(options.groupProtocol)}: use classic or consumer`);
    const hooks = { subscription: () => this.subscribedTopics(), revoke: (p: TopicPartitions) => this.revoke(p), assign: (p: TopicPartitions) => this.onAssigned(p) };
    if (options.groupId !== undefined && options.groupProtocol === 'consumer') {
      this.membership = new ConsumerProtocolMembership(cluster, { groupId: options.groupId, groupInstanceId: options.groupInstanceId ?? null, rebalanceTimeoutMs: this.o.rebalanceTimeoutMs, serverAssignor: options.groupRemoteAssignor ?? null }, hooks);
    } else if (options.groupId !== undefined) {
      const assignors = (options.assignors ?? ['range', 'cooperative-sticky']).map((name): Assignor => {
        const a = ASSIGNORS[name];
        if (!a) throw new SamsaClientError('SAMSA_CONFIG', `unknown assignor ${name}: use range, roundrobin or cooperative-sticky`);
        return a;
      });
      this.membership = new GroupMembership(
        cluster,
        { groupId: options.groupId, groupInstanceId: options.groupInstanceId ?? null, sessionTimeoutMs: this.o.sessionTimeoutMs, rebalanceTimeoutMs: this.o.rebalanceTimeoutMs, heartbeatIntervalMs: this.o.heartbeatIntervalMs, assignors },
        hooks,
      );
    }
  }

  /** Subscribes to topics and patterns; the group assigns partitions of the topics they match. */
  subscribe(topics: string | RegExp | readonly (string | RegExp)[]): void {
    if (!this.membership) throw new SamsaClientError('SAMSA_CONFIG', 'subscribe needs a groupId; use assign() to read partitions without a group');
    this.subscription = Array.isArray(topics) ? [...(topics as (string | RegExp)[])] : [topics as string | RegExp];
    this.membership.needsRejoin = true;
  }

  /** Reads these partitions, without a group (committed offsets are still used when a groupId is set). */
  assign(partitions: readonly TopicPartition[]): void {
    if (this.membership && this.subscription.length > 0) throw new SamsaClientError('SAMSA_CONFIG', 'this consumer subscribes through its group; it cannot also assign()');
    for (const key of [...this.assigned.keys()]) this.drop(key);
    for (const p of partitions) this.assigned.set(tpKey(p.topic, p.partition), p);
  }

  /** The partitions this consumer reads now. */
  assignment(): TopicPartition[] {
    return [...this.assigned.values()];
  }

  /** Moves a partition's position; the next record read from it is at `offset`. */
  async seek(topic: string, partition: number, offset: bigint | 'earliest' | 'latest'): Promise<void> {
    const key = tpKey(topic, partition);
    const target = typeof offset === 'bigint' ? offset : (await this.admin.listOffsets([{ topic, partition }], offset))[0]!.offset;
    this.dropBuffered(key);
    this.positions.set(key, target);
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.paused.add(tpKey(p.topic, p.partition));
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.paused.delete(tpKey(p.topic, p.partition));
    this.signal();
  }

  /**
   * The group's current generation and this member (Java's groupMetadata()), for a transactional
   * producer's `sendOffsets`: the group coordinator checks it as it checks this consumer's commits.
   */
  groupMetadata(): ConsumerGroupMetadata {
    const groupId = this.options.groupId;
    if (groupId === undefined) throw new SamsaClientError('SAMSA_CONFIG', 'groupMetadata needs a groupId');
    const m = this.membership;
    const inGroup = m !== undefined && this.subscription.length > 0;
    return { groupId, generationId: inGroup ? m.generationId : -1, memberId: inGroup ? m.memberId : '', groupInstanceId: inGroup ? (this.options.groupInstanceId ?? null) : null };
  }

  /** Commits processed positions (or the offsets given: the next offset to read, per partition). */
  async commit(offsets?: readonly (TopicPartition & { offset: bigint })[]): Promise<void> {
    const groupId = this.options.groupId;
    if (groupId === undefined) throw new SamsaClientError('SAMSA_CONFIG', 'commit needs a groupId');
    this.markProcessed();
    const entries = offsets ? offsets.map((o) => [tpKey(o.topic, o.partition), o.offset] as const) : [...this.processed].filter(([k, v]) => this.committed.get(k) !== v);
    if (entries.length === 0) return;
    const topics = new Map<string, { partitionIndex: number; committedOffset: bigint; committedMetadata: string }[]>();
    for (const [key, offset] of entries) {
      const [topic, partition] = key.split('\u0000') as [string, string];
      topics.set(topic, [...(topics.get(topic) ?? []), { partitionIndex: Number(partition), committedOffset: offset, committedMetadata: '' }]);
    }
    const m = this.membership;
    const inGroup = m !== undefined && this.subscription.length > 0;
    const conn = await this.cluster.coordinator(groupId);
    const res = await conn.send(OffsetCommitApi, {
      groupId,
      generationIdOrMemberEpoch: inGroup ? m.generationId : -1,
      memberId: inGroup ? m.memberId : '',
      groupInstanceId: inGroup ? (this.options.groupInstanceId ?? null) : null,
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === 0) continue;
        if (m && [ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID].includes(p.errorCode as 22)) m.needsRejoin = true;
        if (p.errorCode === ErrorCode.NOT_COORDINATOR) this.cluster.forgetCoordinator(groupId);
        throw new KafkaProtocolError(p.errorCode, `commit of ${t.name}-${p.partitionIndex} for group ${groupId}`);
      }
    }
    for (const [key, offset] of entries) this.committed.set(key, offset);
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord<K, V>> {
    return {
      next: async () => {
        this.markProcessed();
        const chunk = await this.nextChunk();
        if (!chunk) return { done: true, value: undefined };
        const records = chunk.records!;
        const record = records[chunk.next]!;
        const value = this.typed(record);
        chunk.next++;
        if (chunk.next === records.length) this.consume(chunk);
        this.lastYielded = record;
        return { done: false, value };
      },
      return: async () => {
        // Leaving the loop (break) after a record means it was handled.
        this.markProcessed();
        return { done: true, value: undefined };
      },
    };
  }

  /** Fetched records a partition's chunk at a time; a batch counts as processed when the next is asked for. */
  batches(): AsyncIterable<ConsumerRecord<K, V>[]> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          this.markProcessed();
          const chunk = await this.nextChunk();
          if (!chunk) return { done: true, value: undefined };
          const records = chunk.next === 0 ? chunk.records! : chunk.records!.slice(chunk.next);
          let value = records as ConsumerRecord<K, V>[];
          if (this.deserializes) {
            // Records before one that cannot be deserialized are yielded; the next call throws at it.
            value = [];
            for (const r of records) {
              try {
                value.push(this.typed(r));
              } catch (err) {
                if (value.length === 0) throw err;
                break;
              }
            }
          }
          if (value.length === records.length) this.consume(chunk);
          else chunk.next += value.length;
          this.lastYielded = records[value.length - 1];
          return { done: false, value };
        },
        return: async () => ({ done: true, value: undefined }),
      }),
    };
  }

  /** Commits (with auto-commit), leaves the group and stops; iterators end. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.markProcessed();
    this.signal();
    for (const end of [...this.naps]) end();
    await this.loop?.catch(() => undefined);
    this.autoCommitTimer?.cancel();
    if (this.o.autoCommit && this.options.groupId !== undefined) await this.commit().catch(() => undefined);
    await this.membership?.leave();
    if (this.lifecycle.ownsCluster) await this.cluster.close();
  }

  private start(): void {
    if (this.loop) return;
    this.loop = this.pollLoop().catch((err: unknown) => {
      this.failure = err as Error;
      this.signal();
    });
    if (this.o.autoCommit && this.options.groupId !== undefined) {
      this.autoCommitTimer = every(this.cluster.clock, this.o.autoCommitIntervalMs, () => void this.commit().catch(() => undefined));
    }
  }

  /** The first chunk of an unpaused partition with records left, decoded. */
  private async nextChunk(): Promise<Chunk | undefined> {
    this.start();
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.closing) return undefined;
      const chunk = this.chunks.find((c) => !this.paused.has(c.key));
      if (!chunk) {
        await new Promise<void>((resolve) => this.wake.push(resolve));
        continue;
      }
      // Decoding waits a turn of the event loop, so that the poll loop, woken by the same fetch
      // answer, sends the next fetch first (decoding before it left half of each round trip idle).
      if (!chunk.records) await afterPendingIo();
      chunk.records ??= await recordsOf(chunk.topic, chunk.partition, chunk.raw, chunk.fetchOffset, {
        readCommitted: this.o.isolationLevel === 'read_committed',
        aborted: chunk.aborted,
        maxUncompressedBytes: this.o.maxBytes * 4,
        checkCrcs: this.o.checkCrcs,
      });
      if (!this.chunks.includes(chunk)) {
        chunk.records = undefined; // dropped (seek, revocation) while decoding
        continue;
      }
      if (chunk.next < chunk.records.length) return chunk;
      this.consume(chunk);
    }
  }

  /**
   * The record with the deserializers applied. One that throws fails the iterator at that record,
   * every time it is reached, as Java's RecordDeserializationException does: seek past it to go on.
   */
  private typed(r: ConsumerRecord): ConsumerRecord<K, V> {
    if (!this.deserializes) return r as ConsumerRecord<K, V>;
    const { keyDeserializer: kd, valueDeserializer: vd } = this.options;
    try {
      return { ...r, key: kd ? kd.deserialize(r.key) : (r.key as K), value: vd ? vd.deserialize(r.value) : (r.value as V) };
    } catch (err) {
      throw new SamsaClientError('SAMSA_DESERIALIZATION', `cannot deserialize the record at ${r.topic}-${r.partition} offset ${r.offset}: ${(err as Error).message}`, { cause: err });
    }
  }

  private consume(chunk: Chunk): void {
    // A chunk waits long enough in `chunks` to be promoted to the old generation; once dead there,
    // it would still keep its (young) records alive through every scavenge until the next full GC,
    // and get them promoted too. Letting go of them here is what keeps a record's life short.
    chunk.records = undefined;
    const i = this.chunks.indexOf(chunk);
    if (i < 0) return;
    this.chunks.splice(i, 1);
    this.bufferedBytes -= chunk.raw.length;
    this.signal();
  }

  private markProcessed(): void {
    const r = this.lastYielded;
    if (!r) return;
    this.lastYielded = undefined;
    const key = tpKey(r.topic, r.partition);
    if (this.assigned.has(key)) this.processed.set(key, r.offset + 1n);
  }

  private signal(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  private async pollLoop(): Promise<void> {
    let failures = 0;
    while (!this.closing) {
      try {
        if (this.membership && this.subscription.length > 0 && this.membership.needsRejoin) await this.membership.rejoin();
        await this.positionNewPartitions();
        while (this.bufferedBytes >= this.o.maxBufferedBytes && !this.closing) await new Promise<void>((resolve) => this.wake.push(resolve));
        if (this.closing) return;
        await this.fetchOnce();
        failures = 0;
      } catch (err) {
        if (err instanceof KafkaProtocolError && !err.retriable && !isGroupChurn(err)) throw err;
        if (err instanceof SamsaClientError && !err.retriable) throw err;
        if (++failures > 100) throw err;
        await this.nap(Math.min(1000, 50 * failures));
      }
    }
  }

  /** Waits `ms` on the cluster's clock, or until close(). */
  private nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const end = () => {
        timer.cancel();
        this.naps.delete(end);
        resolve();
      };
      const timer = this.cluster.clock.setTimeout(end, ms, { keepAlive: true });
      this.naps.add(end);
    });
  }

  /** One Fetch per leader for every assigned, unpaused partition with a position. */
  private async fetchOnce(): Promise<void> {
    const wanted = [...this.assigned].filter(([key]) => this.positions.has(key) && !this.paused.has(key));
    if (wanted.length === 0) {
      await this.nap(Math.min(this.o.maxWaitMs, 100));
      return;
    }
    const byLeader = new Map<number, [string, TopicPartition][]>();
    for (const entry of wanted) {
      const leader = (await this.cluster.topic(entry[1].topic)).partitions[entry[1].partition]?.leader ?? -1;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), entry]);
    }
    await Promise.all([...byLeader].map(([leader, entries]) => this.fetchFrom(leader, entries)));
  }

  private async fetchFrom(leader: number, entries: [string, TopicPartition][]): Promise<void> {
    const conn = await this.cluster.connectionTo(leader);
    const version = conn.versionFor(FetchApi as never, FETCH_VERSION_MAX);
    if (version === undefined) throw new SamsaClientError('SAMSA_UNSUPPORTED_API', `broker ${leader} serves no Fetch version Samsa can use`);
    const asked = new Map(entries.map(([key]) => [key, { offset: this.positions.get(key)!, epoch: this.epochs.get(key) ?? 0 }]));
    const topics = new Map<string, { partition: number; fetchOffset: bigint; partitionMaxBytes: number }[]>();
    for (const [key, tp] of entries) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), { partition: tp.partition, fetchOffset: asked.get(key)!.offset, partitionMaxBytes: this.o.maxPartitionBytes }]);
    const readCommitted = this.o.isolationLevel === 'read_committed';
    const res = await conn.send(
      FetchApi,
      { replicaId: -1, maxWaitMs: this.o.maxWaitMs, minBytes: this.o.minBytes, maxBytes: this.o.maxBytes, isolationLevel: readCommitted ? READ_COMMITTED : 0, topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) },
      { version, timeoutMs: conn.requestTimeoutMs + this.o.maxWaitMs },
    );
    if (res.errorCode !== 0) throw new KafkaProtocolError(res.errorCode);
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const key = tpKey(t.topic, p.partitionIndex);
        const a = asked.get(key);
        if (!a || (this.epochs.get(key) ?? 0) !== a.epoch || !this.assigned.has(key)) continue; // moved meanwhile
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          await this.reset(key, t.topic, p.partitionIndex);
          continue;
        }
        if (p.errorCode !== 0) {
          this.cluster.invalidate(t.topic);
          throw new KafkaProtocolError(p.errorCode, `${t.topic}-${p.partitionIndex}`);
        }
        const next = nextOffsetAfter(p.records, a.offset);
        if (next === a.offset) continue;
        this.positions.set(key, next);
        this.chunks.push({ key, topic: t.topic, partition: p.partitionIndex, raw: p.records!, fetchOffset: a.offset, aborted: p.abortedTransactions, records: undefined, next: 0 });
        this.bufferedBytes += p.records!.length;
      }
    }
    this.signal();
  }

  /** Positions partitions that have none: at the committed offset, else by autoOffsetReset. */
  private async positionNewPartitions(): Promise<void> {
    const fresh = [...this.assigned].filter(([key]) => !this.positions.has(key));
    if (fresh.length === 0) return;
    const groupId = this.options.groupId;
    if (groupId !== undefined) {
      const conn = await this.cluster.coordinator(groupId);
      const v = conn.versionFor(OffsetFetchApi as never) ?? 0;
      const topics = new Map<string, number[]>();
      for (const [, tp] of fresh) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
      const wanted = [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
      const res = await conn.send(OffsetFetchApi, v >= 8 ? { groups: [{ groupId, topics: wanted }], requireStable: true } : { groupId, topics: wanted, ...(v >= 7 ? { requireStable: true } : {}) });
      const group = v >= 8 ? res.groups[0]! : { errorCode: res.errorCode, topics: res.topics };
      if (group.errorCode !== 0) throw new KafkaProtocolError(group.errorCode, `offsets of group ${groupId}`);
      for (const t of group.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) throw new KafkaProtocolError(p.errorCode, `${t.name}-${p.partitionIndex}`);
          const key = tpKey(t.name, p.partitionIndex);
          if (p.committedOffset >= 0n && this.assigned.has(key)) {
            this.positions.set(key, p.committedOffset);
            this.committed.set(key, p.committedOffset);
          }
        }
      }
    }
    for (const [key, tp] of fresh) if (!this.positions.has(key)) await this.reset(key, tp.topic, tp.partition);
  }

  private async reset(key: string, topic: string, partition: number): Promise<void> {
    const policy = this.o.autoOffsetReset;
    if (policy === 'none') throw new SamsaClientError('SAMSA_NO_OFFSET', `no committed offset for ${topic}-${partition} and autoOffsetReset is none`);
    const [p] = await this.admin.listOffsets([{ topic, partition }], policy);
    this.dropBuffered(key);
    this.positions.set(key, p!.offset);
  }

  private async subscribedTopics(): Promise<string[]> {
    const names = this.subscription.filter((s): s is string => typeof s === 'string');
    const patterns = this.subscription.filter((s): s is RegExp => s instanceof RegExp);
    if (patterns.length === 0) return names.sort();
    const all = await this.cluster.allTopics();
    for (const t of all) if (!t.isInternal && patterns.some((re) => re.test(t.name))) names.push(t.name);
    return [...new Set(names)].sort();
  }

  private async revoke(partitions: TopicPartitions): Promise<void> {
    const list = [...partitions].flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
    if (this.o.autoCommit) await this.commit().catch(() => undefined);
    await this.options.onPartitionsRevoked?.(list);
    for (const tp of list) this.drop(tpKey(tp.topic, tp.partition));
  }

  private async onAssigned(partitions: TopicPartitions): Promise<void> {
    const list = [...partitions].flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
    for (const tp of list) this.assigned.set(tpKey(tp.topic, tp.partition), tp);
    await this.options.onPartitionsAssigned?.(list);
  }

  /** Forgets a partition: its position, buffered records and commits. */
  private drop(key: string): void {
    this.assigned.delete(key);
    this.dropBuffered(key);
    this.positions.delete(key);
    this.processed.delete(key);
    this.committed.delete(key);
    this.paused.delete(key);
    if (this.lastYielded && tpKey(this.lastYielded.topic, this.lastYielded.partition) === key) this.lastYielded = undefined;
  }

  private dropBuffered(key: string): void {
    this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1);
    for (const c of this.chunks.filter((x) => x.key === key)) this.consume(c);
  }
}

/** Errors a rejoin cures. */
function isGroupChurn(err: KafkaProtocolError): boolean {
  return [ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.MEMBER_ID_REQUIRED, ErrorCode.NOT_COORDINATOR, ErrorCode.OFFSET_OUT_OF_RANGE].includes(err.errorCode as 22);
}
