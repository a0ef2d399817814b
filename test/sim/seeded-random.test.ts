import assert from 'node:assert/strict';
import { it } from 'node:test';
import { randomInt, systemRandom } from '../../src/common/random.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';

it('SeededRandom replays the same sequence from the same seed, and forks independent streams', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const xs = Array.from({ length: 100 }, () => a.next());
  assert.deepEqual(Array.from({ length: 100 }, () => b.next()), xs);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.ok(new Set(xs).size > 95, 'values spread');
  assert.notDeepEqual(Array.from({ length: 10 }, () => new SeededRandom(43).next()), xs.slice(0, 10));
  const f1 = new SeededRandom(42).fork('net');
  const f2 = new SeededRandom(42).fork('net');
  assert.equal(f1.next(), f2.next());
  assert.notEqual(new SeededRandom(42).fork('disk').next(), new SeededRandom(42).fork('net').next());
});

it('nextInt stays in [0, bound) and covers it; a bad bound is refused', () => {
  for (const r of [new SeededRandom(7).random, systemRandom]) {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = randomInt(r, 5);
      assert.ok(Number.isInteger(v) && v >= 0 && v < 5);
      seen.add(v);
    }
    assert.equal(seen.size, 5);
    assert.throws(() => randomInt(r, 0), RangeError);
  }
});
