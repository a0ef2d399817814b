import assert from 'node:assert/strict';
import { it } from 'node:test';
import { FileHandleCache } from '../../src/log/file-handle-cache.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';

it('keeps at most maxOpen files open, never closing one in use', async () => {
  const disk = new MemoryDisk();
  await disk.mkdir('/d');
  const owners = Array.from({ length: 5 }, (_, i) => ({ filePath: `/d/${i}` }));
  for (const o of owners) await (await disk.open(o.filePath, 'create')).close();
  const cache = new FileHandleCache(disk, 2);
  for (const o of owners) await cache.use(o, (f) => f.write([Buffer.from('x')], 0));
  assert.equal(cache.openCount, 2);
  assert.equal(cache.stats.opened, 5);
  // A pinned file survives pressure; the cache overshoots instead of closing it.
  let release!: () => void;
  const held = cache.use(owners[0]!, () => new Promise<void>((r) => (release = r)));
  await new Promise((r) => setImmediate(r));
  for (const o of owners.slice(1)) await cache.use(o, async (f) => f.size());
  release();
  await held;
  assert.ok(cache.openCount <= 2, `open ${cache.openCount}`);
  await cache.forget(owners[4]!);
  await cache.closeAll();
  assert.equal(cache.openCount, 0);
});
