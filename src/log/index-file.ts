/**
 * What OffsetIndex and TimeIndex share (Kafka's AbstractIndex): a file of fixed-size entries in
 * key order, searched by binary search for the largest entry at or below a target.
 *
 * Kafka memory-maps a preallocated file. Node has no mmap, so an index here is two parts: the
 * entries already in the file, read into memory only when a lookup needs them and dropped by the
 * shared LruBudget when memory runs short (they are clean), and a tail of newer entries that
 * lives in memory until `persist` writes it (at flush, roll and close). The tail is what makes
 * appends synchronous; everything after the recovery point is rebuilt after a crash, so the tail
 * only needs to be on disk (and synced) once its segment is below the recovery point.
 */
import { dirname } from 'node:path';
import type { Disk } from '../storage/disk.js';
import { readFully, readWholeFile } from '../storage/disk-files.js';
import { isNotFound } from '../storage/storage-error.js';
import type { LruBudget } from './lru-budget.js';

/** What an index needs from its segment: where its file is now, and how long the log is. */
export interface IndexOwner {
  /** The index file's path for `kind` (".index", ".timeindex"), following the segment's renames. */
  indexPath(kind: string): string;
  /** The log's written size (an entry pointing at or past it is stale). */
  readonly writtenSize: number;
}

/** One resolved promise shared by every index and log as the start of their I/O chains. */
export const RESOLVED: Promise<void> = Promise.resolve();

export interface IndexEnv {
  disk: Disk;
  /** The budget for persisted entries held in memory, shared by every index of the node. */
  memory: LruBudget<IndexFile>;
}

const EMPTY = Buffer.alloc(0);

/** An entry found by a search: its bytes at `buf[pos..]` and its number in the index. */
export interface IndexSlot {
  buf: Buffer;
  pos: number;
  slot: number;
}

export abstract class IndexFile {
  /** Entries in the file. */
  protected persisted: number;
  /** The file's entries when in memory. */
  private loaded: Buffer | null = null;
  private loading: Promise<Buffer> | null = null;
  /** Entries not yet in the file, in order after them. */
  private tail: Buffer = EMPTY;
  private tailCount = 0;
  /** Serializes persist and truncate, which both move the boundary between file and tail. */
  private io: Promise<void> = RESOLVED;
  /** Whether the file's name is known to be durable (else a synced persist also syncs the directory). */
  private nameDurable: boolean;
  /** Changes to the entries so far (appends and truncations). */
  private changes = 0;
  /** `changes` when the file last held every entry durably; -1 while not known to (see isDurable). */
  private durableAt = -1;

  constructor(
    protected readonly env: IndexEnv,
    protected readonly owner: IndexOwner,
    /** ".index" or ".timeindex" */
    private readonly kind: string,
    readonly baseOffset: bigint,
    readonly maxIndexSize: number,
    /** The file's size when opened (0 for a new index). */
    fileBytes: number,
    readonly entrySize: number,
  ) {
    this.persisted = Math.floor(fileBytes / entrySize);
    this.nameDurable = fileBytes > 0;
  }

  /** Computed, not stored: 100,000 idle partitions would otherwise hold 200,000 path strings. */
  get path(): string {
    return this.owner.indexPath(this.kind);
  }

  get entries(): number {
    return this.persisted + this.tailCount;
  }

  get maxEntries(): number {
    return Math.floor(this.maxIndexSize / this.entrySize);
  }

  get sizeInBytes(): number {
    return this.entries * this.entrySize;
  }

  /** Entries not yet written to the file. */
  get unpersistedEntries(): number {
    return this.tailCount;
  }

  /**
   * Whether the file is known to hold every entry durably: nothing changed since a synced persist,
   * or since `markDurable`. A new or rebuilt index is not, until synced.
   */
  get isDurable(): boolean {
    return this.durableAt === this.changes;
  }

  /** The file is as durable as a clean close left it (a log opened from the clean-shutdown summary, before any change). */
  markDurable(): void {
    if (this.tailCount === 0) this.durableAt = this.changes;
  }

  isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  /** Appends an entry to the in-memory tail; `write` fills `entrySize` bytes at `pos`. */
  protected appendEntry(write: (buf: Buffer, pos: number) => void): void {
    const needed = (this.tailCount + 1) * this.entrySize;
    if (needed > this.tail.length) {
      const grown = Buffer.alloc(Math.max(needed, Math.min(this.tail.length * 2, this.maxIndexSize), 8 * this.entrySize));
      this.tail.copy(grown, 0, 0, this.tailCount * this.entrySize);
      this.tail = grown;
    }
    write(this.tail, this.tailCount * this.entrySize);
    this.tailCount++;
    this.changes++;
  }

  /**
   * The entry with the largest key at or below `target`, as (buffer, position) read synchronously
   * by the caller, or undefined when every key is above it. `keyAt` reads an entry's key.
   */
  protected async largestAtOrBelow<K extends number | bigint>(target: K, keyAt: (buf: Buffer, pos: number) => K): Promise<IndexSlot | undefined> {
    const size = this.entrySize;
    if (this.tailCount > 0 && keyAt(this.tail, 0) <= target) {
      const i = searchSlot(this.tail, this.tailCount, size, target, keyAt);
      return { buf: this.tail, pos: i * size, slot: this.persisted + i };
    }
    if (this.persisted === 0) return undefined;
    const file = await this.load();
    const i = searchSlot(file, this.persisted, size, target, keyAt);
    return i < 0 ? undefined : { buf: file, pos: i * size, slot: i };
  }

