/**
 * Open segment files, at most `maxOpen` at a time (KIP-less Samsa answer to 100,000 partitions on
 * one node: Kafka keeps every segment's files open and needs a huge fd limit). A file is opened on
 * first use and closed when it has been the least recently used for too long; a caller pins it for
 * the duration of one I/O call, and a pinned file is never closed under it. While every open file
 * is pinned the cache overshoots its bound by the number of I/O calls in flight, never blocks.
 */
import type { Disk, DiskFile } from '../storage/disk.js';

/** Whoever a cached file belongs to (a LogSegment); `filePath` may change as the file is renamed. */
export interface FileOwner {
  readonly filePath: string;
}

interface Entry {
  file: Promise<DiskFile>;
  /** The file once open, so a use of an open file costs no extra await. */
  ready: DiskFile | undefined;
  pins: number;
  /** Close as soon as the last pin is released (the owner was forgotten while in use). */
  doomed: boolean;
}

export class FileHandleCache {
  private readonly entries = new Map<FileOwner, Entry>();
  private opened = 0;
  private closed = 0;

  constructor(
    private readonly disk: Disk,
    private maxOpen: number,
    private readonly onCloseError: (err: unknown, path: string) => void = () => {},
  ) {
    if (!Number.isInteger(maxOpen) || maxOpen < 1) throw new RangeError(`maxOpenFiles must be a positive integer, not ${maxOpen}`);
  }

  /** Files open now (including ones being opened). */
  get openCount(): number {
    return this.entries.size;
  }

  /** Opens and closes since creation, for tests and metrics. */
  get stats(): { opened: number; closed: number } {
    return { opened: this.opened, closed: this.closed };
  }

  /** Runs `fn` with the owner's file open and pinned. */
  async use<T>(owner: FileOwner, fn: (file: DiskFile) => Promise<T>): Promise<T> {
    const entry = this.pin(owner);
    try {
      return await fn(entry.ready ?? (await entry.file));
    } finally {
      this.unpin(owner, entry);
    }
  }

  /**
   * Runs `fn` now with the owner's file when it is open already (pinned meanwhile, and moved to
   * the most recently used end, as `use` does); undefined, without calling `fn`, when it is not.
   */
  useNow<T>(owner: FileOwner, fn: (file: DiskFile) => T): T | undefined {
    const entry = this.entries.get(owner);
    if (!entry?.ready) return undefined;
    this.pin(owner);
    try {
      return fn(entry.ready);
    } finally {
      this.unpin(owner, entry);
    }
  }

  /** Hands the cache a file the owner just created, so the next use does not reopen it. */
  adopt(owner: FileOwner, file: DiskFile): void {
    const old = this.entries.get(owner);
    if (old) this.closeEntry(owner, old);
    this.entries.set(owner, { file: Promise.resolve(file), ready: file, pins: 0, doomed: false });
    this.opened++;
    this.trim();
  }

  /** Closes the owner's file now, or when its last pin goes (the segment was deleted or renamed). */
  async forget(owner: FileOwner): Promise<void> {
    const entry = this.entries.get(owner);
    if (!entry) return;
    this.entries.delete(owner);
    if (entry.pins > 0) entry.doomed = true;
    else await this.closeFile(owner, entry);
  }

  /** Closes every unpinned file (on close of the log manager). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((owner) => this.forget(owner)));
  }

  private pin(owner: FileOwner): Entry {
    let entry = this.entries.get(owner);
    if (entry) {
      // Move to the most recently used end.
      this.entries.delete(owner);
    } else {
      const file = this.disk.open(owner.filePath, 'readwrite');
      const created: Entry = { file, ready: undefined, pins: 0, doomed: false };
      entry = created;
      this.opened++;
      file.then(
        (f) => (created.ready = f),
        // A failed open must not stay cached: the next use retries.
        () => {
          if (this.entries.get(owner) === created) this.entries.delete(owner);
        },
      );
    }
    this.entries.set(owner, entry);
    entry.pins++;
    this.trim();
    return entry;
  }

  private unpin(owner: FileOwner, entry: Entry): void {
    entry.pins--;
    if (entry.pins > 0) return;
    if (entry.doomed) void this.closeFile(owner, entry);
    else if (this.entries.size > this.maxOpen) this.trim();
  }

  private trim(): void {
    if (this.entries.size <= this.maxOpen) return;
    for (const [owner, entry] of this.entries) {
      if (this.entries.size <= this.maxOpen) return;
      if (entry.pins === 0) this.closeEntry(owner, entry);
    }
  }

  private closeEntry(owner: FileOwner, entry: Entry): void {
    this.entries.delete(owner);
    void this.closeFile(owner, entry);
  }

  private async closeFile(owner: FileOwner, entry: Entry): Promise<void> {
    this.closed++;
    try {
      await (await entry.file).close();
    } catch (err) {
      this.onCloseError(err, owner.filePath);
    }
  }
}
