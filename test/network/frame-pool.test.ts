import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FramePool, frameSizeClass } from '../../src/network/frame-pool.js';
import { FrameReader } from '../../src/network/frame-reader.js';
import { gc } from '../helpers/memory.js';

describe('FramePool', () => {
  it('sizes classes in quarter steps of each power of two from 64 KiB', () => {
    assert.equal(frameSizeClass(65536), 65536);
    assert.equal(frameSizeClass(65537), 65536 + 16384);
    assert.equal(frameSizeClass(1_000_100), 1024 * 1024);
    assert.equal(frameSizeClass(1024 * 1024 + 1), 1024 * 1024 + 256 * 1024);
    assert.equal(frameSizeClass(524_388), 524288 + 131072);
    for (let size = 65536; size < 16 << 20; size = Math.ceil(size * 1.07)) {
      const cls = frameSizeClass(size);
      assert.ok(cls >= size && cls < size * 1.26, `${size} -> ${cls}`);
    }
  });

  it('reuses a released buffer for the next frame of its class, and only buffers it gave out', () => {
    const pool = new FramePool(1 << 20);
    const a = pool.take(100_000);
    assert.equal(a.length, 100_000);
    assert.equal(pool.idle, 0);
    pool.release(a);
    pool.release(a);
    assert.equal(pool.idle, frameSizeClass(100_000), 'released once');
    const b = pool.take(110_000);
    assert.ok(b.buffer === a.buffer, 'the same memory');
    assert.equal(pool.idle, 0);
    pool.release(Buffer.alloc(100_000));
    assert.equal(pool.idle, 0);
  });

  it('allocates outside the classes fresh and keeps at most maxIdleBytes', () => {
    const pool = new FramePool(200_000);
    const small = pool.take(100);
    const huge = pool.take(17 << 20);
    pool.release(small);
    pool.release(huge);
    assert.equal(pool.idle, 0, 'neither was pooled');
    const frames = [pool.take(100_000), pool.take(100_000), pool.take(100_000)];
    for (const f of frames) pool.release(f);
    assert.ok(pool.idle <= 200_000);
  });

  it('gives the frame reader the buffers of frames assembled across chunks', () => {
    const pool = new FramePool(1 << 20);
    const reader = new FrameReader(1 << 20, { allocate: (n) => pool.take(n) });
    const body = Buffer.alloc(200_000, 7);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    const stream = Buffer.concat([size, body]);
    assert.deepEqual(reader.push(stream.subarray(0, 1000)), []);
    const [frame] = reader.push(stream.subarray(1000));
    assert.deepEqual(frame, body);
    assert.equal(pool.idle, 0);
    pool.release(frame!);
    assert.equal(pool.idle, frameSizeClass(body.length));
  });

  it('leaves a frame never released to the garbage collector', async () => {
    // Only produce requests' frames are released (docs/broker.md); a pool that kept the others
    // alive grew by each large request's frame for the broker's life.
    const pool = new FramePool(1 << 20);
    const collected = new Set<number>();
    const registry = new FinalizationRegistry<number>((i) => collected.add(i));
    const kept = pool.take(100_000);
    (() => {
      for (let i = 0; i < 20; i++) registry.register(pool.take(200_000).buffer, i);
    })();
    for (let i = 0; i < 50 && collected.size < 20; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(collected.size, 20, `${collected.size} of 20 unreleased frames collected`);
    // What is still referenced still comes back to the pool.
    pool.release(kept);
    assert.equal(pool.idle, frameSizeClass(100_000));
  });
});
