import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LruBudget } from '../../src/log/lru-budget.js';

it('evicts the least recently used items beyond the budget, skipping ones that refuse', () => {
  const evicted: string[] = [];
  const pinned = new Set(['b']);
  const lru = new LruBudget<string>(10, (k) => {
    if (pinned.has(k)) return false;
    evicted.push(k);
    return true;
  });
  lru.touch('a', 4);
  lru.touch('b', 4);
  lru.touch('a', 4);
  assert.deepEqual(evicted, []);
  lru.touch('c', 4);
  assert.deepEqual(evicted, ['a'], 'b is the oldest but refuses, so a (used after b) goes');
  lru.touch('b', 4);
  lru.touch('d', 4);
  assert.deepEqual(evicted, ['a', 'c']);
  pinned.add('d');
  pinned.delete('b');
  lru.touch('e', 8);
  assert.deepEqual(evicted, ['a', 'c', 'b'], 'the item just touched is never the victim');
  assert.equal(lru.used, 12, 'over budget while d refuses');
  pinned.clear();
  lru.trim();
  assert.deepEqual(evicted, ['a', 'c', 'b', 'd']);
  lru.remove('e');
  assert.equal(lru.used, 0);
});
