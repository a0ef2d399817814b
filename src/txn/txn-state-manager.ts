/**
 * Kafka's TransactionStateManager: the transactions of the __transaction_state partitions this
 * node leads, kept in memory, loaded from the partition when it is given to this node
 * (`loadPartition`, with the partition's leader epoch as the coordinator epoch) and dropped when
 * it moves away (`unloadPartition`). A transactional id lives in partition
 * `abs(javaHashCode(id)) % transaction.state.log.num.partitions`, as in Kafka.
 *
 * The coordinator changes a transaction by preparing a transit, then `appendTransactionToLog`
 * writes its record (one uncompressed batch, CreateTime now) and, once durable and if the
 * partition is still led at the same epoch, makes it the metadata. A write that fails or takes
 * longer than the write timeout leaves the metadata as it was and answers Kafka's error.
 * The partitions are reached through a narrow store (append, read), as the group coordinator's are.
 */
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { javaStringHashCode } from '../group/partition-for.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeRecordBatch, encodeUncompressedRecordBatch, iterateBatches } from '../protocol/records/index.js';
import { TransactionMetadata, TxnState, type TxnTransit } from './transaction-metadata.js';
import { decodeTxnRecord, encodeTxnKey, encodeTxnValue } from './txn-records.js';

/** Where __transaction_state is kept: the same shape as the group coordinator's offsets store. */
export interface TxnStateStore {
  /** Appends one record batch to a partition; resolves once durable (replicated), in call order per partition. */
  append(partition: number, batch: Buffer): Promise<void>;
  /** The partition's batches from its start to its current end, in chunks of whole batches. */
  read(partition: number): AsyncIterable<Buffer>;
}

/** A transaction with the coordinator epoch of its partition. */
export interface EpochAndMetadata {
  coordinatorEpoch: number;
  metadata: TransactionMetadata;
}

/** The answer of a lookup: the transaction (or undefined when unknown), or the error for an id not served here now. */
export type TxnLookup = EpochAndMetadata | undefined | typeof ErrorCode.NOT_COORDINATOR | typeof ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;

interface OwnedPartition {
  coordinatorEpoch: number;
  loading: boolean;
  txns: Map<string, TransactionMetadata>;
}

/** Bound on a batch's decompressed size while loading (the coordinator writes uncompressed batches). */
const MAX_UNCOMPRESSED_BATCH_BYTES = 64 * 1024 * 1024;

/** Kafka's mapping of an append error to the error a transaction request answers. */
export function txnAppendError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

export interface TxnStateManagerOptions {
  store: TxnStateStore;
  clock: Clock;
  log: Logger;
  numPartitions: number;
  /** How long a write may take before the request fails (Kafka's request.timeout.ms, 30 s). */
  writeTimeoutMs: number;
}

export class TxnStateManager {
  private readonly owned = new Map<number, OwnedPartition>();

  constructor(private readonly o: TxnStateManagerOptions) {}

  partitionFor(transactionalId: string): number {
    const h = javaStringHashCode(transactionalId);
    return (h === -2147483648 ? 0 : Math.abs(h)) % this.o.numPartitions;
  }

  /** Whether this node serves the id now (it leads and has loaded its partition). */
  status(transactionalId: string): 'active' | 'loading' | 'not-coordinator' {
    const p = this.owned.get(this.partitionFor(transactionalId));
    return !p ? 'not-coordinator' : p.loading ? 'loading' : 'active';
  }

  getTransactionState(transactionalId: string): TxnLookup {
    const p = this.owned.get(this.partitionFor(transactionalId));
    if (!p) return ErrorCode.NOT_COORDINATOR;
    if (p.loading) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    const metadata = p.txns.get(transactionalId);
    return metadata && { coordinatorEpoch: p.coordinatorEpoch, metadata };
  }

  /** Adds a new transaction, or returns the one already there. */
  putIfNotExists(metadata: TransactionMetadata): EpochAndMetadata | typeof ErrorCode.NOT_COORDINATOR {
    const p = this.owned.get(this.partitionFor(metadata.transactionalId));
    if (!p || p.loading) return ErrorCode.NOT_COORDINATOR;
    const existing = p.txns.get(metadata.transactionalId);
    if (!existing) p.txns.set(metadata.transactionalId, metadata);
    return { coordinatorEpoch: p.coordinatorEpoch, metadata: existing ?? metadata };
  }

  /** How many transactional ids are held. */
  get size(): number {
    let n = 0;
    for (const p of this.owned.values()) n += p.txns.size;
    return n;
  }

  /** Every transaction of every loaded partition, with its coordinator epoch. */
  *all(): Generator<EpochAndMetadata> {
    for (const p of this.owned.values()) {
      if (p.loading) continue;
      for (const metadata of p.txns.values()) yield { coordinatorEpoch: p.coordinatorEpoch, metadata };
    }
  }

