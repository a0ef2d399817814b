import assert from 'node:assert/strict';
import { it } from 'node:test';
import { batch, config, openManager, readAll, tempDir } from './helpers.js';

it('smoke: append, read, reopen', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let m = await openManager(dir);
    const log = await m.createLog('t', 0, config({ segmentBytes: 150 }));
    const results = await Promise.all([log.append(batch(['a', 'b'])), log.append(batch(['c'])), log.append(batch(['d', 'e', 'f']))]);
    assert.deepEqual(results.map((r) => [r.baseOffset, r.lastOffset]), [[0n, 1n], [2n, 2n], [3n, 5n]]);
    assert.equal(log.highWatermark, 6n);
    const recs = await readAll(log);
    assert.deepEqual(recs.map((r) => r.value), ['a', 'b', 'c', 'd', 'e', 'f']);
    assert.ok(log.segments.length > 1, `segments ${log.segments.length}`);
    await m.close();
    m = await openManager(dir);
    const again = m.getLog('t', 0)!;
    assert.equal(again.logEndOffset, 6n);
    assert.deepEqual((await readAll(again)).map((r) => r.offset), [0n, 1n, 2n, 3n, 4n, 5n]);
    await m.close();
  } finally {
    await cleanup();
  }
});
