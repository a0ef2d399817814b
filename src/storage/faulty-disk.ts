/**
 * A Disk that fails on command, wrapping another (usually MemoryDisk or NodeDisk): the next
 * write, fsync, open... on matching paths fails with the given errno, a write can be torn (part
 * of it lands, then EIO), and a space budget makes writes fail with ENOSPC once spent, after
 * writing what still fits, as a full disk does.
 */
import type { DirEntry, DirectoryLock, Disk, DiskFile, DiskSpace, FileStat, OpenMode } from './disk.js';
import { StorageIoError, type StorageOp } from './storage-error.js';

export interface FaultRule {
  op: StorageOp;
  /** Only paths this matches (default: every path). */
  path?: RegExp;
  /** How many matching calls fail (default 1); Infinity for all of them from now on. */
  times?: number;
  /** The error name thrown (default EIO). */
  errno?: string;
  /** For writes: this many bytes of the write land before it fails (a torn write). */
  tornBytes?: number;
}

interface ActiveRule extends FaultRule {
  remaining: number;
}

export class FaultyDisk implements Disk {
  private rules: ActiveRule[] = [];
  /** Bytes writes may still add; null for no limit. */
  private freeBytes: number | null = null;
  /** Calls that failed because of a rule or the space budget, for assertions. */
  readonly injected: { op: StorageOp; path: string; errno: string }[] = [];
  /** Calls made per operation (counted before any fault), e.g. how many fsyncs group commit saved. */
  readonly calls = new Map<StorageOp, number>();

  constructor(readonly inner: Disk) {}

  /** Adds a fault; the earliest added matching rule applies first. */
  failNext(rule: FaultRule): this {
    this.rules.push({ ...rule, remaining: rule.times ?? 1 });
    return this;
  }

  /** Limits the bytes all future writes may add (counted per byte written); null removes the limit. */
  setFreeSpace(bytes: number | null): this {
    this.freeBytes = bytes;
    return this;
  }

  /** How many calls of `op` were made so far. */
  count(op: StorageOp): number {
    return this.calls.get(op) ?? 0;
  }

  clearFaults(): this {
    this.rules = [];
    this.freeBytes = null;
    return this;
  }

  /** @internal Throws if a rule matches this call; returns the rule for torn writes. */
  check(op: StorageOp, path: string): ActiveRule | undefined {
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
    const rule = this.rules.find((r) => r.op === op && r.remaining > 0 && (r.path === undefined || r.path.test(path)));
    if (!rule) return undefined;
    rule.remaining--;
    if (op === 'write' && rule.tornBytes !== undefined) return rule;
    this.throwInjected(op, path, rule.errno ?? 'EIO');
  }

  /** @internal */
  throwInjected(op: StorageOp, path: string, errno: string): never {
    this.injected.push({ op, path, errno });
    throw new StorageIoError(op, path, errno, 'injected fault');
  }

  /** @internal How many of `wanted` bytes fit in the space budget (and spends them). */
  takeSpace(wanted: number): number {
    if (this.freeBytes === null) return wanted;
    const granted = Math.min(wanted, this.freeBytes);
    this.freeBytes -= granted;
    return granted;
  }

  async open(path: string, mode: OpenMode): Promise<DiskFile> {
    this.check('open', path);
    return new FaultyFile(this, await this.inner.open(path, mode));
  }

  async mkdir(path: string): Promise<void> {
    this.check('mkdir', path);
    return this.inner.mkdir(path);
  }

  async readdir(path: string): Promise<string[]> {
    this.check('readdir', path);
    return this.inner.readdir(path);
  }

  async readdirEntries(path: string): Promise<DirEntry[]> {
    this.check('readdir', path);
    return this.inner.readdirEntries(path);
  }

  async stat(path: string): Promise<FileStat | undefined> {
    this.check('stat', path);
    return this.inner.stat(path);
  }

  async statMany(paths: readonly string[]): Promise<(FileStat | undefined)[]> {
    for (const path of paths) this.check('stat', path);
    return this.inner.statMany(paths);
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', from);
    return this.inner.rename(from, to);
  }

  async unlink(path: string): Promise<void> {
    this.check('unlink', path);
    return this.inner.unlink(path);
  }

  async removeDir(path: string): Promise<void> {
    this.check('removeDir', path);
    return this.inner.removeDir(path);
  }

  async syncDir(path: string): Promise<void> {
    this.check('syncDir', path);
    return this.inner.syncDir(path);
  }

  async space(path: string): Promise<DiskSpace> {
    this.check('space', path);
    return this.inner.space(path);
  }

  lockDirectory(path: string): Promise<DirectoryLock> {
    return this.inner.lockDirectory(path);
  }
}

class FaultyFile implements DiskFile {
  constructor(
    private readonly disk: FaultyDisk,
    private readonly inner: DiskFile,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.disk.check('read', this.path);
    return this.inner.read(buffer, offset, length, position);
  }

  /** The inner file's synchronous reads, with the same faults as `read` (none, 0, when the inner file has none). */
  get readNowMaxBytes(): number {
    return this.inner.readNow ? (this.inner.readNowMaxBytes ?? 0) : 0;
  }

  readNow(buffer: Buffer, offset: number, length: number, position: number): number {
    this.disk.check('read', this.path);
    return this.inner.readNow!(buffer, offset, length, position);
  }

  /** The inner file's synchronous writes, with the same faults as `write` (none, 0, when the inner file has none). */
  get writeNowMaxBytes(): number {
    return this.inner.writeNow ? (this.inner.writeNowMaxBytes ?? 0) : 0;
  }

  writeNow(buffers: readonly Buffer[], position: number): void {
    const w = this.faultedWrite(buffers);
    if (w.reaching) this.inner.writeNow!(w.reaching, position);
    w.throwInjected();
  }

  async write(buffers: readonly Buffer[], position: number): Promise<void> {
    const w = this.faultedWrite(buffers);
    if (w.reaching) await this.inner.write(w.reaching, position);
    w.throwInjected();
  }

  /**
   * A write under the injected faults: what of it reaches the inner file (all, a torn or
   * space-limited prefix, or nothing), and the fault to throw once that is written.
   */
  private faultedWrite(buffers: readonly Buffer[]): { reaching: readonly Buffer[] | undefined; throwInjected: () => void } {
    const torn = this.disk.check('write', this.path);
    const total = buffers.reduce((n, b) => n + b.length, 0);
    const limit = Math.min(torn?.tornBytes ?? total, total);
    const granted = this.disk.takeSpace(limit);
    const reaching = granted === total ? buffers : granted > 0 ? [Buffer.concat(buffers as Buffer[]).subarray(0, granted)] : undefined;
    return {
      reaching,
      throwInjected: () => {
        if (granted < limit) this.disk.throwInjected('write', this.path, 'ENOSPC');
        if (torn) this.disk.throwInjected('write', this.path, torn.errno ?? 'EIO');
      },
    };
  }

  async sync(): Promise<void> {
    this.disk.check('sync', this.path);
    return this.inner.sync();
  }

  async truncate(size: number): Promise<void> {
    this.disk.check('truncate', this.path);
    return this.inner.truncate(size);
  }

  async size(): Promise<number> {
    this.disk.check('size', this.path);
    return this.inner.size();
  }

  async close(): Promise<void> {
    this.disk.check('close', this.path);
    return this.inner.close();
  }
}