  /** Whether `metadata` is still the id's transaction in a partition led at `coordinatorEpoch`. */
  stillOwns(metadata: TransactionMetadata, coordinatorEpoch: number): boolean {
    const p = this.owned.get(this.partitionFor(metadata.transactionalId));
    return p !== undefined && !p.loading && p.coordinatorEpoch === coordinatorEpoch && p.txns.get(metadata.transactionalId) === metadata;
  }

  /**
   * Writes the transit's record and, once durable, makes it the metadata (a Dead transit removes
   * the id). Resolves with NONE or the error the request answers; the pending state is cleared.
   */
  async appendTransactionToLog(metadata: TransactionMetadata, coordinatorEpoch: number, transit: TxnTransit): Promise<number> {
    const id = metadata.transactionalId;
    const partition = this.partitionFor(id);
    const now = BigInt(this.o.clock.now());
    let code: number = ErrorCode.NONE;
    try {
      const value = transit.state === TxnState.Dead ? null : encodeTxnValue(transit);
      const batch = encodeUncompressedRecordBatch({ baseTimestamp: now, records: [{ key: encodeTxnKey(id), value, timestamp: now }] });
      await this.withTimeout(this.o.store.append(partition, batch));
    } catch (err) {
      const raw = (err as { errorCode?: unknown } | null)?.errorCode;
      code = typeof raw === 'number' ? txnAppendError(raw) : ErrorCode.COORDINATOR_NOT_AVAILABLE;
      this.o.log.warn({ transactionalId: id, partition, err: (err as Error).message }, 'write to __transaction_state failed');
    }
    if (code === ErrorCode.NONE && !this.stillOwns(metadata, coordinatorEpoch)) code = ErrorCode.NOT_COORDINATOR;
    if (code !== ErrorCode.NONE) {
      metadata.abortTransition();
      return code;
    }
    metadata.completeTransitionTo(transit);
    if (transit.state === TxnState.Dead) this.owned.get(partition)?.txns.delete(id);
    return ErrorCode.NONE;
  }

  private withTimeout(p: Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = this.o.clock.setTimeout(() => reject(Object.assign(new Error(`write not durable within ${this.o.writeTimeoutMs} ms`), { errorCode: ErrorCode.REQUEST_TIMED_OUT })), this.o.writeTimeoutMs);
      p.then(
        () => {
          timer.cancel();
          resolve();
        },
        (err: unknown) => {
          timer.cancel();
          reject(err as Error);
        },
      );
    });
  }

  /**
   * Takes a partition on (this node leads it at `coordinatorEpoch`): reads it whole, the last
   * record per id winning, and returns its transactions. Requests for its ids answer
   * COORDINATOR_LOAD_IN_PROGRESS meanwhile.
   */
  async loadPartition(partition: number, coordinatorEpoch: number): Promise<TransactionMetadata[]> {
    const owned: OwnedPartition = { coordinatorEpoch, loading: true, txns: new Map() };
    this.owned.set(partition, owned);
    const latest = new Map<string, TxnTransit | null>();
    let records = 0;
    for await (const chunk of this.o.store.read(partition)) {
      for (const span of iterateBatches(chunk)) {
        if (!span.complete) break;
        const batch = await decodeRecordBatch(chunk, span.position, { maxUncompressedBytes: MAX_UNCOMPRESSED_BATCH_BYTES });
        if (batch.isControlBatch) continue;
        for (const rec of batch.records) {
          try {
            const r = decodeTxnRecord(rec.key, rec.value);
            latest.set(r.transactionalId, r.value);
            records++;
          } catch (err) {
            this.o.log.error({ partition, offset: rec.offset, err: (err as Error).message }, 'skipping an undecodable record of __transaction_state');
          }
        }
      }
    }
    if (this.owned.get(partition) !== owned) return [];
    for (const [id, t] of latest) if (t !== null && t.state !== TxnState.Dead) owned.txns.set(id, new TransactionMetadata(id, t));
    owned.loading = false;
    this.o.log.info({ partition, coordinatorEpoch, transactions: owned.txns.size, records }, 'loaded __transaction_state partition');
    return [...owned.txns.values()];
  }

  /** The partition moved to another node (or the broker stops): its transactions are forgotten here. */
  unloadPartition(partition: number): void {
    this.owned.delete(partition);
  }

  /** The coordinator epoch a partition is served (or being loaded) at here, or undefined. */
  servedEpoch(partition: number): number | undefined {
    return this.owned.get(partition)?.coordinatorEpoch;
  }

  /** The partitions this node serves. */
  ownedPartitions(): number[] {
    return [...this.owned.keys()];
  }
}
