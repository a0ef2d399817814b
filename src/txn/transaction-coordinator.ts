/**
 * The transaction coordinator (Kafka's TransactionCoordinator, transaction version 1 with KIP-890
 * part 1): transactional ids, their producer ids and epochs, and their transactions, kept in
 * __transaction_state (txn-state-manager.ts) and completed with markers (txn-markers.ts).
 *
 * - InitProducerId: a new id gets a producer id at epoch 0; an existing one gets its epoch bumped,
 *   which fences the previous producer. A transaction still open is aborted first (with a bumped
 *   epoch, so the old producer's late writes are refused) and CONCURRENT_TRANSACTIONS answered:
 *   the client retries. An exhausted epoch rotates to a new producer id. KIP-360 retries (the
 *   producer's own id and epoch given) are recognised.
 * - AddPartitionsToTxn / AddOffsetsToTxn: partitions join the transaction (Ongoing). One that
 *   arrives while the previous transaction's markers are still going out waits for them (at most
 *   `completionWaitMs`) instead of answering CONCURRENT_TRANSACTIONS at once, which every client
 *   would retry after a backoff (20 ms for the Java client, 100+ ms for others): Kafka answers at
 *   once; the result is the same, sooner.
 *   `verifyPartitions` answers the partition leaders' KIP-890 question without changing anything.
 * - EndTxn: PrepareCommit / PrepareAbort is written, the client answered, then the markers go out
 *   and CompleteCommit / CompleteAbort is written.
 * - Transactions open longer than their timeout are aborted (fenced) every
 *   transaction.abort.timed.out.transaction.cleanup.interval.ms; ids idle for
 *   transactional.id.expiration.ms are removed (tombstoned).
 * - It serves the partitions of __transaction_state this node leads: `onElection` loads one and
 *   resumes its pending completions, `onResignation` drops it. Clock, store, producer ids and
 *   marker sender are injected.
 *
 * Answers are Kafka's error codes; PRODUCER_FENCED is mapped for old versions by the handlers.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TransactionMetadata, TxnState, type TxnPartition, partitionKey, txnStateName, txnStateOf } from './transaction-metadata.js';
import type { TxnConfig } from './txn-config.js';
import { TxnMarkerManager, type TxnMarkerSender } from './txn-markers.js';
import { TxnStateManager, type TxnStateStore } from './txn-state-manager.js';

export interface TransactionCoordinatorOptions {
  clock: Clock;
  logger: Logger;
  store: TxnStateStore;
  config: TxnConfig;
  /** A new producer id (the broker's producer-id manager). */
  generateProducerId(): Promise<bigint>;
  markers: TxnMarkerSender;
  /** How long a write to __transaction_state may take (Kafka's request.timeout.ms). Default 30000. */
  writeTimeoutMs?: number;
  /** Wait before resending markers that failed (Kafka's retry.backoff.ms). Default 100. */
  retryBackoffMs?: number;
  /** How long AddPartitionsToTxn waits for the previous transaction's completion before CONCURRENT_TRANSACTIONS. Default 500. */
  completionWaitMs?: number;
}

export interface InitProducerIdParams {
  transactionalId: string;
  transactionTimeoutMs: number;
  /** -1 unless a KIP-360 producer gives the id and epoch it has. */
  producerId: bigint;
  producerEpoch: number;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface TxnRequestParams {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

export interface DescribedTransaction {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  partitions: TxnPartition[];
}

export interface ListedTransaction {
  transactionalId: string;
  producerId: bigint;
  transactionState: string;
}

const failedInit = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });

export class TransactionCoordinator {
  readonly state: TxnStateManager;
  private readonly markers: TxnMarkerManager;
  private readonly timers = new Set<TimerHandle>();
  private closed = false;

  constructor(private readonly o: TransactionCoordinatorOptions) {
    const log = o.logger.child({ component: 'transaction-coordinator' });
    this.state = new TxnStateManager({ store: o.store, clock: o.clock, log, numPartitions: o.config['transaction.state.log.num.partitions'], writeTimeoutMs: o.writeTimeoutMs ?? 30_000 });
    this.markers = new TxnMarkerManager({ state: this.state, sender: o.markers, clock: o.clock, log, retryBackoffMs: o.retryBackoffMs ?? 100 });
    this.every(o.config['transaction.abort.timed.out.transaction.cleanup.interval.ms'], () => this.abortTimedOutTransactions());
    this.every(o.config['transaction.remove.expired.transaction.cleanup.interval.ms'], () => this.removeExpiredTransactionalIds());
  }

