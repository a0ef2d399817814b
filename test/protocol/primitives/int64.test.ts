/**
 * int64.ts against Node's Buffer.readBigInt64BE/writeBigInt64BE: the same bytes and values on both
 * sides of the ±2^53 boundary where the Number path hands over to Node's, at the int64 limits, and
 * for random values; the same RangeError beyond them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readInt64BE, writeInt64BE } from '../../../src/protocol/primitives/int64.js';

const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);
const edges = [0n, 1n, -1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), -(2n ** 32n) - 1n, 1_700_000_000_000n];
for (const e of [52n, 53n, 54n, 62n]) for (const d of [-1n, 0n, 1n]) edges.push(2n ** e + d, -(2n ** e) + d);
edges.push(MAX, MIN, MAX - 1n, MIN + 1n);

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

describe('int64 reads and writes', () => {
  it('write the bytes Buffer.writeBigInt64BE writes and read back what Buffer.readBigInt64BE reads', () => {
    const random = seeded(7);
    const values = [...edges];
    for (let i = 0; i < 2000; i++) {
      const hi = BigInt(Math.floor(random() * 2 ** 32)) - 2n ** 31n;
      const lo = BigInt(Math.floor(random() * 2 ** 32));
      values.push((hi << 32n) | lo, BigInt(Math.floor(random() * 2 ** 53)) * (random() < 0.5 ? -1n : 1n));
    }
    for (const v of values) {
      const ours = Buffer.alloc(11, 0xaa);
      const node = Buffer.alloc(11, 0xaa);
      assert.equal(writeInt64BE(ours, v, 2), 10);
      node.writeBigInt64BE(v, 2);
      assert.deepEqual(ours, node, `bytes of ${v}`);
      assert.equal(readInt64BE(node, 2), v, `value of ${v}`);
      assert.equal(readInt64BE(node, 2), node.readBigInt64BE(2));
    }
  });

  it('throw the RangeError Node throws beyond the int64 range and for a short buffer', () => {
    for (const v of [MAX + 1n, MIN - 1n, 1n << 64n]) assert.throws(() => writeInt64BE(Buffer.alloc(8), v, 0), RangeError);
    assert.throws(() => writeInt64BE(Buffer.alloc(7), 1n, 0), RangeError);
    assert.throws(() => readInt64BE(Buffer.alloc(7), 0), RangeError);
  });
});