  /** The last entry as (buffer, position), reading only it from the file when not loaded. */
  protected async lastEntryBytes(): Promise<{ buf: Buffer; pos: number } | undefined> {
    if (this.tailCount > 0) return { buf: this.tail, pos: (this.tailCount - 1) * this.entrySize };
    if (this.persisted === 0) return undefined;
    if (this.loaded) return { buf: this.loaded, pos: (this.persisted - 1) * this.entrySize };
    const file = await this.env.disk.open(this.path, 'read');
    try {
      const buf = await readFully(file, (this.persisted - 1) * this.entrySize, this.entrySize);
      if (buf.length < this.entrySize) return undefined;
      return { buf, pos: 0 };
    } finally {
      await file.close();
    }
  }

  /** Visits every entry in order (loads the file part). */
  protected async forEachEntry(visit: (buf: Buffer, pos: number) => void): Promise<void> {
    if (this.persisted > 0) {
      const file = await this.load();
      for (let i = 0; i < this.persisted; i++) visit(file, i * this.entrySize);
    }
    for (let i = 0; i < this.tailCount; i++) visit(this.tail, i * this.entrySize);
  }

  /** The file's entries in memory, read and checked on first use. */
  private async load(): Promise<Buffer> {
    if (this.loaded) {
      this.env.memory.touch(this, this.loaded.length);
      return this.loaded;
    }
    if (!this.loading) {
      this.loading = this.readAndCheck().finally(() => (this.loading = null));
    }
    return this.loading;
  }

  private async readAndCheck(): Promise<Buffer> {
    const expected = this.persisted * this.entrySize;
    const data = (await readWholeFile(this.env.disk, this.path, Math.max(expected, this.maxIndexSize) + this.entrySize, expected)) ?? EMPTY;
    this.check(data.subarray(0, expected), data.length, expected);
    const buf = data.length === expected ? data : data.subarray(0, expected);
    this.loaded = buf;
    this.env.memory.touch(this, buf.length);
    return buf;
  }

  /** Loads the file's entries and checks them (CorruptIndexError when they are wrong). */
  async verify(): Promise<void> {
    if (this.persisted > 0) await this.load();
  }

  /** Throws CorruptIndexError when the file does not hold `expected` bytes of well-ordered entries. */
  protected abstract check(entries: Buffer, fileBytes: number, expectedBytes: number): void;

  /** Drops the in-memory copy of the file's entries (called by the LruBudget). */
  unload(): boolean {
    this.loaded = null;
    return true;
  }

  /** Writes the tail to the file, fsyncing it when `sync`. */
  persist(sync: boolean): Promise<void> {
    const run = this.io.then(() => this.persistNow(sync));
    this.io = run.catch(() => {});
    return run;
  }

  private async persistNow(sync: boolean): Promise<void> {
    const count = this.tailCount;
    // Entries appended while this persist runs stay in the tail, and count as changes after it.
    const changes = this.changes;
    if (count === 0 && !sync) return;
    const bytes = count * this.entrySize;
    const file = await this.env.disk.open(this.path, 'open-or-create');
    try {
      if (count > 0) await file.write([this.tail.subarray(0, bytes)], this.persisted * this.entrySize);
      if (sync) await file.sync();
    } finally {
      await file.close();
    }
    if (sync && !this.nameDurable) {
      await this.env.disk.syncDir(dirname(this.path));
      this.nameDurable = true;
    }
    if (this.loaded) {
      this.loaded = Buffer.concat([this.loaded, this.tail.subarray(0, bytes)]);
      this.env.memory.touch(this, this.loaded.length);
    }
    // Entries appended while the write was in flight stay in the tail.
    const rest = (this.tailCount - count) * this.entrySize;
    this.tail = rest === 0 ? EMPTY : Buffer.from(this.tail.subarray(bytes, bytes + rest));
    this.tailCount -= count;
    this.persisted += count;
    if (sync) this.durableAt = changes;
  }

  /** Keeps the first `n` entries, in memory and in the file. */
  truncateToEntries(n: number): Promise<void> {
    const run = this.io.then(() => this.truncateNow(n));
    this.io = run.catch(() => {});
    return run;
  }

  private async truncateNow(n: number): Promise<void> {
    if (n >= this.entries) return;
    this.changes++;
    if (n >= this.persisted) {
      this.tailCount = n - this.persisted;
      return;
    }
    this.tail = EMPTY;
    this.tailCount = 0;
    try {
      const file = await this.env.disk.open(this.path, 'readwrite');
      try {
        await file.truncate(n * this.entrySize);
      } finally {
        await file.close();
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.persisted = n;
    if (this.loaded) this.loaded = Buffer.from(this.loaded.subarray(0, n * this.entrySize));
  }

  /** Forgets every entry and empties the file (before a rebuild). */
  async reset(): Promise<void> {
    await this.truncateToEntries(0);
    this.env.memory.remove(this);
    this.loaded = null;
  }

  /** Releases memory when the segment goes away. */
  release(): void {
    this.env.memory.remove(this);
    this.loaded = null;
    this.tail = EMPTY;
    this.tailCount = 0;
  }
}

/** Binary search: the last slot whose key is <= target, or -1. */
function searchSlot<K extends number | bigint>(buf: Buffer, count: number, size: number, target: K, keyAt: (buf: Buffer, pos: number) => K): number {
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (keyAt(buf, mid * size) <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
