/**
 * A transactional producer's side of Kafka's transaction protocol (the Java client's
 * TransactionManager, transaction version 1), for one transactional id:
 *
 * - `init`: FindCoordinator (transaction) and InitProducerId with the id and transaction.timeout.ms:
 *   a producer id and epoch, fencing any earlier producer with the id. Later inits (after an abort
 *   that left sequences unknown) give the current id and epoch (KIP-360) for the next epoch.
 * - partitions join the transaction before their first batch (AddPartitionsToTxn, batched: the
 *   partitions waiting while one request is out go in the next); `ready` tells the producer
 *   whether a partition's batches may go, and `onPartitionsAdded` wakes it;
 * - `addOffsets` + `commitOffsets`: AddOffsetsToTxn, then TxnOffsetCommit to the group's coordinator;
 * - `end`: EndTxn (commit or abort), skipped when nothing joined the transaction.
 *
 * Retriable answers (CONCURRENT_TRANSACTIONS while the previous transaction completes, a
 * coordinator moving or loading) are retried with backoff for up to `maxBlockMs`. PRODUCER_FENCED
 * and INVALID_PRODUCER_EPOCH are fatal (ProducerFencedError); other errors make the transaction
 * abortable: it can only be aborted.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AddOffsetsToTxnApi, AddPartitionsToTxnApi, EndTxnApi, InitProducerIdApi, TxnOffsetCommitApi } from '../../protocol/messages/index.js';
import type { BrokerConnection } from '../broker-connection.js';
import type { Cluster } from '../cluster.js';
import { KafkaProtocolError, ProducerFencedError, SamsaClientError, isRetriable } from '../errors.js';
import { sleep } from '../world.js';
import type { ProducerIdentity } from './partition-queue.js';

/** A consumer group's place in its generation (Java's ConsumerGroupMetadata): TxnOffsetCommit v3+ checks it. */
export interface ConsumerGroupMetadata {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  /** The next offset to read (the last processed record's offset + 1). */
  offset: bigint;
  metadata?: string;
}

type State = 'uninitialized' | 'ready' | 'in-transaction' | 'abortable' | 'fatal';

