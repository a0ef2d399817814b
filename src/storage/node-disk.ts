/** The Disk on node:fs: callback APIs wrapped once (no FileHandle objects on the hot path). */
import * as fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { lockDirectory } from './directory-lock.js';
import type { DirEntry, DirectoryLock, Disk, DiskFile, DiskSpace, FileStat, OpenMode } from './disk.js';
import { StorageIoError, type StorageOp, isNotFound } from './storage-error.js';

const FLAGS: Record<OpenMode, number> = {
  read: fs.constants.O_RDONLY,
  readwrite: fs.constants.O_RDWR,
  create: fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL,
  overwrite: fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC,
  'open-or-create': fs.constants.O_RDWR | fs.constants.O_CREAT,
};

function call<T>(op: StorageOp, path: string, fn: (cb: (err: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, v) => (err ? reject(StorageIoError.from(op, path, err)) : resolve(v)));
  });
}

class NodeFile implements DiskFile {
  private closed = false;

  constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly maxWriteBytes: number,
    private readonly syncWriteMaxBytes: number,
    private readonly syncReadMaxBytes: number,
  ) {}

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (length <= this.syncReadMaxBytes) {
      try {
        return Promise.resolve(this.readNow(buffer, offset, length, position));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return call<number>('read', this.path, (cb) => fs.read(this.fd, buffer, offset, length, position, cb));
  }

  /**
   * A small read made on the calling thread, as small writes are (writeNow): a consumer at the
   * log end reads the few KiB just appended, from the page cache, in microseconds, and a held
   * fetch woken by an append answers without a round trip through libuv's threadpool (two
   * wake-ups, each of which can wait for a core under contention). A small read of data no longer
   * cached blocks the event loop for one device read, as Kafka's network threads do in sendfile.
   * Reads above `syncReadMaxBytes` go to the threadpool (`read`); callers of readNow check its size.
   */
  readNow(buffer: Buffer, offset: number, length: number, position: number): number {
    try {
      return fs.readSync(this.fd, buffer, offset, length, position);
    } catch (err) {
      throw StorageIoError.from('read', this.path, err as NodeJS.ErrnoException);
    }
  }

  get readNowMaxBytes(): number {
    return this.syncReadMaxBytes;
  }

  write(buffers: readonly Buffer[], position: number): Promise<void> {
    if (this.syncWriteMaxBytes > 0) {
      let total = 0;
      for (const b of buffers) total += b.length;
      if (total <= this.syncWriteMaxBytes) {
        try {
          this.writeNow(buffers, position);
        } catch (err) {
          return Promise.reject(err as Error);
        }
        return RESOLVED;
      }
    }
    return this.writeInPool(buffers, position);
  }

  get writeNowMaxBytes(): number {
    return this.syncWriteMaxBytes;
  }

  /**
   * A small write made on the calling thread: a pwrite of a few KiB into the page cache takes
   * microseconds, less than handing it to libuv's threadpool and being woken when it is done, and
   * under CPU contention each of those wakeups can wait for a core (docs/broker.md, Performance).
   * Callers check the size against `writeNowMaxBytes`.
   */
  writeNow(buffers: readonly Buffer[], position: number): void {
    let pending = buffers.length === 1 && buffers[0]!.length > 0 ? (buffers as Buffer[]) : buffers.filter((b) => b.length > 0);
    let pos = position;
    try {
      while (pending.length > 0) {
        const written = pending.length === 1 ? fs.writeSync(this.fd, pending[0]!, 0, pending[0]!.length, pos) : fs.writevSync(this.fd, pending, pos);
        if (written <= 0) throw new StorageIoError('write', this.path, 'EIO', 'no progress');
        pos += written;
        pending = skipBytes(pending, written);
      }
    } catch (err) {
      throw err instanceof StorageIoError ? err : StorageIoError.from('write', this.path, err as NodeJS.ErrnoException);
    }
  }

  private async writeInPool(buffers: readonly Buffer[], position: number): Promise<void> {
    let pending: Buffer[] = buffers as Buffer[];
    let pos = position;
    if (buffers.length === 1 && buffers[0]!.length <= this.maxWriteBytes) {
      // The common case, without the array work below.
      const b = buffers[0]!;
      const written = await call<number>('write', this.path, (cb) => fs.write(this.fd, b, 0, b.length, position, cb));
      if (written === b.length) return;
      pos += written;
      pending = [b.subarray(written)];
    }
    pending = pending.filter((b) => b.length > 0);
    // pwritev may write less than asked (signals, some file systems): continue where it stopped.
    while (pending.length > 0) {
      const chunk = takeBytes(pending, this.maxWriteBytes);
      const written =
        chunk.length === 1
          ? await call<number>('write', this.path, (cb) => fs.write(this.fd, chunk[0]!, 0, chunk[0]!.length, pos, cb))
          : await call<number>('write', this.path, (cb) => fs.writev(this.fd, chunk, pos, cb));
      if (written <= 0) throw new StorageIoError('write', this.path, 'EIO', 'no progress');
      pos += written;
      pending = skipBytes(pending, written);
    }
  }

  sync(): Promise<void> {
    return call<void>('sync', this.path, (cb) => fs.fdatasync(this.fd, (err) => cb(err, undefined)));
  }

  truncate(size: number): Promise<void> {
    return call<void>('truncate', this.path, (cb) => fs.ftruncate(this.fd, size, (err) => cb(err, undefined)));
  }

  async size(): Promise<number> {
    const st = await call<fs.Stats>('size', this.path, (cb) => fs.fstat(this.fd, cb));
    return st.size;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return call<void>('close', this.path, (cb) => fs.close(this.fd, (err) => cb(err, undefined)));
  }
}

