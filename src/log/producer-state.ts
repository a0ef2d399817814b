/**
 * Kafka's ProducerStateManager state for one partition: for every producer id that wrote to it,
 * the producer's epoch, its last five batches (sequence range and offsets), the coordinator epoch
 * of its last transaction marker and the first offset of its transaction in progress, if any.
 * An append checks each batch against it:
 *
 * - a batch equal to one of the five (same epoch, same first and last sequence) is a retry the
 *   log already holds: it is answered with the offsets it got then and not written again;
 * - an older epoch is fenced (INVALID_PRODUCER_EPOCH); a newer epoch must start at sequence 0;
 * - otherwise the first sequence must follow the last one (OUT_OF_ORDER_SEQUENCE_NUMBER);
 * - a producer the partition does not know may start anywhere: its state may be gone with old
 *   segments (retention, DeleteRecords), as Kafka accepts;
 * - a non-transactional batch while the producer's transaction is open is INVALID_TXN_STATE, and
 *   (KIP-890) a transactional batch that would start a transaction must carry the verification
 *   guard the partition layer got when the coordinator confirmed the partition is in it;
 * - a transaction marker (control batch) with an older producer epoch is INVALID_PRODUCER_EPOCH,
 *   with an older coordinator epoch TRANSACTION_COORDINATOR_FENCED; it ends the transaction.
 *
 * Transactions: a producer's first transactional batch opens its transaction at that offset; the
 * marker closes it (a CompletedTxn, whose aborted ones go to the transaction index). The first
 * unstable offset is the first offset of the oldest transaction still open, or of a completed one
 * whose marker the high watermark has not passed yet; the last stable offset is the lower of it
 * and the high watermark (Kafka's UnifiedLog.lastStableOffset).
 *
 * State is rebuilt at load from the newest snapshot file (`<offset>.snapshot`, Kafka's version 1
 * format: each producer's last batch, coordinator epoch and open transaction) plus the batches after
 * that offset. Producers silent for producer.id.expiration.ms (Kafka's default, one day) and with
 * no transaction open are forgotten at the next roll or the log manager's next check
 * (producer.id.expiration.check.interval.ms, ten minutes, as Kafka). Silence is measured by the
 * broker's clock at append, not by record timestamps (Kafka uses the batch's max timestamp).
 */
import { crc32c } from '../protocol/primitives/crc32c.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ControlRecordType } from '../protocol/records/control-record.js';

/** Batches remembered per producer for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN; its clients keep at most 5 in flight). */
export const RETAINED_BATCHES = 5;
export const PRODUCER_ID_EXPIRATION_MS = 24 * 60 * 60 * 1000;
/** How often every log forgets its expired producers (Kafka's producer.id.expiration.check.interval.ms). */
export const PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS = 10 * 60 * 1000;
export const SNAPSHOT_FILE_SUFFIX = '.snapshot';
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_HEADER_BYTES = 2 + 4 + 4;
const SNAPSHOT_ENTRY_BYTES = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
const MAX_SEQUENCE = 0x7fffffff;
const NO_EPOCH = -1;
const NO_OFFSET = -1n;

export interface ProducerBatch {
  firstSeq: number;
  lastSeq: number;
  firstOffset: bigint;
  lastOffset: bigint;
  /** When the batch was appended, by the broker's clock: producers silent too long are forgotten. */
  lastSeenMs: number;
}

interface ProducerEntry {
  epoch: number;
  batches: ProducerBatch[];
  /** The coordinator epoch of the last marker (-1: none). */
  coordinatorEpoch: number;
  /** The first offset of the producer's open transaction (-1: none). */
  currentTxnFirstOffset: bigint;
  /** When the producer was last heard of (a batch or a marker), by the broker's clock. */
  lastSeenMs: number;
}

/** A batch the producer state refuses, with the Kafka error code to answer. */
export class ProducerStateError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ProducerStateError';
  }
}

/** A data batch's producer fields, as read from its header. */
export interface ProducerAppend {
  producerId: bigint;
  epoch: number;
  firstSeq: number;
  lastSeq: number;
  /** Part of a transaction (default false). */
  isTransactional?: boolean;
}

