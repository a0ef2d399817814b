/**
 * A node's disk in the simulator: a MemoryDisk that outlives the node's incarnations (it is the
 * node's persistent storage, with power-loss semantics), seen by each incarnation through a
 * SimDisk. Every operation may take simulated time (so other events interleave with a node's
 * writes, and a crash can fall between a write and its fsync), and once the incarnation is
 * `kill`ed every operation it still has under way, or starts, fails: a dead process writes nothing.
 */
import type { DirEntry, DirectoryLock, Disk, DiskFile, DiskSpace, FileStat, OpenMode } from '../storage/disk.js';
import { StorageIoError } from '../storage/storage-error.js';
import type { SimWorld } from './sim-world.js';

export interface SimDiskOptions {
  /** The most simulated milliseconds one operation takes (uniform from 0); 0 makes them immediate. */
  readonly maxLatencyMs: number;
}

export class SimDisk implements Disk {
  private dead = false;

  constructor(
    private readonly world: SimWorld,
    private readonly inner: Disk,
    private readonly options: SimDiskOptions,
  ) {}

  kill(): void {
    this.dead = true;
  }

  /** @internal Runs one operation after its latency, unless the incarnation died meanwhile. */
  async op<T>(path: string, fn: () => Promise<T>): Promise<T> {
    if (this.dead) throw new StorageIoError('open', path, 'EIO', 'the node is down');
    if (this.options.maxLatencyMs > 0) await this.world.sleep(this.world.random.next() * this.options.maxLatencyMs);
    if (this.dead) throw new StorageIoError('open', path, 'EIO', 'the node is down');
    return fn();
  }

  async open(path: string, mode: OpenMode): Promise<DiskFile> {
    const f = await this.op(path, () => this.inner.open(path, mode));
    return new SimFile(this, f);
  }

  mkdir(path: string): Promise<void> {
    return this.op(path, () => this.inner.mkdir(path));
  }

  readdir(path: string): Promise<string[]> {
    return this.op(path, () => this.inner.readdir(path));
  }

  readdirEntries(path: string): Promise<DirEntry[]> {
    return this.op(path, () => this.inner.readdirEntries(path));
  }

  stat(path: string): Promise<FileStat | undefined> {
    return this.op(path, () => this.inner.stat(path));
  }

  statMany(paths: readonly string[]): Promise<(FileStat | undefined)[]> {
    return this.op(paths[0] ?? '', () => this.inner.statMany(paths));
  }

  rename(from: string, to: string): Promise<void> {
    return this.op(from, () => this.inner.rename(from, to));
  }

  unlink(path: string): Promise<void> {
    return this.op(path, () => this.inner.unlink(path));
  }

  removeDir(path: string): Promise<void> {
    return this.op(path, () => this.inner.removeDir(path));
  }

  syncDir(path: string): Promise<void> {
    return this.op(path, () => this.inner.syncDir(path));
  }

  space(path: string): Promise<DiskSpace> {
    return this.op(path, () => this.inner.space(path));
  }

  lockDirectory(path: string): Promise<DirectoryLock> {
    return this.op(path, () => this.inner.lockDirectory(path));
  }
}

class SimFile implements DiskFile {
  constructor(
    private readonly disk: SimDisk,
    private readonly inner: DiskFile,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.disk.op(this.path, () => this.inner.read(buffer, offset, length, position));
  }

  write(buffers: readonly Buffer[], position: number): Promise<void> {
    return this.disk.op(this.path, () => this.inner.write(buffers, position));
  }

  sync(): Promise<void> {
    return this.disk.op(this.path, () => this.inner.sync());
  }

  truncate(size: number): Promise<void> {
    return this.disk.op(this.path, () => this.inner.truncate(size));
  }

  size(): Promise<number> {
    return this.disk.op(this.path, () => this.inner.size());
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
