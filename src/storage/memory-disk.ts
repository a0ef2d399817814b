/**
 * A Disk in memory that remembers what an fsync made durable, so tests can pull the plug:
 * `powerLoss()` puts every file and directory back to its last synced state, keeping (when asked)
 * a random prefix of the unsynced tail of each file as a real disk's partial writeback would, and
 * makes every handle opened before it fail. `crash()` models kill -9 instead: the data stays
 * (the kernel has it) but old handles die. Deterministic given the injected random source.
 *
 * Model: a tree of directories whose entries name inodes. A directory's entries become durable
 * on syncDir (as on Linux, creating or renaming a file needs the parent fsynced to survive power
 * loss); a file's bytes and size become durable on sync.
 */
import { resolve } from 'node:path';
import { systemClock } from '../common/clock.js';
import { type Random, systemRandom } from '../common/random.js';
import type { DirEntry, DirectoryLock, Disk, DiskFile, DiskSpace, FileStat, OpenMode } from './disk.js';
import { DirectoryInUseError, StorageIoError, type StorageOp } from './storage-error.js';

interface FileNode {
  kind: 'file';
  data: Buffer;
  length: number;
  durable: Buffer;
  mtimeMs: number;
}

interface DirNode {
  kind: 'dir';
  entries: Map<string, Node>;
  durable: Map<string, Node>;
  mtimeMs: number;
}

type Node = FileNode | DirNode;

export interface PowerLossOptions {
  /** Keep a random prefix of each file's unsynced tail (default true), as partial writeback would. */
  keepPartialTails?: boolean;
}

function fail(op: StorageOp, path: string, errno: string): never {
  throw new StorageIoError(op, path, errno);
}

export class MemoryDisk implements Disk {
  private root: DirNode = { kind: 'dir', entries: new Map(), durable: new Map(), mtimeMs: 0 };
  /** Bumped by crash/powerLoss: handles from an older generation fail with EIO. */
  private generation = 0;
  /** The clock for modification times. */
  readonly now: () => number;

  constructor(
    private readonly random: Random = systemRandom,
    now: () => number = systemClock.now,
  ) {
    this.now = now;
  }

  private walk(path: string, op: StorageOp): { parent: DirNode | undefined; node: Node | undefined; name: string } {
    const parts = resolve(path).split('/').filter((p) => p.length > 0);
    let dir: DirNode = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = dir.entries.get(parts[i]!);
      if (!next) return { parent: undefined, node: undefined, name: parts[parts.length - 1]! };
      if (next.kind !== 'dir') fail(op, path, 'ENOTDIR');
      dir = next;
    }
    const name = parts[parts.length - 1];
    if (name === undefined) return { parent: undefined, node: this.root, name: '' };
    return { parent: dir, node: dir.entries.get(name), name };
  }

  private file(path: string, op: StorageOp): FileNode {
    const { node } = this.walk(path, op);
    if (!node) fail(op, path, 'ENOENT');
    if (node.kind !== 'file') fail(op, path, 'EISDIR');
    return node;
  }

  private dir(path: string, op: StorageOp): DirNode {
    const { node } = this.walk(path, op);
    if (!node) fail(op, path, 'ENOENT');
    if (node.kind !== 'dir') fail(op, path, 'ENOTDIR');
    return node;
  }

  async open(path: string, mode: OpenMode): Promise<DiskFile> {
    const { parent, node, name } = this.walk(path, 'open');
    if (!parent) fail('open', path, 'ENOENT');
    let file: FileNode;
    if (node) {
      if (mode === 'create') fail('open', path, 'EEXIST');
      if (node.kind !== 'file') fail('open', path, 'EISDIR');
      file = node;
      if (mode === 'overwrite') file.length = 0;
    } else {
      if (mode === 'read' || mode === 'readwrite') fail('open', path, 'ENOENT');
      file = { kind: 'file', data: Buffer.alloc(0), length: 0, durable: Buffer.alloc(0), mtimeMs: this.now() };
      parent.entries.set(name, file);
      parent.mtimeMs = this.now();
    }
    return new MemoryFile(this, resolve(path), file, mode !== 'read', this.generation);
  }

  /** @internal used by MemoryFile */
  checkGeneration(gen: number, op: StorageOp, path: string): void {
    if (gen !== this.generation) fail(op, path, 'EIO');
  }

  async mkdir(path: string): Promise<void> {
    const parts = resolve(path).split('/').filter((p) => p.length > 0);
    let dir = this.root;
    for (const part of parts) {
      let next = dir.entries.get(part);
      if (!next) {
        next = { kind: 'dir', entries: new Map(), durable: new Map(), mtimeMs: this.now() };
        dir.entries.set(part, next);
      }
      if (next.kind !== 'dir') fail('mkdir', path, 'ENOTDIR');
      dir = next;
    }
  }

  async readdir(path: string): Promise<string[]> {
    return [...this.dir(path, 'readdir').entries.keys()];
  }

  async readdirEntries(path: string): Promise<DirEntry[]> {
    return [...this.dir(path, 'readdir').entries].map(([name, node]) => ({ name, isDirectory: node.kind === 'dir' }));
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const { node } = this.walk(path, 'stat');
    if (!node) return undefined;
    return node.kind === 'file'
      ? { size: node.length, mtimeMs: node.mtimeMs, isDirectory: false, isFile: true }
      : { size: 4096, mtimeMs: node.mtimeMs, isDirectory: true, isFile: false };
  }

  async statMany(paths: readonly string[]): Promise<(FileStat | undefined)[]> {
    return Promise.all(paths.map((p) => this.stat(p)));
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.walk(from, 'rename');
    if (!src.parent || !src.node) fail('rename', from, 'ENOENT');
    const dst = this.walk(to, 'rename');
    if (!dst.parent) fail('rename', to, 'ENOENT');
    if (dst.node?.kind === 'dir' && dst.node.entries.size > 0) fail('rename', to, 'ENOTEMPTY');
    src.parent.entries.delete(src.name);
    dst.parent.entries.set(dst.name, src.node);
  }

  async unlink(path: string): Promise<void> {
    const { parent, node, name } = this.walk(path, 'unlink');
    if (!parent || !node) fail('unlink', path, 'ENOENT');
    if (node.kind === 'dir') fail('unlink', path, 'EISDIR');
    parent.entries.delete(name);
  }

  async removeDir(path: string): Promise<void> {
    const { parent, node, name } = this.walk(path, 'removeDir');
    if (!parent || !node) return;
    parent.entries.delete(name);
  }

  async syncDir(path: string): Promise<void> {
    const dir = this.dir(path, 'syncDir');
    dir.durable = new Map(dir.entries);
  }

  /** Memory has no fixed size: both unknown. */
  async space(path: string): Promise<DiskSpace> {
    this.dir(path, 'space');
    return { totalBytes: -1n, usableBytes: -1n };
  }

  /** The directories locked, each by its holder's token; a crash or power loss ends every holder (lockDirectory). */
  private readonly locks = new Map<string, object>();

  async lockDirectory(path: string): Promise<DirectoryLock> {
    const key = resolve(path);
    this.dir(key, 'stat');
    if (this.locks.has(key)) throw new DirectoryInUseError(key);
    const token = {};
    this.locks.set(key, token);
    return {
      release: async () => {
        if (this.locks.get(key) === token) this.locks.delete(key);
      },
    };
  }

  /** kill -9: the data the kernel holds stays, every open handle dies (and with its process, every lock). */
  crash(): void {
    this.locks.clear();
    this.generation++;
  }

  /** Power loss: back to the last synced state of every directory and file (see the class comment). */
  powerLoss(options: PowerLossOptions = {}): void {
    this.generation++;
    this.locks.clear();
    const seen = new Set<Node>();
    const restore = (dir: DirNode): void => {
      dir.entries = new Map(dir.durable);
      for (const child of dir.entries.values()) {
        if (seen.has(child)) continue;
        seen.add(child);
        if (child.kind === 'dir') restore(child);
        else this.restoreFile(child, options.keepPartialTails ?? true);
      }
    };
    restore(this.root);
  }

  private restoreFile(f: FileNode, keepPartialTails: boolean): void {
    const durableLength = f.durable.length;
    let length = durableLength;
    let data = Buffer.from(f.durable);
    if (keepPartialTails && f.length > durableLength) {
      // Part of what was never synced may still have reached the platter.
      const kept = Math.floor(this.random() * (f.length - durableLength + 1));
      data = Buffer.concat([data, f.data.subarray(durableLength, durableLength + kept)]);
      length += kept;
    }
    f.data = data;
    f.length = length;
    f.durable = Buffer.from(data.subarray(0, durableLength));
  }

  /** Test helper: the bytes a file holds now (not what would survive power loss). */
  contents(path: string): Buffer {
    const f = this.file(path, 'read');
    return Buffer.from(f.data.subarray(0, f.length));
  }
}

