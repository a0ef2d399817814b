/**
 * Kafka's ProducerStateManager for one partition: for every idempotent producer id that wrote to
 * it, the producer's epoch and its last five batches (sequence range and offsets). An append
 * checks each batch against it:
 *
 * - a batch equal to one of the five (same epoch, same first and last sequence) is a retry the
 *   log already holds: it is answered with the offsets it got then and not written again;
 * - an older epoch is fenced (INVALID_PRODUCER_EPOCH); a newer epoch must start at sequence 0;
 * - otherwise the first sequence must follow the last one (OUT_OF_ORDER_SEQUENCE_NUMBER);
 * - a producer the partition does not know may start anywhere: its state may be gone with old
 *   segments (retention, DeleteRecords), as Kafka accepts.
 *
 * State is rebuilt at load from the newest snapshot file (`<offset>.snapshot`, Kafka's format:
 * the last batch of each producer) plus the batches after that offset. Snapshots are written at
 * each segment roll and at a clean close. Producers silent for producer.id.expiration.ms (Kafka's
 * default, one day) are forgotten at the next roll. Silence is measured by the broker's clock at
 * append, not by record timestamps (Kafka uses the batch's max timestamp, so a producer writing
 * old timestamps is forgotten at once there).
 */
import { crc32c } from '../protocol/primitives/crc32c.js';
import { ErrorCode } from '../protocol/error-codes.js';

/** Batches remembered per producer for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN; its clients keep at most 5 in flight). */
export const RETAINED_BATCHES = 5;
export const PRODUCER_ID_EXPIRATION_MS = 24 * 60 * 60 * 1000;
export const SNAPSHOT_FILE_SUFFIX = '.snapshot';
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_HEADER_BYTES = 2 + 4 + 4;
const SNAPSHOT_ENTRY_BYTES = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
const MAX_SEQUENCE = 0x7fffffff;

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

/** A batch's producer fields, as read from its header. */
export interface ProducerAppend {
  producerId: bigint;
  epoch: number;
  firstSeq: number;
  lastSeq: number;
}

const inSequence = (lastSeq: number, nextSeq: number) => nextSeq === lastSeq + 1 || (lastSeq === MAX_SEQUENCE && nextSeq === 0);

/** The last sequence of a batch of `count` records starting at `firstSeq` (sequences wrap at int32). */
export const lastSequenceOf = (firstSeq: number, count: number): number => (firstSeq + count - 1) % (MAX_SEQUENCE + 1);

export class ProducerState {
  private readonly producers = new Map<bigint, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  /**
   * Checks one batch: returns the batch it repeats (a retry already in the log), or undefined when
   * it may be appended; throws ProducerStateError when it must be refused.
   */
  check(a: ProducerAppend): ProducerBatch | undefined {
    const e = this.producers.get(a.producerId);
    if (!e) return undefined;
    if (a.epoch < e.epoch) throw new ProducerStateError(ErrorCode.INVALID_PRODUCER_EPOCH, `Producer ${a.producerId}'s epoch ${a.epoch} is older than the current epoch ${e.epoch}`);
    if (a.epoch > e.epoch) {
      if (a.firstSeq !== 0) throw new ProducerStateError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `Producer ${a.producerId}'s new epoch ${a.epoch} starts at sequence ${a.firstSeq}, not 0`);
      return undefined;
    }
    const duplicate = e.batches.find((b) => b.firstSeq === a.firstSeq && b.lastSeq === a.lastSeq);
    if (duplicate) return duplicate;
    const last = e.batches[e.batches.length - 1];
    if (last && !inSequence(last.lastSeq, a.firstSeq)) {
      throw new ProducerStateError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `Producer ${a.producerId} sent sequence ${a.firstSeq} after ${last.lastSeq} (epoch ${a.epoch})`);
    }
    return undefined;
  }

  /** Records an appended batch. */
  update(producerId: bigint, epoch: number, batch: ProducerBatch): void {
    let e = this.producers.get(producerId);
    if (!e || epoch > e.epoch) {
      e = { epoch, batches: [] };
      this.producers.set(producerId, e);
    }
    e.batches.push(batch);
    if (e.batches.length > RETAINED_BATCHES) e.batches.shift();
  }

  /** The entries of the given producers, to put back with `restore` if an append is refused midway. */
  save(producerIds: Iterable<bigint>): Map<bigint, ProducerEntry | undefined> {
    const saved = new Map<bigint, ProducerEntry | undefined>();
    for (const id of producerIds) {
      const e = this.producers.get(id);
      saved.set(id, e && { epoch: e.epoch, batches: [...e.batches] });
    }
    return saved;
  }

  restore(saved: Map<bigint, ProducerEntry | undefined>): void {
    for (const [id, e] of saved) {
      if (e) this.producers.set(id, e);
      else this.producers.delete(id);
    }
  }

  /** Forgets producers last heard of more than PRODUCER_ID_EXPIRATION_MS before `now`. */
  removeExpired(now: number): void {
    const horizon = now - PRODUCER_ID_EXPIRATION_MS;
    for (const [id, e] of this.producers) if (e.batches[e.batches.length - 1]!.lastSeenMs < horizon) this.producers.delete(id);
  }

  /** Forgets batches at or above `offset` (the log was truncated there). */
  truncateFrom(offset: bigint): void {
    for (const [id, e] of this.producers) {
      e.batches = e.batches.filter((b) => b.lastOffset < offset);
      if (e.batches.length === 0) this.producers.delete(id);
    }
  }

  /** Kafka's producer snapshot, version 1: each producer's last batch, CRC-32C protected. */
  encodeSnapshot(): Buffer {
    const buf = Buffer.alloc(SNAPSHOT_HEADER_BYTES + this.producers.size * SNAPSHOT_ENTRY_BYTES);
    buf.writeInt16BE(SNAPSHOT_VERSION, 0);
    buf.writeInt32BE(this.producers.size, 6);
    let pos = SNAPSHOT_HEADER_BYTES;
    for (const [id, e] of this.producers) {
      const last = e.batches[e.batches.length - 1]!;
      pos = buf.writeBigInt64BE(id, pos);
      pos = buf.writeInt16BE(e.epoch, pos);
      pos = buf.writeInt32BE(last.lastSeq, pos);
      pos = buf.writeBigInt64BE(last.lastOffset, pos);
      pos = buf.writeInt32BE(Number(last.lastOffset - last.firstOffset), pos);
      pos = buf.writeBigInt64BE(BigInt(last.lastSeenMs), pos);
      pos = buf.writeInt32BE(-1, pos); // coordinator epoch: no transactions yet
      pos = buf.writeBigInt64BE(-1n, pos); // first offset of an ongoing transaction: none
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
    for (let pos = SNAPSHOT_HEADER_BYTES; pos < buf.length; pos += SNAPSHOT_ENTRY_BYTES) {
      const id = buf.readBigInt64BE(pos);
      const epoch = buf.readInt16BE(pos + 8);
      const lastSeq = buf.readInt32BE(pos + 10);
      const lastOffset = buf.readBigInt64BE(pos + 14);
      const delta = buf.readInt32BE(pos + 22);
      const lastSeenMs = Number(buf.readBigInt64BE(pos + 26));
      state.update(id, epoch, { firstSeq: (lastSeq - delta + MAX_SEQUENCE + 1) % (MAX_SEQUENCE + 1), lastSeq, firstOffset: lastOffset - BigInt(delta), lastOffset, lastSeenMs });
    }
    return state;
  }
}