  get config(): TxnConfig {
    return this.o.config;
  }

  /** The partition of __transaction_state that holds an id. */
  partitionFor(transactionalId: string): number {
    return this.state.partitionFor(transactionalId);
  }

  /** This node leads the partition at `coordinatorEpoch`: load it, then complete the transactions it left prepared. */
  async onElection(partition: number, coordinatorEpoch: number): Promise<void> {
    const loaded = await this.state.loadPartition(partition, coordinatorEpoch);
    for (const m of loaded) if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) void this.markers.complete(m, coordinatorEpoch);
  }

  /** The partition moved away: its transactions are no longer served here. */
  onResignation(partition: number): void {
    this.state.unloadPartition(partition);
  }

  // ---- InitProducerId ----

  async initProducerId(p: InitProducerIdParams): Promise<InitProducerIdResult> {
    if (p.transactionalId === '') return failedInit(ErrorCode.INVALID_REQUEST);
    if (p.transactionTimeoutMs <= 0 || p.transactionTimeoutMs > this.o.config['transaction.max.timeout.ms']) return failedInit(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    let found = this.state.getTransactionState(p.transactionalId);
    if (typeof found === 'number') return failedInit(found);
    if (!found) {
      if (this.state.size >= this.o.config['samsa.transaction.max.transactional.ids']) return failedInit(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      let producerId: bigint;
      try {
        producerId = await this.o.generateProducerId();
      } catch {
        return failedInit(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      const created = new TransactionMetadata(p.transactionalId, {
        producerId,
        lastProducerId: NO_PRODUCER_ID,
        producerEpoch: NO_PRODUCER_EPOCH,
        lastProducerEpoch: NO_PRODUCER_EPOCH,
        txnTimeoutMs: p.transactionTimeoutMs,
        state: TxnState.Empty,
        partitions: new Map(),
        txnStartTimestamp: -1,
        txnLastUpdateTimestamp: this.o.clock.now(),
      });
      const put = this.state.putIfNotExists(created);
      if (typeof put === 'number') return failedInit(put);
      found = put;
    }
    return this.initExisting(p, found.metadata, found.coordinatorEpoch);
  }

  private async initExisting(p: InitProducerIdParams, m: TransactionMetadata, coordinatorEpoch: number): Promise<InitProducerIdResult> {
    const expected = p.producerId !== NO_PRODUCER_ID ? { producerId: p.producerId, epoch: p.producerEpoch } : undefined;
    if (m.pendingTransitionInProgress) return failedInit(ErrorCode.CONCURRENT_TRANSACTIONS);
    // Kafka's isValidProducerId: a new id, the current producer id, or the previous one with its epoch exhausted.
    if (expected && !(m.producerEpoch === NO_PRODUCER_EPOCH || expected.producerId === m.producerId || (expected.producerId === m.lastProducerId && expected.epoch >= 32766))) {
      return failedInit(ErrorCode.PRODUCER_FENCED);
    }
    switch (m.state) {
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        return failedInit(ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.Ongoing: {
        // Abort the open transaction, fencing its producer; the client retries and gets the next epoch.
        const code = await this.beginAbort(m, coordinatorEpoch, true);
        return failedInit(code === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : code);
      }
      case TxnState.Empty:
      case TxnState.CompleteCommit:
      case TxnState.CompleteAbort: {
        const now = this.o.clock.now();
        let transit;
        if (m.isProducerEpochExhausted && (!expected || expected.epoch === m.producerEpoch)) {
          let producerId: bigint;
          try {
            producerId = await this.o.generateProducerId();
          } catch {
            return failedInit(ErrorCode.COORDINATOR_NOT_AVAILABLE);
          }
          if (m.pendingTransitionInProgress) return failedInit(ErrorCode.CONCURRENT_TRANSACTIONS);
          transit = m.prepareProducerIdRotation(producerId, p.transactionTimeoutMs, now, expected !== undefined);
        } else {
          transit = m.prepareIncrementProducerEpoch(p.transactionTimeoutMs, expected?.epoch, now);
          if (transit === 'PRODUCER_FENCED') return failedInit(ErrorCode.PRODUCER_FENCED);
        }
        const code = await this.state.appendTransactionToLog(m, coordinatorEpoch, transit);
        return code === ErrorCode.NONE ? { errorCode: ErrorCode.NONE, producerId: transit.producerId, producerEpoch: transit.producerEpoch } : failedInit(code);
      }
      default:
        return failedInit(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  }

  // ---- AddPartitionsToTxn, AddOffsetsToTxn ----

  /** Checks a client's request about its transaction: the metadata, or the error to answer. */
  private validate(p: TxnRequestParams): { m: TransactionMetadata; coordinatorEpoch: number } | number {
    if (p.transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const found = this.state.getTransactionState(p.transactionalId);
    if (typeof found === 'number') return found;
    if (!found || found.metadata.producerId !== p.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (found.metadata.producerEpoch !== p.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return { m: found.metadata, coordinatorEpoch: found.coordinatorEpoch };
  }

  /** Adds partitions to the transaction (starting it); NONE or the error for all of them. */
  async addPartitions(p: TxnRequestParams, partitions: readonly TxnPartition[], mayWait = true): Promise<number> {
    const v = this.validate(p);
    if (typeof v === 'number') return v;
    const { m, coordinatorEpoch } = v;
    if (m.pendingTransitionInProgress || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) {
      if (mayWait && (await this.awaitCompletion(m))) return this.addPartitions(p, partitions, false);
      return ErrorCode.CONCURRENT_TRANSACTIONS;
    }
    if (m.state === TxnState.Ongoing && partitions.every((x) => m.partitions.has(partitionKey(x.topic, x.partition)))) return ErrorCode.NONE;
    return this.state.appendTransactionToLog(m, coordinatorEpoch, m.prepareAddPartitions(partitions, this.o.clock.now()));
  }

  /** Waits at most completionWaitMs for the completion under way of a transaction; whether it ended. */
  private async awaitCompletion(m: TransactionMetadata): Promise<boolean> {
    const done = this.markers.whenCompleted(m);
    if (!done) return false;
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = this.o.clock.setTimeout(() => resolve(false), this.o.completionWaitMs ?? 500)));
    const ended = await Promise.race([done.then(() => true), timedOut]);
    timer?.cancel();
    return ended;
  }

  /**
   * KIP-890: whether each partition is in the transaction (NONE, else TRANSACTION_ABORTABLE), or
   * one error for all. Changes nothing.
   */
  verifyPartitions(p: TxnRequestParams, partitions: readonly TxnPartition[]): Map<string, number> | number {
    const v = this.validate(p);
    if (typeof v === 'number') return v;
    if (v.m.state === TxnState.PrepareCommit || v.m.state === TxnState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const out = new Map<string, number>();
    for (const x of partitions) {
      const key = partitionKey(x.topic, x.partition);
      out.set(key, v.m.state === TxnState.Ongoing && v.m.partitions.has(key) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE);
    }
    return out;
  }

  // ---- EndTxn ----

  /** Commits or aborts: NONE once PrepareCommit / PrepareAbort is durable (the markers follow). */
  async endTxn(p: TxnRequestParams & { committed: boolean }): Promise<number> {
    const v = this.validate(p);
    if (typeof v === 'number') return v;
    const { m, coordinatorEpoch } = v;
    if (m.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    switch (m.state) {
      case TxnState.Ongoing: {
        const transit = m.prepareAbortOrCommit(p.committed ? TxnState.PrepareCommit : TxnState.PrepareAbort, this.o.clock.now());
        const code = await this.state.appendTransactionToLog(m, coordinatorEpoch, transit);
        if (code === ErrorCode.NONE) void this.markers.complete(m, coordinatorEpoch);
        return code;
      }
      case TxnState.CompleteCommit:
        return p.committed ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      case TxnState.CompleteAbort:
        return p.committed ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      case TxnState.PrepareCommit:
        return p.committed ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      case TxnState.PrepareAbort:
        return p.committed ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
      default:
        return ErrorCode.INVALID_TXN_STATE;
    }
  }

  /**
   * Aborts an open transaction on the coordinator's own initiative (a new producer with the same
   * id, a timeout), bumping the epoch when `fence` so the old producer's later writes are refused.
   */
  private async beginAbort(m: TransactionMetadata, coordinatorEpoch: number, fence: boolean): Promise<number> {
    const now = this.o.clock.now();
    const transit = fence ? m.prepareFenceAndAbort(now) : m.prepareAbortOrCommit(TxnState.PrepareAbort, now);
    const code = await this.state.appendTransactionToLog(m, coordinatorEpoch, transit);
    if (code === ErrorCode.NONE) void this.markers.complete(m, coordinatorEpoch);
    return code;
  }

  // ---- timeouts and expiry ----

  /** Aborts (and fences) every transaction open longer than its timeout; undefined when there is none. */
  abortTimedOutTransactions(): Promise<void> | undefined {
    const now = this.o.clock.now();
    const aborts: Promise<unknown>[] = [];
    for (const { metadata: m, coordinatorEpoch } of [...this.state.all()]) {
      if (m.state !== TxnState.Ongoing || m.pendingTransitionInProgress || m.txnStartTimestamp + m.txnTimeoutMs >= now) continue;
      this.o.logger.info({ transactionalId: m.transactionalId, producerId: String(m.producerId), timeoutMs: m.txnTimeoutMs }, 'aborting a transaction past its timeout');
      aborts.push(this.beginAbort(m, coordinatorEpoch, true));
    }
    return aborts.length === 0 ? undefined : Promise.all(aborts).then(() => undefined);
  }

  /** Removes ids with no transaction for transactional.id.expiration.ms (a tombstone each); undefined when there is none. */
  removeExpiredTransactionalIds(): Promise<void> | undefined {
    const horizon = this.o.clock.now() - this.o.config['transactional.id.expiration.ms'];
    const writes: Promise<unknown>[] = [];
    for (const { metadata: m, coordinatorEpoch } of [...this.state.all()]) {
      const finished = m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort;
      if (!finished || m.pendingTransitionInProgress || m.txnLastUpdateTimestamp > horizon) continue;
      writes.push(this.state.appendTransactionToLog(m, coordinatorEpoch, m.prepareDead()));
    }
    return writes.length === 0 ? undefined : Promise.all(writes).then(() => undefined);
  }

  /** Runs `fn` every `ms`; while the writes a run started are going, the next runs skip. */
  private every(ms: number, fn: () => Promise<void> | undefined): void {
    let running = false;
    const schedule = () => {
      const t = this.o.clock.setTimeout(() => {
        this.timers.delete(t);
        if (this.closed) return;
        schedule();
        if (running) return;
        const work = fn();
        if (!work) return;
        running = true;
        void work.finally(() => (running = false));
      }, ms);
      this.timers.add(t);
    };
    schedule();
  }

  // ---- admin ----

  /** DescribeTransactions: TRANSACTIONAL_ID_NOT_FOUND for an unknown id, NOT_COORDINATOR for one served elsewhere. */
  describeTransactions(ids: readonly string[]): DescribedTransaction[] {
    return ids.map((transactionalId) => {
      const found = this.state.getTransactionState(transactionalId);
      const none = (errorCode: number): DescribedTransaction => ({ errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, partitions: [] });
      if (typeof found === 'number') return none(found);
      if (!found) return none(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
      const m = found.metadata;
      return {
        errorCode: ErrorCode.NONE,
        transactionalId,
        transactionState: txnStateName(m.state),
        transactionTimeoutMs: m.txnTimeoutMs,
        transactionStartTimeMs: BigInt(m.txnStartTimestamp),
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        partitions: [...m.partitions.values()],
      };
    });
  }

  /** ListTransactions: the ids served here, filtered by state names, producer ids and (v1) how long they have been running. */
  listTransactions(stateFilters: readonly string[], producerIdFilters: readonly bigint[], durationFilterMs = -1n): { unknownStateFilters: string[]; transactions: ListedTransaction[] } {
    const unknownStateFilters = stateFilters.filter((s) => txnStateOf(s) === undefined);
    const states = new Set(stateFilters.map(txnStateOf).filter((s) => s !== undefined));
    const producers = new Set(producerIdFilters);
    const now = BigInt(this.o.clock.now());
    const transactions: ListedTransaction[] = [];
    for (const { metadata: m } of this.state.all()) {
      if (stateFilters.length > 0 && !states.has(m.state)) continue;
      if (producers.size > 0 && !producers.has(m.producerId)) continue;
      if (durationFilterMs >= 0n && (m.state !== TxnState.Ongoing || now - BigInt(m.txnStartTimestamp) <= durationFilterMs)) continue;
      transactions.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: txnStateName(m.state) });
    }
    return { unknownStateFilters, transactions };
  }

  /** Stops the timers and marker sending. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.markers.stop();
  }
}
