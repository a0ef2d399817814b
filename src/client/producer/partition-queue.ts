/**
 * One partition's records on their way to the broker: the open batch that records join, closed
 * batches waiting to be sent, and batches in flight, in the order they were sent.
 *
 * With idempotence a batch gets its producer id and sequence numbers when it is first sent and
 * keeps them through retries, so the broker recognises a retry of a batch it already wrote. Once a
 * batch fails the partition recovers: nothing new is sent until every batch still in flight has
 * answered (those after a failed one come back OUT_OF_ORDER_SEQUENCE_NUMBER), then the failed
 * ones go again in the order they were first sent.
 */
import type { RecordInput } from '../../protocol/records/index.js';
import type { Clock, TimerHandle } from '../world.js';
import type { RecordMetadata } from './producer-types.js';

/**
 * A record waiting in its partition's queue: the record to encode itself (one object per record,
 * not a RecordInput wrapped in another), with what the producer needs to answer its call.
 */
export interface PendingRecord extends RecordInput {
  key: Uint8Array | null;
  value: Uint8Array | null;
  timestamp: bigint;
  bytes: number;
  /** The send call the record came with, and its place in that call. */
  call: SendCall;
  index: number;
}

/**
 * The records of one `send` call: its promise resolves with every record's metadata once all are
 * acknowledged, or rejects with the first failure. One promise per call rather than one per
 * record: a producer of small records spends much of its time allocating, and then collecting,
 * a promise and two closures per record.
 */
export class SendCall {
  readonly results: RecordMetadata[];
  private left: number;
  private settled = false;

  constructor(
    count: number,
    private readonly resolve: (m: RecordMetadata[]) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.results = new Array<RecordMetadata>(count);
    this.left = count;
    if (count === 0) this.finish();
  }

  acknowledged(index: number, m: RecordMetadata): void {
    if (this.settled) return;
    this.results[index] = m;
    if (--this.left === 0) this.finish();
  }

  failed(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(err);
  }

  /** The call failed before all its records were queued: whatever happens to those queued is ignored. */
  abandon(): void {
    this.settled = true;
  }

  private finish(): void {
    this.settled = true;
    this.resolve(this.results);
  }
}

/** The producer id and epoch that idempotent batches are numbered under. */
export interface ProducerIdentity {
  producerId: bigint;
  producerEpoch: number;
}

export interface Batch {
  records: PendingRecord[];
  /** First sequence number, -1 until the batch is first sent (and without idempotence). */
  baseSequence: number;
  identity: ProducerIdentity | undefined;
  /** The encoded batch, made at first send and sent again as it is by retries. */
  encoded: Promise<Buffer> | undefined;
  /** Retries so far. */
  retries: number;
  /** When it was first sent, counted per partition: retries go again in this order. */
  sendOrder: number;
}

const MAX_SEQUENCE = 0x7fffffff;

export class PartitionQueue {
  open: PendingRecord[] = [];
  openBytes = 0;
  /** Closed batches not sent yet, oldest first (batches to retry go back at the front). */
  readonly ready: Batch[] = [];
  /** Sent and not yet answered, in the order sent. */
  readonly inFlight: Batch[] = [];
  /** Failed batches waiting for the rest of the flight to answer before they go again. */
  readonly retrying: Batch[] = [];
  /** The open batch's linger. */
  timer: TimerHandle | undefined;
  /** A retried batch waits until this time. */
  notBefore = 0;
  /** The sequence of the next batch numbered under the current producer id. */
  nextSequence = 0;
  /**
   * Whether the broker has acknowledged a batch under the current producer id. Until then one batch
   * goes at a time: a broker that does not know a producer accepts any sequence, so a second batch
   * could be written ahead of a first one that failed.
   */
  confirmed = false;
  /** A batch failed: nothing new is sent until the flight has landed. */
  recovering = false;
  private sent = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    public numPartitions: number,
  ) {}

  /** Closes the open batch, if it has records, so that it can be sent. */
  closeOpen(): boolean {
    if (this.open.length === 0) return false;
    this.ready.push({ records: this.open, baseSequence: -1, identity: undefined, encoded: undefined, retries: 0, sendOrder: -1 });
    this.open = [];
    this.openBytes = 0;
    return true;
  }

  /** Whether the next ready batch may be sent now, with at most `maxInFlight` in flight. */
  canSend(maxInFlight: number, idempotent: boolean, now: number): boolean {
    return this.ready.length > 0 && this.hasRoom(maxInFlight, idempotent, now);
  }

  /** Whether a batch could leave now: no recovery or backoff, fewer than `maxInFlight` in flight. */
  hasRoom(maxInFlight: number, idempotent: boolean, now: number): boolean {
    if (this.recovering || this.notBefore > now) return false;
    return this.inFlight.length < (idempotent && !this.confirmed ? 1 : maxInFlight);
  }

  /** Whether the next ready batch waits only for its retry backoff to end. */
  backingOff(now: number): boolean {
    return this.ready.length > 0 && !this.recovering && this.notBefore > now;
  }

  /** Moves the next ready batch into flight, numbering it under `identity` if it has no sequence yet. */
  takeNext(identity: ProducerIdentity | undefined): Batch {
    const b = this.ready.shift()!;
    if (b.sendOrder < 0) b.sendOrder = this.sent++;
    if (identity && b.baseSequence < 0) {
      b.identity = identity;
      b.baseSequence = this.nextSequence;
      this.nextSequence = (this.nextSequence + b.records.length) % (MAX_SEQUENCE + 1);
      b.encoded = undefined;
    }
    this.inFlight.push(b);
    return b;
  }

  /** Takes an answered batch out of the flight. */
  landed(b: Batch): void {
    const i = this.inFlight.indexOf(b);
    if (i >= 0) this.inFlight.splice(i, 1);
  }

  /** A failed batch goes again once the flight has landed. */
  retry(b: Batch): void {
    b.retries++;
    this.retrying.push(b);
    this.recovering = true;
  }

  /**
   * A batch the broker refused (so did not write) is given up: the batches sent after it, which
   * the broker cannot have taken as they do not follow its last sequence, are numbered again from
   * its first sequence when they are retried.
   */
  dropRefused(b: Batch): void {
    this.recovering = true;
    if (b.baseSequence < 0) return;
    this.nextSequence = b.baseSequence;
    for (const later of [...this.retrying, ...this.inFlight]) {
      if (later.sendOrder < b.sendOrder) continue;
      later.baseSequence = -1;
      later.encoded = undefined;
    }
  }

  /** Forgets every sequence (the producer gets a new id): batches not acknowledged are numbered afresh. */
  resetSequences(): void {
    this.nextSequence = 0;
    this.confirmed = false;
    for (const b of [...this.retrying, ...this.ready]) {
      b.baseSequence = -1;
      b.identity = undefined;
      b.encoded = undefined;
    }
  }

  /**
   * Ends a recovery once nothing is in flight: the batches to retry go back to the front of the
   * line in the order first sent, after `backoffMs` on `clock`.
   */
  endRecovery(backoffMs: number, clock: Clock): void {
    if (!this.recovering || this.inFlight.length > 0) return;
    this.recovering = false;
    if (this.retrying.length > 0) {
      this.ready.unshift(...this.retrying.splice(0).sort((a, b) => a.sendOrder - b.sendOrder));
      this.notBefore = clock.now() + backoffMs;
    }
  }

  get isEmpty(): boolean {
    return this.open.length === 0 && this.ready.length === 0 && this.inFlight.length === 0 && this.retrying.length === 0;
  }
}
