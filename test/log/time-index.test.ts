import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IndexFile } from '../../src/log/index-file.js';
import { LruBudget } from '../../src/log/lru-budget.js';
import { TimeIndex } from '../../src/log/time-index.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { readWholeFile } from '../../src/storage/disk-files.js';

const owner = (path: string) => ({ indexPath: () => path, writtenSize: 1 << 30 });

async function env() {
  const disk = new MemoryDisk();
  await disk.mkdir('/p');
  return { disk, memory: new LruBudget<IndexFile>(1 << 20, (i) => i.unload()) };
}

describe('TimeIndex', () => {
  it('appends only growing timestamps and looks up the last entry at or below a time', async () => {
    const e = await env();
    const idx = new TimeIndex(e, owner('/p/0.timeindex'), 50n, 1200, 0);
    idx.maybeAppend(1000n, 55n);
    idx.maybeAppend(1000n, 56n);
    idx.maybeAppend(900n, 57n);
    idx.maybeAppend(2000n, 60n);
    assert.equal(idx.entries, 2);
    assert.deepEqual(await idx.lookup(999n), { timestamp: -1n, offset: 50n });
    assert.deepEqual(await idx.lookup(1500n), { timestamp: 1000n, offset: 55n });
    assert.deepEqual(await idx.lookup(2000n), { timestamp: 2000n, offset: 60n });
    await idx.persist(true);
    const file = (await readWholeFile(e.disk, '/p/0.timeindex'))!;
    assert.equal(file.length, 24, '12-byte entries');
    assert.equal(file.readBigInt64BE(12), 2000n);
    assert.equal(file.readInt32BE(20), 10);
  });

  it('keeps one slot for the entry written at roll', async () => {
    const e = await env();
    const idx = new TimeIndex(e, owner('/p/0.timeindex'), 0n, 36, 0);
    idx.maybeAppend(1n, 1n);
    idx.maybeAppend(2n, 2n);
    assert.equal(idx.isFull(), true, '3 slots, one reserved');
    idx.maybeAppend(3n, 3n);
    assert.equal(idx.entries, 2);
    idx.maybeAppend(3n, 3n, true);
    assert.equal(idx.entries, 3);
  });

  it('reads the last entry from the file without loading it all, and truncates by offset', async () => {
    const e = await env();
    const a = new TimeIndex(e, owner('/p/0.timeindex'), 0n, 1200, 0);
    a.maybeAppend(10n, 1n);
    a.maybeAppend(20n, 5n);
    a.maybeAppend(30n, 9n);
    await a.persist(true);
    const b = new TimeIndex(e, owner('/p/0.timeindex'), 0n, 1200, 36);
    assert.equal(b.lastKnown, undefined);
    assert.deepEqual(await b.lastEntry(), { timestamp: 30n, offset: 9n });
    await b.truncateTo(5n);
    assert.equal(b.entries, 1);
    assert.deepEqual(await b.lastEntry(), { timestamp: 10n, offset: 1n });
  });
});