/** A transaction marker's fields: its batch's producer id and epoch, its record's type and coordinator epoch. */
export interface MarkerAppend {
  producerId: bigint;
  epoch: number;
  /** ControlRecordType.Abort or Commit. */
  type: number;
  coordinatorEpoch: number;
}

/** A transaction a marker ended (Kafka's CompletedTxn). */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  /** The marker's offset. */
  lastOffset: bigint;
  isAborted: boolean;
}

/** A producer as DescribeProducers reports it. */
export interface ActiveProducer {
  producerId: bigint;
  epoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  currentTxnStartOffset: bigint;
}

/**
 * Who wrote a batch decides the checks (Kafka's AppendOrigin): a client's batches are checked
 * fully; a coordinator's (transactional offset commits) skip sequence checks; batches read back
 * (recovery, replay) are only recorded.
 */
export type ProducerAppendOrigin = 'client' | 'coordinator' | 'replay';

/** KIP-890: the guard a transactional batch starting a transaction must carry (undefined: none was taken). */
export interface VerificationCheck {
  guard: object | undefined;
}

const inSequence = (lastSeq: number, nextSeq: number) => nextSeq === lastSeq + 1 || (lastSeq === MAX_SEQUENCE && nextSeq === 0);

/** The last sequence of a batch of `count` records starting at `firstSeq` (sequences wrap at int32). */
export const lastSequenceOf = (firstSeq: number, count: number): number => (firstSeq + count - 1) % (MAX_SEQUENCE + 1);

interface Saved {
  producers: Map<bigint, ProducerEntry | undefined>;
  ongoing: Map<bigint, bigint>;
  unreplicated: CompletedTxn[];
}

export class ProducerState {
  private readonly producers = new Map<bigint, ProducerEntry>();
  /** Open transactions, producer id -> first offset, in order of first offset (appends come in offset order). */
  private ongoing = new Map<bigint, bigint>();
  /** Completed transactions whose marker the high watermark has not passed, in marker order. */
  private unreplicated: CompletedTxn[] = [];
  /** KIP-890 verification guards by producer id, with the epoch they were taken for. */
  private readonly verifications = new Map<bigint, { guard: object; epoch: number; sinceMs: number }>();

  get size(): number {
    return this.producers.size;
  }

  /**
   * Checks one data batch: returns the batch it repeats (a retry already in the log), or undefined
   * when it may be appended; throws ProducerStateError when it must be refused.
   */
  check(a: ProducerAppend, origin: ProducerAppendOrigin = 'client', verification?: VerificationCheck): ProducerBatch | undefined {
    const e = this.producers.get(a.producerId);
    if (origin === 'replay') return undefined;
    if (e && a.epoch < e.epoch) throw new ProducerStateError(ErrorCode.INVALID_PRODUCER_EPOCH, `Producer ${a.producerId}'s epoch ${a.epoch} is older than the current epoch ${e.epoch}`);
    if (origin === 'client' && e) {
      const duplicate = this.checkSequence(e, a);
      if (duplicate) return duplicate;
    }
    const open = e !== undefined && e.currentTxnFirstOffset >= 0n;
    if (open && !a.isTransactional) throw new ProducerStateError(ErrorCode.INVALID_TXN_STATE, `Expected a transactional write from producer ${a.producerId}: its transaction is open`);
    if (a.isTransactional && verification && !(open && e.epoch === a.epoch)) {
      const v = this.verifications.get(a.producerId);
      if (v === undefined || v.guard !== verification.guard) throw new ProducerStateError(ErrorCode.INVALID_TXN_STATE, `Producer ${a.producerId}'s batch is not part of an ongoing transaction (the partition was not verified in it)`);
    }
    return undefined;
  }