/** The first buffers of `buffers` (the last one cut) holding at most `max` bytes, at least one byte. */
function takeBytes(buffers: Buffer[], max: number): Buffer[] {
  const out: Buffer[] = [];
  let n = 0;
  for (const b of buffers) {
    if (out.length === 1024) break;
    if (n + b.length <= max) {
      out.push(b);
      n += b.length;
    } else {
      if (n < max) out.push(b.subarray(0, max - n));
      break;
    }
  }
  return out;
}

/** The buffers that remain after the first `n` bytes. */
function skipBytes(buffers: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < buffers.length && n >= buffers[i]!.length) n -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (n > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}

export interface NodeDiskOptions {
  /**
   * The most bytes one write call passes to the kernel (default 1 MiB); larger writes are split.
   * On the VM the benchmarks ran on, one 15 MiB write took 30 ms and fifteen 1 MiB writes 5 to
   * 16 ms; elsewhere splitting costs one syscall per MiB, nothing measurable.
   */
  maxWriteBytes?: number;
  /**
   * Writes of at most this many bytes are made on the calling thread rather than in libuv's
   * threadpool (default 64 KiB; 0: never). See NodeFile.writeNow.
   */
  syncWriteMaxBytes?: number;
  /**
   * Reads of at most this many bytes are made on the calling thread rather than in libuv's
   * threadpool (default 64 KiB; 0: never). See NodeFile.readNow.
   */
  syncReadMaxBytes?: number;
}

const RESOLVED = Promise.resolve();

const toFileStat = (st: fs.Stats): FileStat => ({ size: st.size, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory(), isFile: st.isFile() });

export class NodeDisk implements Disk {
  private readonly maxWriteBytes: number;
  private readonly syncWriteMaxBytes: number;
  private readonly syncReadMaxBytes: number;

  constructor(options: NodeDiskOptions = {}) {
    this.maxWriteBytes = options.maxWriteBytes ?? 1024 * 1024;
    this.syncWriteMaxBytes = options.syncWriteMaxBytes ?? 64 * 1024;
    this.syncReadMaxBytes = options.syncReadMaxBytes ?? 64 * 1024;
  }

  async open(path: string, mode: OpenMode): Promise<DiskFile> {
    const fd = await call<number>('open', path, (cb) => fs.open(path, FLAGS[mode], 0o644, cb));
    return new NodeFile(path, fd, this.maxWriteBytes, this.syncWriteMaxBytes, this.syncReadMaxBytes);
  }

