import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readWholeFile } from '../../src/storage/disk-files.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { StorageIoError } from '../../src/storage/storage-error.js';

describe('MemoryDisk power loss', () => {
  it('keeps synced bytes, drops unsynced ones, and drops names whose directory was not synced', async () => {
    const disk = new MemoryDisk(() => 0);
    await disk.mkdir('/d');
    await disk.syncDir('/');
    const f = await disk.open('/d/f', 'create');
    await f.write([Buffer.from('durable')], 0);
    await f.sync();
    await disk.syncDir('/d');
    await f.write([Buffer.from('-volatile')], 7);
    const g = await disk.open('/d/g', 'create');
    await g.write([Buffer.from('never named durably')], 0);
    await g.sync();
    disk.powerLoss({ keepPartialTails: false });
    assert.equal((await readWholeFile(disk, '/d/f'))!.toString(), 'durable');
    assert.equal(await disk.stat('/d/g'), undefined, 'a file whose directory entry was never synced is gone');
    await assert.rejects(f.read(Buffer.alloc(1), 0, 1, 0), (e: unknown) => e instanceof StorageIoError && e.errno === 'EIO');
  });

  it('may keep a random prefix of the unsynced tail (partial writeback)', async () => {
    const disk = new MemoryDisk(() => 0.5);
    await disk.mkdir('/d');
    await disk.syncDir('/');
    const f = await disk.open('/d/f', 'create');
    await disk.syncDir('/d');
    await f.write([Buffer.from('0123456789')], 0);
    disk.powerLoss();
    assert.equal((await readWholeFile(disk, '/d/f'))!.toString(), '01234');
  });

  it('crash (kill -9) keeps everything written but kills old handles', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir('/d');
    const f = await disk.open('/d/f', 'create');
    await f.write([Buffer.from('unsynced')], 0);
    disk.crash();
    await assert.rejects(f.write([Buffer.from('x')], 0));
    assert.equal((await readWholeFile(disk, '/d/f'))!.toString(), 'unsynced');
  });

  it('renames become durable with the directory sync', async () => {
    const disk = new MemoryDisk(() => 0);
    await disk.mkdir('/d');
    await disk.syncDir('/');
    const f = await disk.open('/d/a', 'create');
    await f.write([Buffer.from('x')], 0);
    await f.sync();
    await disk.syncDir('/d');
    await disk.rename('/d/a', '/d/b');
    disk.powerLoss();
    assert.deepEqual(await disk.readdir('/d'), ['a']);
    await disk.rename('/d/a', '/d/b');
    await disk.syncDir('/d');
    disk.powerLoss();
    assert.deepEqual(await disk.readdir('/d'), ['b']);
  });
});
