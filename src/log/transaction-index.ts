/**
 * Kafka's TransactionIndex: a segment's `.txnindex`, the aborted transactions whose ABORT marker
 * is in that segment, in marker order. Each entry is Kafka's AbortedTxn, 34 bytes, big-endian:
 *
 *   version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64
 *
 * firstOffset is the transaction's first batch, lastOffset its ABORT marker, and lastStableOffset
 * the log's last stable offset once the marker was written (the first offset of the oldest other
 * transaction still open then, or the marker's offset + 1). A read_committed fetch collects the
 * entries overlapping what it returns (FetchResponse abortedTransactions); an entry whose
 * lastStableOffset reaches past the fetched range means no later entry can overlap it.
 *
 * The file is written like the other indexes (index-file.ts): entries live in a tail in memory
 * until the segment is flushed (roll, close), and the file part is read only when needed. After a
 * crash, the indexes of the segments recovery scans are rebuilt from their batches (the loader).
 * A log that never saw an aborted transaction has no `.txnindex` files.
 */
import { TXN_INDEX_FILE_SUFFIX } from './file-names.js';
import { type IndexEnv, IndexFile, type IndexOwner } from './index-file.js';
import { CorruptIndexError } from './log-errors.js';

export const ABORTED_TXN_ENTRY_SIZE = 34;
const VERSION = 0;
/** Bound on one `.txnindex` read back into memory (about 2 million aborted transactions). */
const MAX_TXN_INDEX_BYTES = 64 * 1024 * 1024;

/** Kafka's AbortedTxn. */
export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

/** What `collect` found: the overlapping entries, and whether later segments can hold no more. */
export interface AbortedTxnCollection {
  aborted: AbortedTxn[];
  /** An entry's lastStableOffset reached the upper bound: later entries cannot overlap the range. */
  complete: boolean;
}

export class TransactionIndex extends IndexFile {
  constructor(env: IndexEnv, owner: IndexOwner, baseOffset: bigint, fileBytes: number) {
    super(env, owner, TXN_INDEX_FILE_SUFFIX, baseOffset, MAX_TXN_INDEX_BYTES, fileBytes, ABORTED_TXN_ENTRY_SIZE);
  }

  append(t: AbortedTxn): void {
    this.appendEntry((buf, pos) => {
      buf.writeInt16BE(VERSION, pos);
      buf.writeBigInt64BE(t.producerId, pos + 2);
      buf.writeBigInt64BE(t.firstOffset, pos + 10);
      buf.writeBigInt64BE(t.lastOffset, pos + 18);
      buf.writeBigInt64BE(t.lastStableOffset, pos + 26);
    });
  }

  /** Every entry, in marker order. */
  async all(): Promise<AbortedTxn[]> {
    const out: AbortedTxn[] = [];
    await this.forEachEntry((buf, pos) => out.push(readEntry(buf, pos)));
    return out;
  }

  /**
   * Kafka's collectAbortedTxns: the entries of transactions overlapping [fetchOffset, upperBound)
   * (their marker at or after fetchOffset, their first batch before upperBound).
   */
  async collect(fetchOffset: bigint, upperBound: bigint): Promise<AbortedTxnCollection> {
    const aborted: AbortedTxn[] = [];
    let complete = false;
    await this.forEachEntry((buf, pos) => {
      if (complete) return;
      const t = readEntry(buf, pos);
      if (t.lastOffset >= fetchOffset && t.firstOffset < upperBound) aborted.push(t);
      if (t.lastStableOffset >= upperBound) complete = true;
    });
    return { aborted, complete };
  }

  /** Removes the entries whose marker is at or after `offset` (the log is cut there). */
  async truncateTo(offset: bigint): Promise<void> {
    let keep = 0;
    await this.forEachEntry((buf, pos) => {
      if (readEntry(buf, pos).lastOffset < offset) keep++;
    });
    await this.truncateToEntries(keep);
  }

  protected check(entries: Buffer, fileBytes: number, expectedBytes: number): void {
    if (fileBytes !== expectedBytes) throw new CorruptIndexError(this.path, `transaction index of ${fileBytes} bytes, expected ${expectedBytes}`);
    let previous = -1n;
    for (let pos = 0; pos < entries.length; pos += ABORTED_TXN_ENTRY_SIZE) {
      const version = entries.readInt16BE(pos);
      if (version !== VERSION) throw new CorruptIndexError(this.path, `aborted transaction entry version ${version} at ${pos}`);
      const t = readEntry(entries, pos);
      if (t.lastOffset < this.baseOffset || t.lastOffset < previous || t.firstOffset > t.lastOffset) {
        throw new CorruptIndexError(this.path, `aborted transaction ${t.firstOffset}..${t.lastOffset} out of order at ${pos}`);
      }
      previous = t.lastOffset;
    }
  }
}

function readEntry(buf: Buffer, pos: number): AbortedTxn {
  return {
    producerId: buf.readBigInt64BE(pos + 2),
    firstOffset: buf.readBigInt64BE(pos + 10),
    lastOffset: buf.readBigInt64BE(pos + 18),
    lastStableOffset: buf.readBigInt64BE(pos + 26),
  };
}