const FENCING = new Set<number>([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);
const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
/** AddPartitionsToTxn v4+ are for brokers. */
const CLIENT_ADD_PARTITIONS_MAX = 3;

export class TransactionManager {
  private state: State = 'uninitialized';
  private ident: ProducerIdentity | undefined;
  /** The error that made the transaction abortable, or the producer unusable. */
  private failure: Error | undefined;
  private readonly added = new Set<string>();
  /** AddOffsetsToTxn joined the group's offsets to the transaction. */
  private offsetsAdded = false;
  private readonly toAdd = new Map<string, { topic: string; partition: number }>();
  private adding = false;
  /** An abort left the broker's view of sequences unknown: the next init asks for the next epoch. */
  private needsEpochBump = false;

  constructor(
    private readonly cluster: Cluster,
    readonly transactionalId: string,
    private readonly timeoutMs: number,
    private readonly maxBlockMs: number,
    /** Partitions joined the transaction (or failed to): the producer may send what waited for them. */
    private readonly onPartitionsAdded: () => void,
  ) {}

  get identity(): ProducerIdentity | undefined {
    return this.state === 'fatal' ? undefined : this.ident;
  }

  get inTransaction(): boolean {
    return this.state === 'in-transaction' || this.state === 'abortable';
  }

  /** Why the transaction can only be aborted (or the producer is fenced), if so. */
  get error(): Error | undefined {
    return this.failure;
  }

  get isFatal(): boolean {
    return this.state === 'fatal';
  }

  /** Whether anything joined the current transaction (EndTxn is needed). */
  get hasPartitions(): boolean {
    return this.added.size > 0 || this.offsetsAdded;
  }

  /** InitProducerId for the transactional id (once, and again after an abort that needs a new epoch). */
  async init(): Promise<void> {
    this.assertUsable();
    if (this.state !== 'uninitialized' && !this.needsEpochBump) return;
    const kip360 = this.ident !== undefined;
    const res = await this.coordinatorCall(async (conn) => {
      const v = conn.versionFor(InitProducerIdApi as never);
      const r = await conn.send(InitProducerIdApi, {
        transactionalId: this.transactionalId,
        transactionTimeoutMs: this.timeoutMs,
        ...(kip360 && (v ?? 0) >= 3 ? { producerId: this.ident!.producerId, producerEpoch: this.ident!.producerEpoch } : { producerId: -1n, producerEpoch: -1 }),
      });
      return { errorCode: r.errorCode, value: r };
    }, 'InitProducerId');
    this.ident = { producerId: res.producerId, producerEpoch: res.producerEpoch };
    this.needsEpochBump = false;
    this.state = 'ready';
  }

  begin(): void {
    this.assertUsable();
    if (this.state === 'uninitialized') throw new SamsaClientError('SAMSA_TXN_STATE', 'the transactional producer is not initialized');
    if (this.state !== 'ready') throw new SamsaClientError('SAMSA_TXN_STATE', `a transaction of ${this.transactionalId} is already open: commit or abort it first`);
    this.state = 'in-transaction';
    this.added.clear();
    this.toAdd.clear();
    this.offsetsAdded = false;
  }

  /**
   * Whether batches of the partition may be sent now (it joined the transaction). If not, it is
   * queued to be added and false is answered; the producer is woken once the request is answered.
   */
  ready(topic: string, partition: number): boolean {
    const key = `${topic}\u0000${partition}`;
    if (this.added.has(key)) return true;
    if (this.state !== 'in-transaction') return false;
    this.toAdd.set(key, { topic, partition });
    if (!this.adding) void this.addPending();
    return false;
  }

  private async addPending(): Promise<void> {
    this.adding = true;
    try {
      while (this.toAdd.size > 0 && this.state === 'in-transaction') {
        const batch = new Map(this.toAdd);
        const byTopic = new Map<string, number[]>();
        for (const p of batch.values()) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
        const id = this.ident!;
        await this.coordinatorCall(async (conn) => {
          const version = conn.versionFor(AddPartitionsToTxnApi as never, CLIENT_ADD_PARTITIONS_MAX);
          const res = await conn.send(
            AddPartitionsToTxnApi,
            { v3AndBelowTransactionalId: this.transactionalId, v3AndBelowProducerId: id.producerId, v3AndBelowProducerEpoch: id.producerEpoch, v3AndBelowTopics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) },
            version === undefined ? {} : { version },
          );
          const codes = res.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode));
          return { errorCode: codes.find((c) => c !== ErrorCode.NONE && c !== ErrorCode.OPERATION_NOT_ATTEMPTED) ?? codes.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE, value: undefined };
        }, 'AddPartitionsToTxn');
        for (const key of batch.keys()) {
          this.added.add(key);
          this.toAdd.delete(key);
        }
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.adding = false;
      this.onPartitionsAdded();
    }
  }

  /** AddOffsetsToTxn, then TxnOffsetCommit to the group's coordinator: the offsets commit with the transaction. */
  async sendOffsets(offsets: readonly OffsetToCommit[], group: ConsumerGroupMetadata): Promise<void> {
    this.assertInTransaction();
    const id = this.ident!;
    await this.coordinatorCall(async (conn) => {
      const r = await conn.send(AddOffsetsToTxnApi, { transactionalId: this.transactionalId, producerId: id.producerId, producerEpoch: id.producerEpoch, groupId: group.groupId });
      return { errorCode: r.errorCode, value: undefined };
    }, 'AddOffsetsToTxn');
    this.offsetsAdded = true;
    const topics = new Map<string, { partitionIndex: number; committedOffset: bigint; committedMetadata: string }[]>();
    for (const o of offsets) topics.set(o.topic, [...(topics.get(o.topic) ?? []), { partitionIndex: o.partition, committedOffset: o.offset, committedMetadata: o.metadata ?? '' }]);
    await this.call(
      () => this.cluster.coordinator(group.groupId),
      () => this.cluster.forgetCoordinator(group.groupId),
      async (conn) => {
        const r = await conn.send(TxnOffsetCommitApi, {
          transactionalId: this.transactionalId,
          groupId: group.groupId,
          producerId: id.producerId,
          producerEpoch: id.producerEpoch,
          generationId: group.generationId,
          memberId: group.memberId,
          groupInstanceId: group.groupInstanceId,
          topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
        });
        const codes = r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
        return { errorCode: codes.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE, value: undefined };
      },
      'TxnOffsetCommit',
    );
  }

  /** EndTxn (when anything joined the transaction); the producer is ready for the next one after. */
  async end(commit: boolean): Promise<void> {
    this.assertUsable();
    if (!this.inTransaction) throw new SamsaClientError('SAMSA_TXN_STATE', `no transaction of ${this.transactionalId} is open`);
    if (commit && this.state === 'abortable') throw this.failure!;
    if (this.hasPartitions) {
      const id = this.ident!;
      await this.coordinatorCall(async (conn) => {
        const r = await conn.send(EndTxnApi, { transactionalId: this.transactionalId, producerId: id.producerId, producerEpoch: id.producerEpoch, committed: commit });
        return { errorCode: r.errorCode, value: undefined };
      }, 'EndTxn');
    }
    this.state = 'ready';
    this.failure = undefined;
    this.added.clear();
    this.toAdd.clear();
    this.offsetsAdded = false;
  }

  /** An abort dropped batches whose sequences the broker may have seen: the next transaction starts at a new epoch. */
  requireEpochBump(): void {
    if (this.ident) this.needsEpochBump = true;
  }

  get needsInit(): boolean {
    return this.state === 'uninitialized' || this.needsEpochBump;
  }

  /** A batch or request of the transaction failed: fenced errors are fatal, others make it abortable. */
  fail(err: Error): void {
    if (this.state === 'fatal') return;
    const code = err instanceof KafkaProtocolError ? err.errorCode : undefined;
    if (code !== undefined && FENCING.has(code)) {
      this.state = 'fatal';
      this.failure = new ProducerFencedError(`the producer with transactional id ${this.transactionalId} was fenced (${err.message}): another producer with this id has taken over, or its transaction timed out`, { cause: err });
      return;
    }
    if (this.state === 'in-transaction' || this.state === 'abortable') {
      this.state = 'abortable';
      this.failure ??= new SamsaClientError('SAMSA_TXN_ABORTABLE', `the transaction of ${this.transactionalId} failed and must be aborted: ${err.message}`, { cause: err });
    }
  }

  private assertUsable(): void {
    if (this.state === 'fatal') throw this.failure!;
  }

  private assertInTransaction(): void {
    this.assertUsable();
    if (this.state === 'abortable') throw this.failure!;
    if (this.state !== 'in-transaction') throw new SamsaClientError('SAMSA_TXN_STATE', `no transaction of ${this.transactionalId} is open`);
  }

  private coordinatorCall<T>(fn: (conn: BrokerConnection) => Promise<{ errorCode: number; value: T }>, what: string): Promise<T> {
    return this.call(
      () => this.cluster.coordinator(this.transactionalId, 'transaction'),
      () => this.cluster.forgetCoordinator(this.transactionalId, 'transaction'),
      fn,
      what,
    );
  }

  /**
   * Sends a request to a coordinator until it succeeds, retrying retriable answers for up to
   * maxBlockMs (finding the coordinator again when it moved); fencing errors make the producer fatal.
   */
  private async call<T>(coordinator: () => Promise<BrokerConnection>, forget: () => void, fn: (conn: BrokerConnection) => Promise<{ errorCode: number; value: T }>, what: string): Promise<T> {
    const clock = this.cluster.clock;
    const deadline = clock.now() + this.maxBlockMs;
    let backoff = 20;
    for (;;) {
      let err: Error;
      try {
        const r = await fn(await coordinator());
        if (r.errorCode === ErrorCode.NONE) return r.value;
        err = new KafkaProtocolError(r.errorCode, `${what} for transactional id ${this.transactionalId}`);
        if (COORDINATOR_MOVED.has(r.errorCode)) forget();
      } catch (e) {
        err = e as Error;
        if (isRetriable(err)) forget();
      }
      if (!isRetriable(err) || clock.now() + backoff > deadline) {
        const code = err instanceof KafkaProtocolError ? err.errorCode : undefined;
        if (code !== undefined && FENCING.has(code)) {
          this.fail(err);
          throw this.failure!;
        }
        throw err;
      }
      await sleep(clock, backoff);
      backoff = Math.min(500, backoff * 2);
    }
  }
}
