/**
 * One transaction of a transactional producer (`producer.transaction()`): records sent with it,
 * and consumed offsets added with `sendOffsets`, become visible to read_committed consumers (and
 * the offsets committed) all at once on `commit()`, or never, on `abort()`.
 *
 *   const txn = await producer.transaction();
 *   await txn.send('out', [{ key: 'k', value: 'v' }]);
 *   await txn.sendOffsets({ consumer, offsets: [{ topic: 'in', partition: 0, offset: 42n }] });
 *   await txn.commit();
 *
 * A send that failed makes the transaction abortable: `commit()` then throws and `abort()` is the
 * way on. If another producer with the same transactional id started (or this transaction timed
 * out), calls throw ProducerFencedError: the producer cannot be used any more.
 */
import { SamsaClientError } from '../errors.js';
import type { Bytes } from '../serde.js';
import type { ProducerRecord, RecordMetadata } from './producer-types.js';
import type { ConsumerGroupMetadata, OffsetToCommit, TransactionManager } from './transaction-manager.js';

/** What a transaction needs of its producer. */
export interface TransactionalProducer<K, V> {
  send(topic: string, records: ProducerRecord<K, V> | readonly ProducerRecord<K, V>[]): Promise<RecordMetadata[]>;
  flush(): Promise<void>;
  abortInFlight(reason: Error): Promise<boolean>;
}

export interface SendOffsetsOptions {
  offsets: readonly OffsetToCommit[];
  /** The consumer whose group the offsets are committed for (its generation is checked), … */
  consumer?: { groupMetadata(): ConsumerGroupMetadata };
  /** … or a group id, for a consumer outside group management (generation -1). */
  groupId?: string;
}

export class Transaction<K = Bytes, V = Bytes> {
  private done = false;

  constructor(
    private readonly producer: TransactionalProducer<K, V>,
    private readonly tm: TransactionManager,
  ) {}

  /** Whether the transaction is still open (neither committed nor aborted). */
  get active(): boolean {
    return !this.done;
  }

  /** Sends records in the transaction; resolves once the broker has them (visible to read_committed only after commit). */
  send(topic: string, records: ProducerRecord<K, V> | readonly ProducerRecord<K, V>[]): Promise<RecordMetadata[]> {
    this.assertOpen();
    return this.producer.send(topic, records);
  }

  /** Adds consumed offsets to the transaction: the group's committed offsets move on commit only. */
  async sendOffsets(o: SendOffsetsOptions): Promise<void> {
    this.assertOpen();
    const group = o.consumer?.groupMetadata() ?? (o.groupId !== undefined ? { groupId: o.groupId, generationId: -1, memberId: '', groupInstanceId: null } : undefined);
    if (!group) throw new SamsaClientError('SAMSA_CONFIG', 'sendOffsets needs a consumer or a groupId');
    if (o.offsets.length === 0) return;
    await this.tm.sendOffsets(o.offsets, group);
  }

  /** Sends everything waiting, then commits (EndTxn). Throws if a send failed: then abort. */
  async commit(): Promise<void> {
    this.assertOpen();
    await this.producer.flush();
    if (this.tm.error) throw this.tm.error;
    await this.tm.end(true);
    this.done = true;
  }

  /** Drops what is not sent yet, waits for what is in flight, then aborts (EndTxn). */
  async abort(): Promise<void> {
    this.assertOpen();
    const spoiled = await this.producer.abortInFlight(new SamsaClientError('SAMSA_TXN_ABORTED', `the transaction of ${this.tm.transactionalId} was aborted`));
    if (spoiled) this.tm.requireEpochBump();
    if (this.tm.isFatal) {
      this.done = true;
      throw this.tm.error!;
    }
    await this.tm.end(false);
    this.done = true;
  }

  private assertOpen(): void {
    if (this.done) throw new SamsaClientError('SAMSA_TXN_STATE', 'this transaction is already committed or aborted');
  }
}
