import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameError, FrameReader } from '../../src/network/frame-reader.js';
import { prng } from '../protocol/message-samples.js';

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe('FrameReader', () => {
  it('returns the same frames however the stream is split', () => {
    const rand = prng(7);
    const bodies = Array.from({ length: 50 }, (_, i) => Buffer.alloc(Math.floor(rand() * 3000), i));
    const stream = Buffer.concat(bodies.map(frame));
    for (let trial = 0; trial < 50; trial++) {
      const reader = new FrameReader(1 << 20);
      const out: Buffer[] = [];
      for (let pos = 0; pos < stream.length; ) {
        const n = 1 + Math.floor(rand() * (trial % 2 ? 7 : 5000));
        out.push(...reader.push(stream.subarray(pos, pos + n)));
        pos += n;
      }
      assert.deepEqual(out, bodies);
      assert.equal(reader.pendingBytes, 0);
    }
  });

  it('rejects negative and oversized sizes before allocating', () => {
    assert.throws(() => new FrameReader(100).push(Buffer.from([0xff, 0xff, 0xff, 0xfe])), FrameError);
    assert.throws(() => new FrameReader(100).push(Buffer.from([0x7f, 0xff, 0xff, 0xff])), /exceeds the limit/);
    const split = new FrameReader(100);
    assert.deepEqual(split.push(Buffer.from([0, 0])), []);
    assert.throws(() => split.push(Buffer.from([0, 101])), /exceeds/);
  });

  it('accepts empty frames and a frame exactly at the limit', () => {
    const r = new FrameReader(3);
    assert.deepEqual(r.push(Buffer.concat([frame(Buffer.alloc(0)), frame(Buffer.from('abc'))])), [Buffer.alloc(0), Buffer.from('abc')]);
  });

  it('copies every frame out of a chunk buffer the caller reuses', () => {
    const reused = Buffer.alloc(64);
    const r = new FrameReader(100, { reusedChunks: true });
    const whole = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.from('twotwo'))]);
    whole.copy(reused);
    const first = r.push(reused.subarray(0, 8));
    reused.fill(0);
    whole.copy(reused, 0, 8);
    const rest = r.push(reused.subarray(0, whole.length - 8));
    reused.fill(0xff);
    assert.deepEqual([...first, ...rest], [Buffer.from('one'), Buffer.from('twotwo')]);
  });

  it('reads the rest of a large frame straight into it, mixed with copied reads, however split', () => {
    const rand = prng(11);
    const bodies = Array.from({ length: 40 }, (_, i) => Buffer.alloc(Math.floor(rand() * 20_000), i + 1));
    const stream = Buffer.concat(bodies.map(frame));
    for (let trial = 0; trial < 20; trial++) {
      const reader = new FrameReader(1 << 20, { reusedChunks: true });
      const chunk = Buffer.alloc(4096);
      const out: Buffer[] = [];
      let direct = 0;
      for (let pos = 0; pos < stream.length; ) {
        const want = 1 + Math.floor(rand() * 6000);
        const target = reader.directTarget(1024);
        if (target) {
          // A socket read never writes past the buffer it is given: the frame's unfilled rest.
          const n = Math.min(want, target.length, stream.length - pos);
          stream.copy(target, 0, pos, pos + n);
          out.push(...reader.filledDirectly(n));
          direct++;
          pos += n;
        } else {
          const n = Math.min(want, chunk.length, stream.length - pos);
          stream.copy(chunk, 0, pos, pos + n);
          out.push(...reader.push(chunk.subarray(0, n)));
          chunk.fill(0xee);
          pos += n;
        }
      }
      assert.ok(direct > 0, 'some reads went straight into frames');
      assert.deepEqual(out, bodies);
      assert.equal(reader.pendingBytes, 0);
    }
  });
});