class MemoryFile implements DiskFile {
  private closed = false;

  constructor(
    private readonly disk: MemoryDisk,
    readonly path: string,
    private readonly node: FileNode,
    private readonly writable: boolean,
    private readonly generation: number,
  ) {}

  private check(op: StorageOp): void {
    if (this.closed) fail(op, this.path, 'EBADF');
    this.disk.checkGeneration(this.generation, op, this.path);
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.readNow(buffer, offset, length, position);
  }

  readonly readNowMaxBytes = Number.MAX_SAFE_INTEGER;

  readNow(buffer: Buffer, offset: number, length: number, position: number): number {
    this.check('read');
    const n = Math.max(0, Math.min(length, this.node.length - position));
    if (n > 0) this.node.data.copy(buffer, offset, position, position + n);
    return n;
  }

  async write(buffers: readonly Buffer[], position: number): Promise<void> {
    this.writeNow(buffers, position);
  }

  readonly writeNowMaxBytes = Number.MAX_SAFE_INTEGER;

  writeNow(buffers: readonly Buffer[], position: number): void {
    this.check('write');
    if (!this.writable) fail('write', this.path, 'EBADF');
    let pos = position;
    for (const b of buffers) {
      this.ensureCapacity(pos + b.length);
      if (pos > this.node.length) this.node.data.fill(0, this.node.length, pos);
      b.copy(this.node.data, pos);
      pos += b.length;
      this.node.length = Math.max(this.node.length, pos);
    }
    this.node.mtimeMs = this.disk.now();
  }

  private ensureCapacity(n: number): void {
    if (this.node.data.length >= n) return;
    const grown = Buffer.alloc(Math.max(n, this.node.data.length * 2, 4096));
    this.node.data.copy(grown, 0, 0, this.node.length);
    this.node.data = grown;
  }

  async sync(): Promise<void> {
    this.check('sync');
    this.node.durable = Buffer.from(this.node.data.subarray(0, this.node.length));
  }

  async truncate(size: number): Promise<void> {
    this.check('truncate');
    if (size > this.node.length) {
      this.ensureCapacity(size);
      this.node.data.fill(0, this.node.length, size);
    }
    this.node.length = size;
  }

  async size(): Promise<number> {
    this.check('size');
    return this.node.length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
