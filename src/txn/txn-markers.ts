/**
 * Kafka's TransactionMarkerChannelManager, coordinator side: once a transaction's PrepareCommit or
 * PrepareAbort is durable, its COMMIT or ABORT marker goes to every partition of the transaction
 * (WriteTxnMarkers to each partition's leader, through the injected sender: this node's own
 * partitions directly, other nodes' over the network), retried with backoff until every partition
 * has it; then the transaction is completed (CompleteCommit / CompleteAbort written). Sending
 * stops when the coordinator no longer owns the transaction at that coordinator epoch (the new
 * coordinator resends after loading), or when a partition reports the producer or coordinator
 * epoch fenced (a newer transaction has moved on).
 */
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { type TransactionMetadata, TxnState, type TxnPartition } from './transaction-metadata.js';
import type { TxnStateManager } from './txn-state-manager.js';

export type TxnResult = 'commit' | 'abort';

/** One WriteTxnMarkers entry: a transaction's result for some of its partitions. */
export interface TxnMarker {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  result: TxnResult;
  partitions: readonly TxnPartition[];
}

/** Where markers go: to each partition's leader (this node's partitions locally, others over the network). */
export interface TxnMarkerSender {
  /**
   * Writes the markers; resolves with each marker's error code per partition (by partitionKey).
   * A partition whose topic no longer exists answers NONE: it needs no marker.
   */
  send(markers: readonly TxnMarker[]): Promise<Map<string, number>[]>;
}

/** Errors after which a marker is tried again (leadership moving, replicas short, a slow write). */
const RETRIABLE = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
]);
/** How long a transaction's markers retry before a warning says they are stuck. */
const MARKER_STALL_WARN_MS = 30_000;
/** Errors after which the partition needs no marker (Kafka: it never took data of the transaction). */
const SKIPPED = new Set<number>([ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, ErrorCode.UNSUPPORTED_VERSION]);

export interface TxnMarkerManagerOptions {
  state: TxnStateManager;
  sender: TxnMarkerSender;
  clock: Clock;
  log: Logger;
  /** Wait between rounds of retries (Kafka's retry.backoff.ms). */
  retryBackoffMs: number;
}

export class TxnMarkerManager {
  /** Transactions whose markers are being sent (so a reload does not start a second loop), with the end of each. */
  private readonly sending = new Map<TransactionMetadata, Promise<void>>();
  private closed = false;

  constructor(private readonly o: TxnMarkerManagerOptions) {}

  /** Transactions being completed now. */
  get inFlight(): number {
    return this.sending.size;
  }

  /**
   * Sends the markers of a transaction in PrepareCommit / PrepareAbort and completes it; resolves
   * once done, or once it stopped (the coordinator moved, the transaction was fenced). Never rejects.
   */
  complete(metadata: TransactionMetadata, coordinatorEpoch: number): Promise<void> {
    const current = this.sending.get(metadata);
    if (current) return current;
    const done = this.run(metadata, coordinatorEpoch)
      .catch((err: unknown) => this.o.log.error({ err, transactionalId: metadata.transactionalId }, 'completing a transaction failed'))
      .finally(() => this.sending.delete(metadata));
    this.sending.set(metadata, done);
    return done;
  }

  /** The end of a transaction's completion under way (markers, then CompleteCommit / CompleteAbort), if any. */
  whenCompleted(metadata: TransactionMetadata): Promise<void> | undefined {
    return this.sending.get(metadata);
  }

  stop(): void {
    this.closed = true;
  }

  private async run(m: TransactionMetadata, coordinatorEpoch: number): Promise<void> {
    const result: TxnResult = m.state === TxnState.PrepareCommit ? 'commit' : 'abort';
    const remaining = new Map([...m.partitions].map(([k, p]) => [k, p] as const));
    const started = this.o.clock.now();
    let warned = false;
    while (remaining.size > 0) {
      if (!this.owns(m, coordinatorEpoch, result)) return;
      const marker: TxnMarker = { transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch, result, partitions: [...remaining.values()] };
      let codes: Map<string, number>;
      try {
        [codes = new Map()] = await this.o.sender.send([marker]);
      } catch (err) {
        // A leader that cannot be reached (down, restarting) is retried like a retriable code: the
        // warning below says so once if it lasts, instead of a stack trace per retry.
        this.o.log.debug({ err: String(err), transactionalId: m.transactionalId }, 'sending transaction markers failed; retrying');
        codes = new Map();
      }
      for (const [key, code] of codes) {
        if (code === ErrorCode.NONE || SKIPPED.has(code)) remaining.delete(key);
        else if (code === ErrorCode.INVALID_PRODUCER_EPOCH || code === ErrorCode.TRANSACTION_COORDINATOR_FENCED) {
          this.o.log.info({ transactionalId: m.transactionalId, partition: key.replace('\u0000', '-'), code }, 'transaction marker fenced; the transaction has moved on');
          return;
        } else if (RETRIABLE.has(code)) this.o.log.debug({ transactionalId: m.transactionalId, partition: key.replace('\u0000', '-'), code }, 'writing a transaction marker failed; retrying');
        else this.o.log.error({ transactionalId: m.transactionalId, partition: key.replace('\u0000', '-'), code }, 'unexpected error writing a transaction marker; retrying');
      }
      if (remaining.size === 0) break;
      // A transaction whose markers do not land holds back read_committed consumers (the LSO): say so once.
      const retryingMs = this.o.clock.now() - started;
      if (!warned && retryingMs >= MARKER_STALL_WARN_MS) {
        warned = true;
        const partitions = [...remaining.keys()].map((k) => k.replace('\u0000', '-'));
        this.o.log.warn({ transactionalId: m.transactionalId, partitions, retryingMs }, 'transaction markers still not written; read_committed consumers of these partitions wait');
      }
      await this.sleep(this.o.retryBackoffMs);
    }
    // Every partition has its marker: CompleteCommit / CompleteAbort, retried while this node owns it.
    while (this.owns(m, coordinatorEpoch, result)) {
      const code = await this.o.state.appendTransactionToLog(m, coordinatorEpoch, m.prepareComplete(this.o.clock.now()));
      if (code === ErrorCode.NONE || code === ErrorCode.NOT_COORDINATOR) return;
      await this.sleep(this.o.retryBackoffMs);
    }
  }

  private owns(m: TransactionMetadata, coordinatorEpoch: number, result: TxnResult): boolean {
    const prepared = result === 'commit' ? TxnState.PrepareCommit : TxnState.PrepareAbort;
    return !this.closed && m.state === prepared && m.pendingState === undefined && this.o.state.stillOwns(m, coordinatorEpoch);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.o.clock.setTimeout(resolve, ms));
  }
}


