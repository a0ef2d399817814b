/**
 * Kafka's TimeIndex: a sparse map from timestamp to offset. Entries are 12 bytes,
 * (timestamp int64, relativeOffset int32), added with the offset index entries when the largest
 * timestamp seen so far has grown, and once more when the segment is rolled, so the last entry
 * holds the segment's largest timestamp and the offset of the batch that carried it. An entry
 * (T, O) says no batch before O's has a timestamp of T or more.
 */
import { CorruptIndexError } from './log-errors.js';
import { TIME_INDEX_FILE_SUFFIX } from './file-names.js';
import { IndexFile, type IndexEnv, type IndexOwner } from './index-file.js';

export const TIME_INDEX_ENTRY_SIZE = 12;
export const NO_TIMESTAMP = -1n;

export interface TimestampOffset {
  timestamp: bigint;
  offset: bigint;
}

const timestampAt = (buf: Buffer, pos: number): bigint => buf.readBigInt64BE(pos);

export class TimeIndex extends IndexFile {
  /** The last entry, once known (always for the active segment). */
  private last: TimestampOffset | undefined;

  constructor(env: IndexEnv, owner: IndexOwner, baseOffset: bigint, maxIndexSize: number, fileBytes: number) {
    super(env, owner, TIME_INDEX_FILE_SUFFIX, baseOffset, maxIndexSize, fileBytes, TIME_INDEX_ENTRY_SIZE);
    if (fileBytes === 0) this.last = { timestamp: NO_TIMESTAMP, offset: baseOffset };
  }

  /** One slot stays free for the entry added when the segment is rolled (as in Kafka). */
  override isFull(): boolean {
    return this.entries >= this.maxEntries - 1;
  }

  /** The last entry known synchronously (undefined until loaded with lastEntry()). */
  get lastKnown(): TimestampOffset | undefined {
    return this.last;
  }

  /** The last entry as recorded elsewhere (the clean-shutdown summary), instead of reading it. */
  restoreLast(last: TimestampOffset): void {
    this.last = last;
  }

  /**
   * Adds (timestamp, offset) if the timestamp is larger than the last entry's. `final` ignores
   * the reserved slot: the entry added when the segment becomes inactive.
   */
  maybeAppend(timestamp: bigint, offset: bigint, final = false): void {
    const last = this.last;
    if (last === undefined) throw new CorruptIndexError(this.path, 'append before the last entry was loaded');
    if (timestamp <= last.timestamp) return;
    if (!final && this.isFull()) return;
    if (final && this.entries >= this.maxEntries) return;
    if (offset < last.offset) throw new CorruptIndexError(this.path, `entry for offset ${offset} after ${last.offset}`);
    const relative = Number(offset - this.baseOffset);
    this.appendEntry((buf, pos) => {
      buf.writeBigInt64BE(timestamp, pos);
      buf.writeInt32BE(relative, pos + 8);
    });
    this.last = { timestamp, offset };
  }

  /** The last entry with a timestamp at or below `timestamp`, or (-1, baseOffset). */
  async lookup(timestamp: bigint): Promise<TimestampOffset> {
    const e = await this.largestAtOrBelow(timestamp, timestampAt);
    if (!e) return { timestamp: NO_TIMESTAMP, offset: this.baseOffset };
    return { timestamp: e.buf.readBigInt64BE(e.pos), offset: this.baseOffset + BigInt(e.buf.readInt32BE(e.pos + 8)) };
  }

  /** The last entry, or (-1, baseOffset) for an empty index. */
  async lastEntry(): Promise<TimestampOffset> {
    const e = await this.lastEntryBytes();
    this.last = e ? { timestamp: e.buf.readBigInt64BE(e.pos), offset: this.baseOffset + BigInt(e.buf.readInt32BE(e.pos + 8)) } : { timestamp: NO_TIMESTAMP, offset: this.baseOffset };
    return this.last;
  }

  /** Removes the entries for offsets at or above `offset`. */
  async truncateTo(offset: bigint): Promise<void> {
    let keep = 0;
    await this.forEachEntry((buf, pos) => {
      if (this.baseOffset + BigInt(buf.readInt32BE(pos + 8)) < offset) keep++;
    });
    await this.truncateToEntries(keep);
    await this.lastEntry();
  }

  override async reset(): Promise<void> {
    await super.reset();
    this.last = { timestamp: NO_TIMESTAMP, offset: this.baseOffset };
  }

  /** Timestamps increasing, offsets never decreasing. */
  protected check(entries: Buffer, fileBytes: number, expectedBytes: number): void {
    if (fileBytes < expectedBytes || (fileBytes !== expectedBytes && fileBytes % TIME_INDEX_ENTRY_SIZE !== 0)) {
      throw new CorruptIndexError(this.path, `${fileBytes} bytes, expected ${expectedBytes}`);
    }
    let prevTs = -2n;
    let prevRel = -1;
    for (let p = 0; p < entries.length; p += TIME_INDEX_ENTRY_SIZE) {
      const ts = entries.readBigInt64BE(p);
      const rel = entries.readInt32BE(p + 8);
      if (ts <= prevTs || rel < prevRel || rel < 0) {
        throw new CorruptIndexError(this.path, `entry ${p / TIME_INDEX_ENTRY_SIZE} (${ts}, ${rel}) is out of order`);
      }
      prevTs = ts;
      prevRel = rel;
    }
  }
}
