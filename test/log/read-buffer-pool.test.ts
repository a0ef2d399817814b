/** The fetch read buffer pool: size classes, reuse after release only, the idle bound. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadBufferPool } from '../../src/log/index.js';

describe('ReadBufferPool', () => {
  it('hands out buffers of the asked size and reuses their memory only after release', () => {
    const pool = new ReadBufferPool(1 << 30);
    const a = pool.lease();
    const x = a.take(100_000);
    const y = a.take(100_000);
    assert.equal(x.length, 100_000);
    assert.notEqual(x.buffer, y.buffer, 'two buffers of one lease never share memory');
    const b = pool.lease();
    assert.notEqual(b.take(100_000).buffer, x.buffer, 'a held buffer is not given to another lease');
    a.release();
    assert.equal(pool.idle, 2 * 128 * 1024, 'both returned, in the 128 KiB class');
    const c = pool.lease();
    const reused = [c.take(70_000).buffer, c.take(128 * 1024).buffer];
    assert.deepEqual(new Set(reused), new Set([x.buffer, y.buffer]));
    assert.equal(pool.idle, 0);
    assert.throws(() => {
      a.release();
      a.take(10);
    }, /after release/);
  });

  it('allocates reads above 16 MiB fresh, and keeps at most maxIdleBytes', () => {
    const pool = new ReadBufferPool(256 * 1024);
    const l = pool.lease();
    const big = l.take(17 * 1024 * 1024);
    assert.equal(big.length, 17 * 1024 * 1024);
    for (let i = 0; i < 5; i++) l.take(64 * 1024);
    l.release();
    l.release();
    assert.equal(pool.idle, 256 * 1024, 'four of the five 64 KiB buffers kept, the big one not at all');
  });
});