  private checkSequence(e: ProducerEntry, a: ProducerAppend): ProducerBatch | undefined {
    if (a.epoch > e.epoch) {
      if (a.firstSeq !== 0 && e.epoch !== NO_EPOCH) throw new ProducerStateError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `Producer ${a.producerId}'s new epoch ${a.epoch} starts at sequence ${a.firstSeq}, not 0`);
      return undefined;
    }
    const duplicate = e.batches.find((b) => b.firstSeq === a.firstSeq && b.lastSeq === a.lastSeq);
    if (duplicate) return duplicate;
    const last = e.batches[e.batches.length - 1];
    // An entry known only from a marker (no batch) expects sequence 0 at its epoch, as Kafka does.
    const lastSeq = last ? last.lastSeq : -1;
    if (!inSequence(lastSeq, a.firstSeq)) {
      throw new ProducerStateError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `Producer ${a.producerId} sent sequence ${a.firstSeq} after ${lastSeq} (epoch ${a.epoch})`);
    }
    return undefined;
  }

  /** Records an appended data batch; a transactional one opens its producer's transaction if none is. */
  update(producerId: bigint, epoch: number, batch: ProducerBatch, isTransactional = false, origin: ProducerAppendOrigin = 'client'): void {
    const e = this.entryAt(producerId, epoch, batch.lastSeenMs);
    // A coordinator's batches carry no sequence: nothing to remember for duplicates.
    if (origin !== 'coordinator') {
      e.batches.push(batch);
      if (e.batches.length > RETAINED_BATCHES) e.batches.shift();
    }
    e.lastSeenMs = batch.lastSeenMs;
    if (isTransactional && e.currentTxnFirstOffset < 0n) {
      e.currentTxnFirstOffset = batch.firstOffset;
      this.ongoing.set(producerId, batch.firstOffset);
      // The transaction has begun: the guard that let it start is spent.
      this.verifications.delete(producerId);
    }
  }

  /** The producer's entry at `epoch` (a newer epoch starts a fresh batch list). */
  private entryAt(producerId: bigint, epoch: number, nowMs: number): ProducerEntry {
    let e = this.producers.get(producerId);
    if (!e) {
      e = { epoch, batches: [], coordinatorEpoch: -1, currentTxnFirstOffset: NO_OFFSET, lastSeenMs: nowMs };
      this.producers.set(producerId, e);
    } else if (epoch > e.epoch) {
      e.epoch = epoch;
      e.batches = [];
    }
    return e;
  }

  /** Checks a transaction marker against the producer's entry; throws ProducerStateError when it is fenced. */
  checkMarker(m: MarkerAppend, origin: ProducerAppendOrigin): void {
    if (origin === 'replay') return;
    const e = this.producers.get(m.producerId);
    if (!e) return;
    if (m.epoch < e.epoch) throw new ProducerStateError(ErrorCode.INVALID_PRODUCER_EPOCH, `Transaction marker of producer ${m.producerId} at epoch ${m.epoch} is older than the current epoch ${e.epoch}`);
    if (m.coordinatorEpoch < e.coordinatorEpoch) {
      throw new ProducerStateError(ErrorCode.TRANSACTION_COORDINATOR_FENCED, `Transaction marker of producer ${m.producerId} has coordinator epoch ${m.coordinatorEpoch}, older than ${e.coordinatorEpoch}`);
    }
  }

  /**
   * Records a transaction marker at `offset` (checked already); returns the transaction it ended,
   * if the producer had one open here (a marker for a transaction without data here ends nothing).
   */
  appendMarker(m: MarkerAppend, offset: bigint, nowMs: number): CompletedTxn | undefined {
    const e = this.entryAt(m.producerId, m.epoch, nowMs);
    const first = e.currentTxnFirstOffset;
    e.currentTxnFirstOffset = NO_OFFSET;
    e.coordinatorEpoch = m.coordinatorEpoch;
    e.lastSeenMs = nowMs;
    this.verifications.delete(m.producerId);
    if (first < 0n) return undefined;
    this.ongoing.delete(m.producerId);
    const completed: CompletedTxn = { producerId: m.producerId, firstOffset: first, lastOffset: offset, isAborted: m.type === ControlRecordType.Abort };
    this.unreplicated.push(completed);
    return completed;
  }

  /**
   * Kafka's lastStableOffset(completedTxn): what the last stable offset is once `t` is complete,
   * the first offset of the oldest other open transaction, or the offset after its marker.
   */
  lastStableOffsetAfter(t: CompletedTxn): bigint {
    for (const [pid, first] of this.ongoing) if (pid !== t.producerId) return first;
    return t.lastOffset + 1n;
  }

  /** The high watermark moved to `hw`: completed transactions whose marker is below it are stable. */
  onHighWatermarkUpdated(hw: bigint): void {
    while (this.unreplicated.length > 0 && this.unreplicated[0]!.lastOffset < hw) this.unreplicated.shift();
  }

  /**
   * The first offset of the oldest transaction that is open, or completed with its marker not yet
   * below the high watermark (onHighWatermarkUpdated); undefined when there is none.
   */
  firstUnstableOffset(): bigint | undefined {
    let first: bigint | undefined;
    for (const first0 of this.ongoing.values()) {
      first = first0;
      break;
    }
    for (const t of this.unreplicated) if (first === undefined || t.firstOffset < first) first = t.firstOffset;
    return first;
  }

  /** Whether the producer has a transaction open here at `epoch`. */
  hasOngoingTransaction(producerId: bigint, epoch: number): boolean {
    const e = this.producers.get(producerId);
    return e !== undefined && e.currentTxnFirstOffset >= 0n && e.epoch === epoch;
  }

  /**
   * KIP-890: the guard a transactional batch of this producer must carry to start a transaction
   * here, taken before the partition layer asks the coordinator. It lasts until the transaction
   * starts, a marker for the producer is written, a newer epoch takes one, or (one whose
   * verification failed: a produce after its transaction ended, a batch outside any) it is
   * producer.id.expiration.ms old, as Kafka's VerificationStateEntry.
   */
  verificationGuard(producerId: bigint, epoch: number, nowMs: number): object {
    const v = this.verifications.get(producerId);
    if (v && v.epoch >= epoch) return v.guard;
    const guard = {};
    this.verifications.set(producerId, { guard, epoch, sinceMs: nowMs });
    return guard;
  }

  /** Every producer with its last batch and open transaction (DescribeProducers). */
  activeProducers(): ActiveProducer[] {
    return [...this.producers].map(([producerId, e]) => {
      const last = e.batches[e.batches.length - 1];
      return { producerId, epoch: e.epoch, lastSequence: last ? last.lastSeq : -1, lastTimestamp: e.lastSeenMs, coordinatorEpoch: e.coordinatorEpoch, currentTxnStartOffset: e.currentTxnFirstOffset };
    });
  }

  /** The state of the given producers and of the transactions, to put back with `restore` if an append is refused midway. */
  save(producerIds: Iterable<bigint>): Saved {
    const producers = new Map<bigint, ProducerEntry | undefined>();
    for (const id of producerIds) {
      const e = this.producers.get(id);
      producers.set(id, e && { ...e, batches: [...e.batches] });
    }
    return { producers, ongoing: new Map(this.ongoing), unreplicated: [...this.unreplicated] };
  }

  restore(saved: Saved): void {
    for (const [id, e] of saved.producers) {
      if (e) this.producers.set(id, e);
      else this.producers.delete(id);
    }
    this.ongoing = saved.ongoing;
    this.unreplicated = saved.unreplicated;
  }

  /** Forgets producers last heard of more than PRODUCER_ID_EXPIRATION_MS before `now`, unless their transaction is open, and verification guards that old. */
  removeExpired(now: number): void {
    const horizon = now - PRODUCER_ID_EXPIRATION_MS;
    for (const [id, e] of this.producers) {
      if (e.lastSeenMs < horizon && e.currentTxnFirstOffset < 0n) {
        this.producers.delete(id);
        this.verifications.delete(id);
      }
    }
    for (const [id, v] of this.verifications) if (v.sinceMs < horizon) this.verifications.delete(id);
  }

  /**
   * Forgets batches at or above `offset` (the log was truncated there), and transactions that
   * started there. A transaction whose marker was cut is not reopened: the log rebuilds its state
   * from a snapshot and its batches after a truncation (PartitionLog.truncateTo).
   */
  truncateFrom(offset: bigint): void {
    for (const [id, e] of this.producers) {
      e.batches = e.batches.filter((b) => b.lastOffset < offset);
      if (e.currentTxnFirstOffset >= offset) {
        e.currentTxnFirstOffset = NO_OFFSET;
        this.ongoing.delete(id);
      }
      if (e.batches.length === 0 && e.currentTxnFirstOffset < 0n) this.producers.delete(id);
    }
    this.unreplicated = this.unreplicated.filter((t) => t.lastOffset < offset);
  }

  /** Kafka's producer snapshot, version 1: each producer's last batch, coordinator epoch and open transaction, CRC-32C protected. */
  encodeSnapshot(): Buffer {
    const buf = Buffer.alloc(SNAPSHOT_HEADER_BYTES + this.producers.size * SNAPSHOT_ENTRY_BYTES);
    buf.writeInt16BE(SNAPSHOT_VERSION, 0);
    buf.writeInt32BE(this.producers.size, 6);
    let pos = SNAPSHOT_HEADER_BYTES;
    for (const [id, e] of this.producers) {
      const last = e.batches[e.batches.length - 1];
      pos = buf.writeBigInt64BE(id, pos);
      pos = buf.writeInt16BE(e.epoch, pos);
      pos = buf.writeInt32BE(last ? last.lastSeq : -1, pos);
      pos = buf.writeBigInt64BE(last ? last.lastOffset : NO_OFFSET, pos);
      pos = buf.writeInt32BE(last ? Number(last.lastOffset - last.firstOffset) : 0, pos);
      pos = buf.writeBigInt64BE(BigInt(e.lastSeenMs), pos);
      pos = buf.writeInt32BE(e.coordinatorEpoch, pos);
      pos = buf.writeBigInt64BE(e.currentTxnFirstOffset, pos);
    }
    buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
    return buf;
  }

  /** The state a snapshot holds; throws when the file is damaged or of another version. */
  static decodeSnapshot(buf: Buffer): ProducerState {
    if (buf.length < SNAPSHOT_HEADER_BYTES) throw new Error(`producer snapshot of ${buf.length} bytes is too short`);
    const version = buf.readInt16BE(0);
    if (version !== SNAPSHOT_VERSION) throw new Error(`producer snapshot version ${version} is not ${SNAPSHOT_VERSION}`);
    if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) throw new Error('producer snapshot CRC mismatch');
    const count = buf.readInt32BE(6);
    if (count < 0 || buf.length !== SNAPSHOT_HEADER_BYTES + count * SNAPSHOT_ENTRY_BYTES) throw new Error(`producer snapshot declares ${count} entries in ${buf.length} bytes`);
    const state = new ProducerState();
    const open: [bigint, bigint][] = [];
    for (let pos = SNAPSHOT_HEADER_BYTES; pos < buf.length; pos += SNAPSHOT_ENTRY_BYTES) {
      const id = buf.readBigInt64BE(pos);
      const epoch = buf.readInt16BE(pos + 8);
      const lastSeq = buf.readInt32BE(pos + 10);
      const lastOffset = buf.readBigInt64BE(pos + 14);
      const delta = buf.readInt32BE(pos + 22);
      const lastSeenMs = Number(buf.readBigInt64BE(pos + 26));
      const coordinatorEpoch = buf.readInt32BE(pos + 34);
      const currentTxnFirstOffset = buf.readBigInt64BE(pos + 38);
      const batches: ProducerBatch[] = [];
      if (lastSeq >= 0 && lastOffset >= 0n) batches.push({ firstSeq: (lastSeq - delta + MAX_SEQUENCE + 1) % (MAX_SEQUENCE + 1), lastSeq, firstOffset: lastOffset - BigInt(delta), lastOffset, lastSeenMs });
      state.producers.set(id, { epoch, batches, coordinatorEpoch, currentTxnFirstOffset: currentTxnFirstOffset < 0n ? NO_OFFSET : currentTxnFirstOffset, lastSeenMs });
      if (currentTxnFirstOffset >= 0n) open.push([id, currentTxnFirstOffset]);
    }
    open.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    state.ongoing = new Map(open);
    return state;
  }
}
