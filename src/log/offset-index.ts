/**
 * Kafka's OffsetIndex: a sparse map from offset to the file position of the batch holding it.
 * Entries are 8 bytes, (relativeOffset int32, position int32), relative to the segment's base
 * offset, in increasing order of both. A lookup gives the last entry at or below the target;
 * the reader then scans forward from that position.
 */
import { CorruptIndexError } from './log-errors.js';
import { INDEX_FILE_SUFFIX } from './file-names.js';
import { IndexFile, type IndexEnv, type IndexOwner } from './index-file.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition {
  offset: bigint;
  position: number;
}

const relativeAt = (buf: Buffer, pos: number): number => buf.readInt32BE(pos);

export class OffsetIndex extends IndexFile {
  /** The last entry's offset, once known (always for the active segment). */
  private lastOffset: bigint | undefined;

  constructor(env: IndexEnv, owner: IndexOwner, baseOffset: bigint, maxIndexSize: number, fileBytes: number) {
    super(env, owner, INDEX_FILE_SUFFIX, baseOffset, maxIndexSize, fileBytes, OFFSET_INDEX_ENTRY_SIZE);
    if (fileBytes === 0) this.lastOffset = baseOffset - 1n;
  }

  /** The last entry's offset when known without reading the file (the active segment's). */
  get lastKnownOffset(): bigint | undefined {
    return this.lastOffset;
  }

  /** The last entry's offset as recorded elsewhere (the clean-shutdown summary), instead of reading it. */
  restoreLastOffset(offset: bigint): void {
    this.lastOffset = offset;
  }

  /** Adds an entry; offsets must increase (the segment appends batches in offset order). */
  append(offset: bigint, position: number): void {
    if (this.lastOffset !== undefined && offset <= this.lastOffset) {
      throw new CorruptIndexError(this.path, `entry for offset ${offset} after ${this.lastOffset}`);
    }
    const relative = Number(offset - this.baseOffset);
    this.appendEntry((buf, pos) => {
      buf.writeInt32BE(relative, pos);
      buf.writeInt32BE(position, pos + 4);
    });
    this.lastOffset = offset;
  }

  /** The last entry at or below `target`, or (baseOffset, 0) when there is none. */
  async lookup(target: bigint): Promise<OffsetPosition> {
    const rel = target - this.baseOffset;
    if (rel < 0n) return { offset: this.baseOffset, position: 0 };
    const relative = rel > 0x7fffffffn ? 0x7fffffff : Number(rel);
    const e = await this.largestAtOrBelow(relative, relativeAt);
    if (!e) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + BigInt(e.buf.readInt32BE(e.pos)), position: e.buf.readInt32BE(e.pos + 4) };
  }

  /** The last entry, or (baseOffset, 0) for an empty index. */
  async lastEntry(): Promise<OffsetPosition> {
    const e = await this.lastEntryBytes();
    if (!e) return { offset: this.baseOffset, position: 0 };
    const entry = { offset: this.baseOffset + BigInt(e.buf.readInt32BE(e.pos)), position: e.buf.readInt32BE(e.pos + 4) };
    this.lastOffset = entry.offset;
    return entry;
  }

  /** Removes the entries for `offset` and above. */
  async truncateTo(offset: bigint): Promise<void> {
    const rel = offset - this.baseOffset - 1n;
    const keep = rel < 0n ? undefined : await this.largestAtOrBelow(rel > 0x7fffffffn ? 0x7fffffff : Number(rel), relativeAt);
    await this.truncateToEntries(keep ? keep.slot + 1 : 0);
    this.lastOffset = undefined;
    await this.lastEntry();
  }

  override async reset(): Promise<void> {
    await super.reset();
    this.lastOffset = this.baseOffset - 1n;
  }

  /** Entries in strictly increasing order of offset and position, positions inside the log. */
  protected check(entries: Buffer, fileBytes: number, expectedBytes: number): void {
    if (fileBytes !== expectedBytes && fileBytes % OFFSET_INDEX_ENTRY_SIZE !== 0) {
      throw new CorruptIndexError(this.path, `size ${fileBytes} is not a multiple of ${OFFSET_INDEX_ENTRY_SIZE}`);
    }
    if (fileBytes < expectedBytes) throw new CorruptIndexError(this.path, `${fileBytes} bytes, expected ${expectedBytes}`);
    let prevRel = -1;
    let prevPos = -1;
    for (let p = 0; p < entries.length; p += OFFSET_INDEX_ENTRY_SIZE) {
      const rel = entries.readInt32BE(p);
      const position = entries.readInt32BE(p + 4);
      if (rel <= prevRel || position <= prevPos || position < 0 || position >= this.owner.writtenSize) {
        throw new CorruptIndexError(this.path, `entry ${p / OFFSET_INDEX_ENTRY_SIZE} (${rel}, ${position}) is out of order`);
      }
      prevRel = rel;
      prevPos = position;
    }
  }
}
