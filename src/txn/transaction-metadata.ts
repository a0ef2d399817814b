/**
 * Kafka's TransactionMetadata: what the coordinator knows of one transactional id — its producer
 * id and epoch, the transaction's state, partitions, timeout and timestamps — and the state
 * machine over it. A change is prepared as a transit (the next metadata) while its record is
 * written to __transaction_state; only once the write is durable does the metadata become it
 * (`completeTransitionTo`). While one is pending, requests about the id answer
 * CONCURRENT_TRANSACTIONS.
 *
 *   Empty ──AddPartitions──> Ongoing ──EndTxn──> PrepareCommit | PrepareAbort
 *     ^                        │                        │ markers written
 *     └──InitProducerId── CompleteCommit | CompleteAbort <┘
 *
 * States and their log codes are Kafka's (TransactionState): Empty 0, Ongoing 1, PrepareCommit 2,
 * PrepareAbort 3, CompleteCommit 4, CompleteAbort 5, Dead 6, PrepareEpochFence 7 (never written).
 */

export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnState = (typeof TxnState)[keyof typeof TxnState];

const NAMES: readonly string[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

/** Kafka's name for a state (DescribeTransactions, ListTransactions, kafka-transactions.sh). */
export function txnStateName(s: TxnState): string {
  return NAMES[s]!;
}

/** The state of a name (ListTransactions state filters), or undefined for an unknown one. */
export function txnStateOf(name: string): TxnState | undefined {
  const i = NAMES.indexOf(name);
  return i < 0 ? undefined : (i as TxnState);
}

/** The states each state may be entered from (Kafka's TransactionState.validPreviousStates). */
const VALID_PREVIOUS: Record<TxnState, readonly TxnState[]> = {
  [TxnState.Empty]: [TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.Ongoing]: [TxnState.Ongoing, TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.PrepareCommit]: [TxnState.Ongoing],
  [TxnState.PrepareAbort]: [TxnState.Ongoing, TxnState.PrepareEpochFence],
  [TxnState.CompleteCommit]: [TxnState.PrepareCommit],
  [TxnState.CompleteAbort]: [TxnState.PrepareAbort],
  [TxnState.Dead]: [TxnState.Empty, TxnState.CompleteAbort, TxnState.CompleteCommit],
  [TxnState.PrepareEpochFence]: [TxnState.Ongoing],
};

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
/** Kafka's Short.MaxValue: an epoch at or past MAX_EPOCH - 1 is exhausted (a new producer id is given). */
const MAX_EPOCH = 32767;

/** A partition of a transaction: `topic` and `partition`, keyed as `topic\0partition`. */
export interface TxnPartition {
  topic: string;
  partition: number;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** The fields a transition changes (Kafka's TxnTransitMetadata). */
export interface TxnTransit {
  producerId: bigint;
  lastProducerId: bigint;
  producerEpoch: number;
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TxnState;
  partitions: ReadonlyMap<string, TxnPartition>;
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
}

export class TransactionMetadata implements TxnTransit {
  producerId: bigint;
  /** The producer id before a rotation (Kafka's prevProducerId), or -1. */
  lastProducerId: bigint;
  producerEpoch: number;
  /** The epoch before the last bump, while the producer may still retry InitProducerId with it (KIP-360), or -1. */
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TxnState;
  partitions: Map<string, TxnPartition>;
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
  /** The transition whose record is being written, if any. */
  pendingState: TxnState | undefined;

  constructor(
    readonly transactionalId: string,
    t: TxnTransit,
  ) {
    this.producerId = t.producerId;
    this.lastProducerId = t.lastProducerId;
    this.producerEpoch = t.producerEpoch;
    this.lastProducerEpoch = t.lastProducerEpoch;
    this.txnTimeoutMs = t.txnTimeoutMs;
    this.state = t.state;
    this.partitions = new Map(t.partitions);
    this.txnStartTimestamp = t.txnStartTimestamp;
    this.txnLastUpdateTimestamp = t.txnLastUpdateTimestamp;
  }

  get pendingTransitionInProgress(): boolean {
    return this.pendingState !== undefined;
  }

  /** Kafka's isProducerEpochExhausted: the epoch cannot be bumped (twice) any more. */
  get isProducerEpochExhausted(): boolean {
    return this.producerEpoch >= MAX_EPOCH - 1;
  }

  private transit(state: TxnState, changes: Partial<TxnTransit> = {}): TxnTransit {
    if (this.pendingState !== undefined) throw new Error(`${this.transactionalId}: a transition to ${txnStateName(this.pendingState)} is already pending`);
    if (!VALID_PREVIOUS[state].includes(this.state)) throw new Error(`${this.transactionalId}: cannot go from ${txnStateName(this.state)} to ${txnStateName(state)}`);
    this.pendingState = state;
    return {
      producerId: this.producerId,
      lastProducerId: this.lastProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      partitions: this.partitions,
      txnStartTimestamp: this.txnStartTimestamp,
      txnLastUpdateTimestamp: this.txnLastUpdateTimestamp,
      ...changes,
      state,
    };
  }

  /**
   * InitProducerId on a finished transaction: the next epoch (Kafka's prepareIncrementProducerEpoch).
   * `expectedEpoch` is the epoch a KIP-360 producer says it has: the current one (bump), the one
   * before the last bump (a retry: no bump), or another (PRODUCER_FENCED, returned as a string).
   */
  prepareIncrementProducerEpoch(timeoutMs: number, expectedEpoch: number | undefined, now: number): TxnTransit | 'PRODUCER_FENCED' {
    const bumped = this.producerEpoch + 1;
    let next: [epoch: number, last: number];
    if (expectedEpoch === undefined) next = [bumped, NO_PRODUCER_EPOCH];
    else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === this.producerEpoch) next = [bumped, this.producerEpoch];
    else if (expectedEpoch === this.lastProducerEpoch) next = [this.producerEpoch, this.lastProducerEpoch];
    else return 'PRODUCER_FENCED';
    return this.transit(TxnState.Empty, { producerEpoch: next[0], lastProducerEpoch: next[1], txnTimeoutMs: timeoutMs, partitions: new Map(), txnStartTimestamp: -1, txnLastUpdateTimestamp: now });
  }

  /** InitProducerId with the epoch exhausted: a new producer id at epoch 0 (Kafka's prepareProducerIdRotation). */
  prepareProducerIdRotation(newProducerId: bigint, timeoutMs: number, now: number, recordLastEpoch: boolean): TxnTransit {
    return this.transit(TxnState.Empty, {
      producerId: newProducerId,
      lastProducerId: this.producerId,
      producerEpoch: 0,
      lastProducerEpoch: recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH,
      txnTimeoutMs: timeoutMs,
      partitions: new Map(),
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: now,
    });
  }

  /** Partitions join the transaction; the first ones start it (Kafka's prepareAddPartitions). */
  prepareAddPartitions(added: readonly TxnPartition[], now: number): TxnTransit {
    const partitions = new Map(this.partitions);
    for (const p of added) partitions.set(partitionKey(p.topic, p.partition), p);
    const starting = this.state === TxnState.Empty || this.state === TxnState.CompleteCommit || this.state === TxnState.CompleteAbort;
    return this.transit(TxnState.Ongoing, { partitions, txnStartTimestamp: starting ? now : this.txnStartTimestamp, txnLastUpdateTimestamp: now });
  }

  /** EndTxn: PrepareCommit or PrepareAbort (Kafka's prepareAbortOrCommit). */
  prepareAbortOrCommit(state: typeof TxnState.PrepareCommit | typeof TxnState.PrepareAbort, now: number): TxnTransit {
    return this.transit(state, { txnLastUpdateTimestamp: now });
  }

  /**
   * Fencing an ongoing transaction (InitProducerId from a new producer, or its timeout): the epoch
   * is bumped, so the old producer is fenced by the markers, and the transaction goes to
   * PrepareAbort in one write (Kafka passes through PrepareEpochFence, which it never writes). The
   * bumped epoch is never given to a producer: InitProducerId bumps again once the abort is done.
   */
  prepareFenceAndAbort(now: number): TxnTransit {
    const epoch = this.producerEpoch >= MAX_EPOCH ? this.producerEpoch : this.producerEpoch + 1;
    return this.transit(TxnState.PrepareAbort, { producerEpoch: epoch, lastProducerEpoch: NO_PRODUCER_EPOCH, txnLastUpdateTimestamp: now });
  }

  /** Every marker is written: CompleteCommit or CompleteAbort, with no partitions (Kafka's prepareComplete). */
  prepareComplete(now: number): TxnTransit {
    const state = this.state === TxnState.PrepareCommit ? TxnState.CompleteCommit : TxnState.CompleteAbort;
    return this.transit(state, { partitions: new Map(), txnLastUpdateTimestamp: now });
  }

  /** transactional.id.expiration.ms passed: the id goes (a tombstone is written). */
  prepareDead(): TxnTransit {
    return this.transit(TxnState.Dead, { partitions: new Map() });
  }

  /** The record was written: the metadata becomes the transit. */
  completeTransitionTo(t: TxnTransit): void {
    this.producerId = t.producerId;
    this.lastProducerId = t.lastProducerId;
    this.producerEpoch = t.producerEpoch;
    this.lastProducerEpoch = t.lastProducerEpoch;
    this.txnTimeoutMs = t.txnTimeoutMs;
    this.state = t.state;
    this.partitions = new Map(t.partitions);
    this.txnStartTimestamp = t.txnStartTimestamp;
    this.txnLastUpdateTimestamp = t.txnLastUpdateTimestamp;
    this.pendingState = undefined;
  }

  /** The write failed: the metadata stays as it was. */
  abortTransition(): void {
    this.pendingState = undefined;
  }
}
