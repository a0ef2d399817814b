import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batch, openManager, readAll, tempDir, withLog } from './helpers.js';

describe('truncateTo', () => {
  it('removes offsets at and above the target across segments, at batch boundaries', async () => {
    await withLog({ segmentBytes: 300, indexIntervalBytes: 1 }, async (log) => {
      for (let i = 0; i < 20; i++) await log.append(batch([`a${i}`, `b${i}`]));
      assert.ok(log.segments.length > 3);
      assert.equal(await log.truncateTo(21n), 20n, 'offset 21 is inside the batch 20..21, which goes whole');
      assert.equal(log.logEndOffset, 20n);
      assert.equal(log.acknowledgedEnd, 20n);
      assert.equal((await readAll(log)).length, 20);
      const r = await log.append(batch(['again']));
      assert.equal(r.baseOffset, 20n);
      assert.equal((await readAll(log)).at(-1)!.value, 'again');
      assert.equal(await log.truncateTo(100n), 21n, 'a target beyond the end changes nothing');
    });
  });

  it('truncation survives a reopen, and below the log start it empties the log at the target', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      let m = await openManager(dir);
      let log = await m.createLog('t', 0);
      for (let i = 0; i < 10; i++) await log.append(batch([`v${i}`]));
      await log.truncateTo(6n);
      await m.close();
      m = await openManager(dir);
      log = m.getLog('t', 0)!;
      assert.equal(log.logEndOffset, 6n);
      await log.deleteRecordsBefore(4n);
      assert.equal(await log.truncateTo(2n), 2n);
      assert.equal(log.logStartOffset, 2n);
      assert.equal(log.logEndOffset, 2n);
      assert.equal((await log.append(batch(['x']))).baseOffset, 2n);
      await m.close();
    } finally {
      await cleanup();
    }
  });
});
