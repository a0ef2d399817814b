import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config.js';
import { batch, config, openManager, readAll, tempDir } from './helpers.js';

describe('LogManager', () => {
  it('creates logs in Kafka layout, finds them again at open, and applies configs', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      let m = await openManager(dir);
      const a = await m.createLog('orders', 0, config({ segmentBytes: 1000 }));
      await m.createLog('orders', 1, config({ segmentBytes: 1000 }));
      await m.createLog('my-events', 3);
      assert.equal(await m.createLog('orders', 0), a, 'creating again returns the existing log');
      await a.append(batch(['x']));
      assert.deepEqual((await readdir(dir)).filter((n) => !n.includes('checkpoint')).sort(), ['my-events-3', 'orders-0', 'orders-1']);
      m.updateConfig('orders', config({ segmentBytes: 2000 }));
      assert.equal(a.config.segmentBytes, 2000);
      await assert.rejects(m.createLog('../evil', 0), RangeError);
      await m.close();
      assert.ok((await readdir(dir)).includes('.kafka_cleanshutdown'));
      m = await openManager(dir, { configFor: (t) => (t === 'orders' ? config({ segmentBytes: 1234 }) : undefined) });
      assert.equal(m.logCount, 3);
      assert.equal(m.getLog('orders', 0)!.config.segmentBytes, 1234);
      assert.equal(m.getLog('orders', 0)!.logEndOffset, 1n);
      assert.equal(m.getLog('my-events', 3)!.logEndOffset, 0n);
      assert.ok(!(await readdir(dir)).includes('.kafka_cleanshutdown'), 'the marker is removed once open');
      await m.close();
    } finally {
      await cleanup();
    }
  });

  it('deletes a log by renaming its directory *-delete and removing it', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const m = await openManager(dir);
      const log = await m.createLog('t', 0);
      await log.append(batch(['a']));
      await m.deleteLog('t', 0);
      assert.equal(m.getLog('t', 0), undefined);
      await assert.rejects(log.append(batch(['b'])), { code: 'SAMSA_LOG_CLOSED' });
      for (let i = 0; i < 50 && (await readdir(dir)).some((n) => n.startsWith('t-0')); i++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(!(await readdir(dir)).some((n) => n.startsWith('t-0')));
      const fresh = await m.createLog('t', 0);
      assert.equal(fresh.logEndOffset, 0n);
      await m.close();
    } finally {
      await cleanup();
    }
  });

  it("forgets a deleted topic's config with its last log", async () => {
    // The manager once kept every topic's config for its life, deleted or not: a broker whose
    // topics come and go (test suites, per-run topics) kept ~800 bytes and the name of each.
    const { dir, cleanup } = await tempDir();
    try {
      const m = await openManager(dir);
      await m.createLog('gone', 0, config({ segmentBytes: 1000 }));
      await m.createLog('gone', 1, config({ segmentBytes: 1000 }));
      await m.deleteLog('gone', 0);
      assert.equal((await m.createLog('gone', 0)).config.segmentBytes, 1000, 'the topic still has a log here');
      await m.deleteLog('gone', 0);
      await m.deleteLog('gone', 1);
      assert.equal((await m.createLog('gone', 0)).config.segmentBytes, DEFAULT_LOG_CONFIG.segmentBytes, 'a new topic of the name does not inherit the old one\'s config');
      await m.close();
    } finally {
      await cleanup();
    }
  });

  it('keeps open files within maxOpenFiles across many partitions', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      let m = await openManager(dir, { maxOpenFiles: 8 });
      for (let p = 0; p < 200; p++) await (await m.createLog('many', p)).append(batch([`v${p}`]));
      assert.ok(m.openFileCount <= 8, `${m.openFileCount} open`);
      for (let p = 0; p < 200; p += 7) assert.equal((await readAll(m.getLog('many', p)!))[0]!.value, `v${p}`);
      assert.ok(m.openFileCount <= 8);
      await m.close();
      m = await openManager(dir, { maxOpenFiles: 8 });
      assert.equal(m.logCount, 200);
      assert.ok(m.openFileCount <= 8, `${m.openFileCount} open after loading 200 logs`);
      await m.close();
    } finally {
      await cleanup();
    }
  });
});
