/** The Disk contract, checked against the real disk and the in-memory one alike. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Disk } from '../../src/storage/disk.js';
import { readWholeFile, writeFileAtomically } from '../../src/storage/disk-files.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { NodeDisk } from '../../src/storage/node-disk.js';
import { StorageIoError, isNotFound } from '../../src/storage/storage-error.js';

const disks: { name: string; make: () => Promise<{ disk: Disk; root: string; done: () => Promise<void> }> }[] = [
  {
    name: 'NodeDisk (writes and reads up to 64 KiB on the calling thread)',
    make: async () => {
      const root = await mkdtemp(join(tmpdir(), 'samsa-disk-'));
      return { disk: new NodeDisk(), root, done: () => rm(root, { recursive: true, force: true }) };
    },
  },
  {
    name: 'NodeDisk (every write and read in the threadpool)',
    make: async () => {
      const root = await mkdtemp(join(tmpdir(), 'samsa-disk-'));
      return { disk: new NodeDisk({ syncWriteMaxBytes: 0, syncReadMaxBytes: 0 }), root, done: () => rm(root, { recursive: true, force: true }) };
    },
  },
  { name: 'MemoryDisk', make: async () => ({ disk: new MemoryDisk(), root: '/data', done: async () => {} }) },
];

for (const { name, make } of disks) {
  describe(`Disk contract: ${name}`, () => {
    it('positional writes and reads, sizes, truncation', async () => {
      const { disk, root, done } = await make();
      try {
        await disk.mkdir(join(root, 'a/b'));
        const f = await disk.open(join(root, 'a/b/f'), 'create');
        await f.write([Buffer.from('hello '), Buffer.from('world')], 0);
        await f.write([Buffer.from('W')], 6);
        assert.equal(await f.size(), 11);
        const buf = Buffer.alloc(20);
        assert.equal(await f.read(buf, 0, 20, 0), 11);
        assert.equal(buf.subarray(0, 11).toString(), 'hello World');
        assert.equal(await f.read(buf, 0, 5, 100), 0, 'reading past the end gives 0 bytes');
        await f.truncate(5);
        await f.sync();
        assert.equal(await f.size(), 5);
        await f.close();
        assert.equal((await readWholeFile(disk, join(root, 'a/b/f')))!.toString(), 'hello');
      } finally {
        await done();
      }
    });

    it('open modes: create refuses an existing file, readwrite a missing one, overwrite empties', async () => {
      const { disk, root, done } = await make();
      try {
        await disk.mkdir(root);
        const p = join(root, 'x');
        await (await disk.open(p, 'create')).close();
        await assert.rejects(disk.open(p, 'create'), (e: unknown) => e instanceof StorageIoError && e.errno === 'EEXIST' && e.code === 'SAMSA_STORAGE_IO');
        await assert.rejects(disk.open(join(root, 'missing'), 'readwrite'), (e: unknown) => isNotFound(e));
        const w = await disk.open(p, 'open-or-create');
        await w.write([Buffer.from('abc')], 0);
        await w.close();
        const keep = await disk.open(p, 'open-or-create');
        assert.equal(await keep.size(), 3);
        await keep.close();
        const o = await disk.open(p, 'overwrite');
        assert.equal(await o.size(), 0);
        await o.close();
      } finally {
        await done();
      }
    });

    it('directories: readdir, stat, rename, unlink, removeDir, atomic file replace', async () => {
      const { disk, root, done } = await make();
      try {
        await disk.mkdir(join(root, 'd'));
        await writeFileAtomically(disk, join(root, 'd/cp'), Buffer.from('one'));
        await writeFileAtomically(disk, join(root, 'd/cp'), Buffer.from('two'));
        assert.deepEqual(await disk.readdir(join(root, 'd')), ['cp']);
        assert.equal((await readWholeFile(disk, join(root, 'd/cp')))!.toString(), 'two');
        const st = await disk.stat(join(root, 'd/cp'));
        assert.equal(st?.isFile, true);
        assert.equal(st?.size, 3);
        assert.equal((await disk.stat(join(root, 'd')))?.isDirectory, true);
        assert.equal(await disk.stat(join(root, 'nope')), undefined);
        await disk.rename(join(root, 'd'), join(root, 'e'));
        assert.equal(await disk.stat(join(root, 'd')), undefined);
        await disk.unlink(join(root, 'e/cp'));
        assert.deepEqual(await disk.readdir(join(root, 'e')), []);
        await disk.syncDir(join(root, 'e'));
        await disk.removeDir(join(root, 'e'));
        await disk.removeDir(join(root, 'e'));
        assert.equal(await disk.stat(join(root, 'e')), undefined);
        assert.equal(await readWholeFile(disk, join(root, 'gone')), undefined);
      } finally {
        await done();
      }
    });

    it('readdirEntries: every name once, with whether it is a directory', async () => {
      const { disk, root, done } = await make();
      try {
        await disk.mkdir(join(root, 'p/sub'));
        await writeFileAtomically(disk, join(root, 'p/file'), Buffer.from('x'));
        const entries = await disk.readdirEntries(join(root, 'p'));
        assert.deepEqual(entries.sort((a, b) => a.name.localeCompare(b.name)), [
          { name: 'file', isDirectory: false },
          { name: 'sub', isDirectory: true },
        ]);
        await assert.rejects(disk.readdirEntries(join(root, 'none')), isNotFound);
      } finally {
        await done();
      }
    });

    it('readWholeFile: files below, at and above the first read, and the size limit', async () => {
      const { disk, root, done } = await make();
      try {
        await disk.mkdir(root);
        for (const size of [0, 1, 15, 16, 17, 40, 9000]) {
          const bytes = Buffer.from(Array.from({ length: size }, (_, i) => i % 251));
          await writeFileAtomically(disk, join(root, `f${size}`), bytes);
          assert.deepEqual(await readWholeFile(disk, join(root, `f${size}`), 1 << 20, 16), bytes, `${size} bytes, a first read of 16`);
          assert.deepEqual(await readWholeFile(disk, join(root, `f${size}`)), bytes, `${size} bytes, the default first read`);
        }
        await assert.rejects(readWholeFile(disk, join(root, 'f40'), 39, 16), (err: unknown) => err instanceof StorageIoError && err.errno === 'EFBIG');
        await assert.rejects(readWholeFile(disk, join(root, 'f17'), 16, 16), (err: unknown) => err instanceof StorageIoError && err.errno === 'EFBIG');
        assert.equal((await readWholeFile(disk, join(root, 'f16'), 16, 16))!.length, 16, 'a file of exactly the limit is read');
      } finally {
        await done();
      }
    });
  });
}

describe('NodeDisk readdirEntries', () => {
  it('follows symbolic links: one to a directory is a directory, a dangling one is not', async () => {
    const root = await mkdtemp(join(tmpdir(), 'samsa-disk-'));
    try {
      await mkdir(join(root, 'real'));
      await mkdir(join(root, 'list'));
      await symlink(join(root, 'real'), join(root, 'list/to-dir'));
      await symlink(join(root, 'missing'), join(root, 'list/dangling'));
      await writeFile(join(root, 'list/file'), 'x');
      const entries = await new NodeDisk().readdirEntries(join(root, 'list'));
      assert.deepEqual(Object.fromEntries(entries.map((e) => [e.name, e.isDirectory])), { 'to-dir': true, dangling: false, file: false });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('NodeDisk mkdir', () => {
  it('creates missing parents, accepts an existing directory, refuses a file; under /proc, where mkdir answers ENOENT beneath a parent that exists, fails instead of looping', { skip: process.platform !== 'linux' }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'samsa-disk-'));
    const disk = new NodeDisk();
    try {
      await disk.mkdir(join(root, 'a/b/c'));
      await Promise.all([disk.mkdir(join(root, 'a/b/c')), disk.mkdir(join(root, 'a/x/y')), disk.mkdir(join(root, 'a/x/y'))]);
      assert.equal((await disk.stat(join(root, 'a/x/y')))?.isDirectory, true);
      await writeFile(join(root, 'file'), 'x');
      await assert.rejects(disk.mkdir(join(root, 'file')), (e: unknown) => e instanceof StorageIoError && e.errno === 'EEXIST');
      await assert.rejects(disk.mkdir(join(root, 'file/sub')), (e: unknown) => e instanceof StorageIoError && e.errno === 'ENOTDIR');
      // Node 20's recursive fs.mkdir spins here forever; bounded, so a loop fails the test rather than hanging it.
      const outcome = await Promise.race([disk.mkdir('/proc/samsa-test/sub').then(() => 'created', (e: unknown) => e), new Promise((r) => setTimeout(() => r('still looping after 5 s'), 5000).unref())]);
      assert.ok(outcome instanceof StorageIoError && outcome.errno === 'ENOENT', String(outcome));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('NodeDisk write splitting', () => {
  it('splits writes larger than maxWriteBytes into several calls, writing the same bytes', async () => {
    const root = await mkdtemp(join(tmpdir(), 'samsa-disk-'));
    try {
      const disk = new NodeDisk({ maxWriteBytes: 7, syncWriteMaxBytes: 0 });
      const f = await disk.open(join(root, 'f'), 'create');
      const parts = [Buffer.from('abc'), Buffer.from('defghijklmnop'), Buffer.from(''), Buffer.from('qrstuvwxyz0123456789')];
      await f.write(parts, 5);
      await f.write([Buffer.from('ABCDEFGHIJKLMNOPQRSTU')], 100);
      await f.close();
      const bytes = (await readWholeFile(disk, join(root, 'f')))!;
      assert.equal(bytes.subarray(5, 41).toString(), 'abcdefghijklmnopqrstuvwxyz0123456789');
      assert.equal(bytes.subarray(100).toString(), 'ABCDEFGHIJKLMNOPQRSTU');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('NodeDisk writes on the calling thread', () => {
  it('writes small buffers at once, larger ones in the threadpool, the same bytes either way, and reports errors as StorageIoError', async () => {
    const root = await mkdtemp(join(tmpdir(), 'samsa-disk-'));
    try {
      const disk = new NodeDisk({ syncWriteMaxBytes: 16 });
      const f = await disk.open(join(root, 'f'), 'create');
      await f.write([Buffer.from('0123456789'), Buffer.alloc(0), Buffer.from('abcdef')], 0);
      await f.write([Buffer.from('x'.repeat(40))], 16);
      await f.close();
      const bytes = (await readWholeFile(disk, join(root, 'f')))!;
      assert.equal(bytes.toString(), '0123456789abcdef' + 'x'.repeat(40));
      const ro = await disk.open(join(root, 'f'), 'read');
      await assert.rejects(ro.write([Buffer.from('no')], 0), (err: unknown) => err instanceof StorageIoError && err.op === 'write');
      await ro.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('NodeDisk reads on the calling thread', () => {
  it('reads small ranges before read() returns, larger ones in the threadpool, the same bytes either way, and reports errors as StorageIoError', async () => {
    const root = await mkdtemp(join(tmpdir(), 'samsa-disk-'));
    try {
      const disk = new NodeDisk({ syncReadMaxBytes: 16 });
      const f = await disk.open(join(root, 'f'), 'create');
      await f.write([Buffer.from('0123456789abcdef'), Buffer.from('x'.repeat(40))], 0);
      const small = Buffer.alloc(16);
      const reading = f.read(small, 0, 16, 0);
      // Already in the buffer: nothing waited for the threadpool.
      assert.equal(small.toString(), '0123456789abcdef');
      assert.equal(await reading, 16);
      const large = Buffer.alloc(40);
      // (A larger read goes to the threadpool, which may fill the buffer at any moment: only its result is checked.)
      assert.equal(await f.read(large, 0, 40, 16), 40);
      assert.equal(large.toString(), 'x'.repeat(40));
      assert.equal(await f.read(small, 0, 10, 50), 6, 'a read at the end gets what is there');
      assert.equal(small.subarray(0, 6).toString(), 'xxxxxx');
      await f.close();
      await assert.rejects(f.read(small, 0, 4, 0), (err: unknown) => err instanceof StorageIoError && err.op === 'read');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