  /**
   * Up to the first directory that exists, then down creating each: not fs.mkdir's `recursive`,
   * which in Node 20 loops forever, a core busy, where mkdir answers ENOENT under a parent that
   * exists (a data directory under /proc); here that is the ENOENT.
   */
  async mkdir(path: string): Promise<void> {
    const missing: string[] = [];
    for (let dir = resolve(path); ; dir = dirname(dir)) {
      if (await this.mkdirOne(dir, path)) break;
      missing.push(dir);
      if (dirname(dir) === dir) break;
    }
    for (let i = missing.length - 1; i >= 0; i--) {
      if (!(await this.mkdirOne(missing[i]!, path))) throw new StorageIoError('mkdir', path, 'ENOENT', `${missing[i]} cannot be created`);
    }
  }

  /** Creates `dir` if missing: whether it is a directory now (false: its parent is missing). */
  private async mkdirOne(dir: string, asked: string): Promise<boolean> {
    try {
      await call<void>('mkdir', asked, (cb) => fs.mkdir(dir, (err) => cb(err, undefined)));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      if ((err as StorageIoError).errno === 'EEXIST' && (await this.stat(dir))?.isDirectory) return true;
      throw err;
    }
  }

  readdir(path: string): Promise<string[]> {
    return call<string[]>('readdir', path, (cb) => fs.readdir(path, cb));
  }

  async readdirEntries(path: string): Promise<DirEntry[]> {
    const dirents = await call<fs.Dirent[]>('readdir', path, (cb) => fs.readdir(path, { withFileTypes: true }, cb));
    // Node reports a type for every entry (it stats those the file system leaves untyped); a symbolic link is followed.
    // Only links wait for a stat: a data directory of 1,000 partitions is 1,000 entries, and as many promises otherwise.
    const entries: DirEntry[] = dirents.map((d) => ({ name: d.name, isDirectory: d.isDirectory() }));
    const links = entries.filter((_, i) => dirents[i]!.isSymbolicLink());
    await Promise.all(links.map(async (e) => (e.isDirectory = (await this.stat(join(path, e.name)))?.isDirectory === true)));
    return entries;
  }

  async stat(path: string): Promise<FileStat | undefined> {
    try {
      const st = await call<fs.Stats>('stat', path, (cb) => fs.stat(path, cb));
      return toFileStat(st);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Synchronous stats, one after another on this thread: a few microseconds each for inodes in the
   * cache, where handing each to the thread pool costs the main thread tens (1,000 stats: ~5 ms
   * against 20-60 ms at load 10). Only for start-up and close, when nothing else waits.
   */
  async statMany(paths: readonly string[]): Promise<(FileStat | undefined)[]> {
    return paths.map((path) => {
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(path, { throwIfNoEntry: false });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw StorageIoError.from('stat', path, err as NodeJS.ErrnoException);
      }
      return st && toFileStat(st);
    });
  }

  rename(from: string, to: string): Promise<void> {
    return call<void>('rename', from, (cb) => fs.rename(from, to, (err) => cb(err, undefined)));
  }

  unlink(path: string): Promise<void> {
    return call<void>('unlink', path, (cb) => fs.unlink(path, (err) => cb(err, undefined)));
  }

  removeDir(path: string): Promise<void> {
    return call<void>('removeDir', path, (cb) => fs.rm(path, { recursive: true, force: true }, (err) => cb(err, undefined)));
  }

  async syncDir(path: string): Promise<void> {
    const fd = await call<number>('syncDir', path, (cb) => fs.open(path, fs.constants.O_RDONLY, cb));
    try {
      await call<void>('syncDir', path, (cb) => fs.fsync(fd, (err) => cb(err, undefined)));
    } finally {
      await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
    }
  }

  async space(path: string): Promise<DiskSpace> {
    const s = await call<fs.BigIntStatsFs>('space', path, (cb) => fs.statfs(path, { bigint: true }, cb));
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  }

  lockDirectory(path: string): Promise<DirectoryLock> {
    return lockDirectory(path);
  }
}

/** The process-wide real disk. */
export const nodeDisk: Disk = new NodeDisk();
