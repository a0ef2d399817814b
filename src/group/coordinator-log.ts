/**
 * Writes the coordinator's records to __consumer_offsets and reads them back on load.
 *
 * Each write is one uncompressed record batch (CreateTime = now, no producer id), as Kafka's
 * coordinator writes them, appended to the group's partition. A write resolves once durable, or
 * fails with the error code the request should answer after `offsets.commit.timeout.ms`.
 * Durable writes are announced through `onDurable` in append order per partition, whatever order
 * the store's promises settle in, so that state rebuilt from them (committed offsets) is always
 * what a replay of the log would give — including writes whose request already timed out.
 */
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ControlRecordType, decodeControlRecordKey, decodeRecordBatch, encodeUncompressedRecordBatch, iterateBatches } from '../protocol/records/index.js';
import { SamsaError } from '../protocol/samsa-error.js';
import { type CoordinatorRecord, decodeCoordinatorRecord, encodeRecordKey, encodeRecordValue } from './coordinator-records.js';
import type { OffsetsStore } from './offsets-store.js';
import { partitionForGroup } from './partition-for.js';

/** A write that did not become durable in time, with the error code its request answers. */
export class CoordinatorWriteError extends SamsaError {
  constructor(readonly errorCode: number, message: string, options?: { cause?: unknown }) {
    super('SAMSA_GROUP_WRITE', message, options);
  }
}

/** Bound on a batch's decompressed size while loading (the coordinator writes uncompressed batches). */
const MAX_UNCOMPRESSED_BATCH_BYTES = 64 * 1024 * 1024;

/** Kafka's mapping of an append error to the error a group request answers. */
export function appendErrorToResponseError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

function errorCodeOf(err: unknown): number {
  const code = (err as { errorCode?: unknown } | null)?.errorCode;
  return typeof code === 'number' ? appendErrorToResponseError(code) : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

/** A transactional write (TxnOffsetCommit): its producer, and the KIP-890 guard of its partition. */
export interface TxnWrite {
  producerId: bigint;
  producerEpoch: number;
  verification?: { guard: object | undefined };
}

/** What loading reads: a record (with its producer id when written in a transaction), or a transaction marker. */
export type LoadedEntry =
  | { kind: 'record'; record: CoordinatorRecord; producerId: bigint | undefined }
  | { kind: 'marker'; partition: number; producerId: bigint; committed: boolean };

export interface CoordinatorLogOptions {
  store: OffsetsStore;
  clock: Clock;
  numPartitions: number;
  commitTimeoutMs: number;
  log: Logger;
  /** Called with each write's records once durable, in append order per partition (with the producer of a transactional one). */
  onDurable(records: readonly CoordinatorRecord[], txn: TxnWrite | undefined): void;
}

export class CoordinatorLog {
  /** Per partition, the promise the next write's onDurable waits behind. */
  private readonly tails = new Map<number, Promise<void>>();
  /** Writes not yet settled, per group (OffsetFetch with require_stable waits for them). */
  private readonly pendingByGroup = new Map<string, Set<Promise<void>>>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly opts: CoordinatorLogOptions) {}

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.opts.numPartitions);
  }

  /**
   * Appends the records of one group as one batch (a transactional one for `txn`, as Kafka writes
   * TxnOffsetCommit); resolves once durable, rejects with CoordinatorWriteError.
   */
  write(groupId: string, records: readonly CoordinatorRecord[], txn?: TxnWrite): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const partition = this.partitionFor(groupId);
    const now = BigInt(this.opts.clock.now());
    let appended: Promise<void>;
    try {
      const batch = encodeUncompressedRecordBatch({
        baseTimestamp: now,
        ...(txn ? { isTransactional: true, producerId: txn.producerId, producerEpoch: txn.producerEpoch } : {}),
        records: records.map((r) => ({ key: encodeRecordKey(r), value: encodeRecordValue(r), timestamp: now })),
      });
      appended = this.opts.store.append(partition, batch, txn?.verification ? { verification: txn.verification } : undefined);
    } catch (err) {
      return Promise.reject(new CoordinatorWriteError(ErrorCode.UNKNOWN_SERVER_ERROR, `cannot write group ${groupId}: ${(err as Error).message}`, { cause: err }));
    }
    const durable = (this.tails.get(partition) ?? Promise.resolve()).then(() => appended).then(() => this.opts.onDurable(records, txn));
    const settled = durable.catch((err: unknown) => {
      this.opts.log.warn({ group: groupId, partition, err: (err as Error).message }, 'write to __consumer_offsets failed');
    });
    this.tails.set(partition, settled);
    this.track(groupId, settled);
    return this.withTimeout(groupId, durable);
  }

  /** Resolves once every write of the group issued so far has settled. */
  async awaitPendingWrites(groupId: string): Promise<void> {
    const set = this.pendingByGroup.get(groupId);
    if (set) await Promise.all([...set]);
  }

  /** Resolves once every write issued so far has settled. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Every record and transaction marker of a partition, in log order. */
  async *load(partition: number): AsyncGenerator<LoadedEntry> {
    for await (const chunk of this.opts.store.read(partition)) yield* this.decodeChunk(partition, chunk);
  }

  get numPartitions(): number {
    return this.opts.numPartitions;
  }

  private async *decodeChunk(partition: number, chunk: Buffer): AsyncGenerator<LoadedEntry> {
    for (const span of iterateBatches(chunk)) {
      if (!span.complete) break;
      const batch = await decodeRecordBatch(chunk, span.position, { maxUncompressedBytes: MAX_UNCOMPRESSED_BATCH_BYTES });
      if (batch.isControlBatch) {
        // A transaction marker decides the producer's transactional offset commits in this partition.
        const key = batch.records[0]?.key;
        const type = key ? decodeControlRecordKey(key).type : -1;
        if (type === ControlRecordType.Commit || type === ControlRecordType.Abort) yield { kind: 'marker', partition, producerId: batch.header.producerId, committed: type === ControlRecordType.Commit };
        continue;
      }
      const producerId = batch.isTransactional ? batch.header.producerId : undefined;
      for (const rec of batch.records) {
        let decoded: CoordinatorRecord | undefined;
        try {
          decoded = decodeCoordinatorRecord(rec.key, rec.value);
        } catch (err) {
          this.opts.log.error({ partition, offset: rec.offset, err: (err as Error).message }, 'skipping an undecodable record of __consumer_offsets');
          continue;
        }
        if (decoded) yield { kind: 'record', record: decoded, producerId };
      }
    }
  }

  private track(groupId: string, settled: Promise<void>): void {
    let set = this.pendingByGroup.get(groupId);
    if (!set) this.pendingByGroup.set(groupId, (set = new Set()));
    set.add(settled);
    this.pending.add(settled);
    void settled.then(() => {
      set.delete(settled);
      if (set.size === 0 && this.pendingByGroup.get(groupId) === set) this.pendingByGroup.delete(groupId);
      this.pending.delete(settled);
    });
  }

  private withTimeout(groupId: string, durable: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = this.opts.clock.setTimeout(() => {
        reject(new CoordinatorWriteError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `write for group ${groupId} not durable within ${this.opts.commitTimeoutMs} ms`));
      }, this.opts.commitTimeoutMs);
      durable.then(
        () => {
          timer.cancel();
          resolve();
        },
        (err: unknown) => {
          timer.cancel();
          reject(err instanceof CoordinatorWriteError ? err : new CoordinatorWriteError(errorCodeOf(err), `write for group ${groupId} failed: ${(err as Error).message}`, { cause: err }));
        },
      );
    });
  }
}
