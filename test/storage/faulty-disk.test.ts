import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultyDisk } from '../../src/storage/faulty-disk.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { StorageIoError } from '../../src/storage/storage-error.js';

async function setup() {
  const mem = new MemoryDisk();
  const disk = new FaultyDisk(mem);
  await disk.mkdir('/d');
  const f = await disk.open('/d/x.log', 'create');
  return { mem, disk, f };
}

describe('FaultyDisk', () => {
  it('fails the next matching call once, with the errno asked for, then works again', async () => {
    const { disk, f } = await setup();
    disk.failNext({ op: 'sync', errno: 'EIO' });
    await assert.rejects(f.sync(), (e: unknown) => e instanceof StorageIoError && e.errno === 'EIO' && e.op === 'sync');
    await f.sync();
    assert.equal(disk.injected.length, 1);
    assert.equal(disk.count('sync'), 2);
  });

  it('matches paths', async () => {
    const { disk, f } = await setup();
    disk.failNext({ op: 'write', path: /\.index$/ });
    await f.write([Buffer.from('fine')], 0);
    const idx = await disk.open('/d/x.index', 'create');
    await assert.rejects(idx.write([Buffer.from('no')], 0));
  });

  it('tears a write: the first bytes land, then EIO', async () => {
    const { mem, disk, f } = await setup();
    disk.failNext({ op: 'write', tornBytes: 3 });
    await assert.rejects(f.write([Buffer.from('ab'), Buffer.from('cdef')], 0), (e: unknown) => (e as StorageIoError).errno === 'EIO');
    assert.equal(mem.contents('/d/x.log').toString(), 'abc');
  });

  it('a full disk writes what fits, then ENOSPC', async () => {
    const { mem, disk, f } = await setup();
    disk.setFreeSpace(5);
    await f.write([Buffer.from('abc')], 0);
    await assert.rejects(f.write([Buffer.from('defg')], 3), (e: unknown) => (e as StorageIoError).errno === 'ENOSPC');
    assert.equal(mem.contents('/d/x.log').toString(), 'abcde');
    disk.clearFaults();
    await f.write([Buffer.from('fg')], 5);
    assert.equal(mem.contents('/d/x.log').toString(), 'abcdefg');
  });
});
