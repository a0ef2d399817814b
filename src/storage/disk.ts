/**
 * The storage interfaces (DESIGN.md principle 4): everything in src/log reads and writes files
 * only through a Disk, so tests and the simulator can substitute an in-memory disk that models
 * power loss (MemoryDisk) or one that injects faults (FaultyDisk). NodeDisk is the real one.
 *
 * Writes are positional (pwrite): a log appends by writing at the end it tracks itself, which
 * keeps a torn or failed write from moving any file pointer and lets tests cut writes exactly.
 * Every failure is a StorageIoError.
 */

/**
 * - `read`: an existing file, read only.
 * - `readwrite`: an existing file, read and write.
 * - `create`: a new file (EEXIST if present), read and write.
 * - `overwrite`: created if missing, emptied if present, read and write (temporary files).
 * - `open-or-create`: created if missing, kept if present, read and write (index files).
 */
export type OpenMode = 'read' | 'readwrite' | 'create' | 'overwrite' | 'open-or-create';

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
  isFile: boolean;
}

/** An open file. Not named `File` to avoid shadowing the global File class of Node 20. */
export interface DiskFile {
  readonly path: string;
  /** Reads up to `length` bytes at `position` into `buffer[offset..]`; fewer at the end of the file. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /**
   * The same read made now, on the calling thread, where the implementation can (a small read on
   * a NodeDisk, any read in memory), for reads of at most `readNowMaxBytes`: the bytes read. Both
   * optional: without them every read goes through `read`. The fetch path's small reads at the
   * log end use it to answer without a promise per layer.
   */
  readonly readNowMaxBytes?: number;
  readNow?(buffer: Buffer, offset: number, length: number, position: number): number;
  /**
   * Writes all of `buffers` back to back from `position` (one pwritev where possible). The
   * buffers are the caller's again once the promise settles (the broker reuses produce request
   * buffers): an implementation must not keep them.
   */
  write(buffers: readonly Buffer[], position: number): Promise<void>;
  /**
   * The same write made now, on the calling thread, for writes of at most `writeNowMaxBytes` (a
   * small write on a NodeDisk, any write in memory); throws what `write` would reject with. Both
   * optional: without them every write goes through `write`. The log's writer uses it for a
   * produce request's few KB, without a promise per layer.
   */
  readonly writeNowMaxBytes?: number;
  writeNow?(buffers: readonly Buffer[], position: number): void;
  /** Makes the data and size durable (fdatasync). */
  sync(): Promise<void>;
  truncate(size: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface Disk {
  open(path: string, mode: OpenMode): Promise<DiskFile>;
  /** Creates the directory and its missing parents; nothing if it exists. */
  mkdir(path: string): Promise<void>;
  /** Names in the directory, unsorted. */
  readdir(path: string): Promise<string[]>;
  /**
   * The directory's entries with whether each is a directory (following symbolic links), unsorted:
   * one listing where the file system reports entry types, instead of a listing and a stat per name.
   */
  readdirEntries(path: string): Promise<DirEntry[]>;
  /** undefined when nothing is at `path`. */
  stat(path: string): Promise<FileStat | undefined>;
  /**
   * `stat` of each path, in order. For start-up checks of many small facts: an implementation
   * may answer them without a round trip each (NodeDisk stats on the calling thread, where a
   * thread-pool round trip per path costs the main thread more than the stat itself).
   */
  statMany(paths: readonly string[]): Promise<(FileStat | undefined)[]>;
  /** Atomically replaces `to` (file or empty directory) with `from`. */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Removes a directory and everything under it; nothing if it does not exist. */
  removeDir(path: string): Promise<void>;
  /** Makes the directory's entries (created, renamed, removed names) durable. */
  syncDir(path: string): Promise<void>;
  /** The size and free space of the file system holding `path` (-1 where unknown). */
  space(path: string): Promise<DiskSpace>;
  /**
   * Exclusive use of the existing directory `path` until released, or until the process holding
   * it ends (a crash included): rejects with DirectoryInUseError while another holder has it
   * (directory-lock.ts). A broker takes it on each of its directories before touching them.
   */
  lockDirectory(path: string): Promise<DirectoryLock>;
}

/** Held until released; releasing twice is harmless. */
export interface DirectoryLock {
  release(): Promise<void>;
}

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

export interface DiskSpace {
  totalBytes: bigint;
  usableBytes: bigint;
}
