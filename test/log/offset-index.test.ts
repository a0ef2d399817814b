import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IndexEnv, IndexFile } from '../../src/log/index-file.js';
import { LruBudget } from '../../src/log/lru-budget.js';
import { OffsetIndex } from '../../src/log/offset-index.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { readWholeFile } from '../../src/storage/disk-files.js';

const owner = (path: string, writtenSize: number) => ({ indexPath: () => path, writtenSize });

async function env(budget = 1 << 20): Promise<IndexEnv & { disk: MemoryDisk }> {
  const disk = new MemoryDisk();
  await disk.mkdir('/p');
  return { disk, memory: new LruBudget<IndexFile>(budget, (i) => i.unload()) };
}

describe('OffsetIndex', () => {
  it('looks up the last entry at or below a target, from the tail and from the file', async () => {
    const e = await env();
    const idx = new OffsetIndex(e, owner('/p/0.index', 1 << 30), 100n, 1024, 0);
    assert.deepEqual(await idx.lookup(150n), { offset: 100n, position: 0 }, 'empty index: base offset, position 0');
    idx.append(110n, 1000);
    idx.append(120n, 2000);
    await idx.persist(true);
    idx.append(130n, 3000);
    assert.equal(idx.unpersistedEntries, 1);
    assert.deepEqual(await idx.lookup(99n), { offset: 100n, position: 0 });
    assert.deepEqual(await idx.lookup(110n), { offset: 110n, position: 1000 });
    assert.deepEqual(await idx.lookup(125n), { offset: 120n, position: 2000 });
    assert.deepEqual(await idx.lookup(10_000n), { offset: 130n, position: 3000 });
    const file = (await readWholeFile(e.disk, '/p/0.index'))!;
    assert.equal(file.length, 16, 'two 8-byte entries on disk');
    assert.equal(file.readInt32BE(0), 10, 'relative offset');
    assert.equal(file.readInt32BE(4), 1000, 'position');
  });

  it('reopens from its file, loads lazily and is dropped by the memory budget', async () => {
    const e = await env(8);
    const a = new OffsetIndex(e, owner('/p/0.index', 1 << 30), 0n, 1024, 0);
    for (let i = 1; i <= 4; i++) a.append(BigInt(i * 10), i * 100);
    await a.persist(true);
    const b = new OffsetIndex(e, owner('/p/0.index', 1 << 30), 0n, 1024, 32);
    assert.equal(b.entries, 4);
    assert.deepEqual(await b.lookup(35n), { offset: 30n, position: 300 });
    assert.ok(e.memory.used <= 8 || e.memory.size <= 1, 'budget of 8 bytes cannot hold the 32-byte index for long');
    assert.deepEqual(await b.lastEntry(), { offset: 40n, position: 400 });
  });

  it('refuses entries out of order and reports damaged files as CorruptIndexError', async () => {
    const e = await env();
    const idx = new OffsetIndex(e, owner('/p/0.index', 1 << 30), 0n, 1024, 0);
    idx.append(5n, 10);
    assert.throws(() => idx.append(5n, 20), { code: 'SAMSA_CORRUPT_INDEX' });
    const f = await e.disk.open('/p/bad.index', 'create');
    const bytes = Buffer.alloc(16);
    bytes.writeInt32BE(9, 0);
    bytes.writeInt32BE(100, 4);
    bytes.writeInt32BE(3, 8); // goes backwards
    bytes.writeInt32BE(200, 12);
    await f.write([bytes], 0);
    const bad = new OffsetIndex(e, owner('/p/bad.index', 1 << 30), 0n, 1024, 16);
    await assert.rejects(bad.lookup(100n), { code: 'SAMSA_CORRUPT_INDEX' });
    const pastEnd = new OffsetIndex(e, owner('/p/bad.index', 50), 0n, 1024, 8);
    await assert.rejects(pastEnd.verify(), { code: 'SAMSA_CORRUPT_INDEX' }, 'a position beyond the log is stale');
  });

  it('truncates entries at and above an offset, in memory and on disk; reports full at segment.index.bytes', async () => {
    const e = await env();
    const idx = new OffsetIndex(e, owner('/p/0.index', 1 << 30), 0n, 32, 0);
    for (let i = 1; i <= 3; i++) idx.append(BigInt(i * 10), i * 100);
    await idx.persist(false);
    idx.append(40n, 400);
    assert.equal(idx.isFull(), true, '4 entries of 8 bytes fill 32 bytes');
    await idx.truncateTo(20n);
    assert.equal(idx.entries, 1);
    assert.equal((await readWholeFile(e.disk, '/p/0.index'))!.length, 8);
    assert.deepEqual(await idx.lookup(100n), { offset: 10n, position: 100 });
    idx.append(15n, 150);
    assert.deepEqual(await idx.lookup(100n), { offset: 15n, position: 150 });
  });
});
