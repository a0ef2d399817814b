import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AssignorMember, partitionKey, rangeAssignor, uniformAssignor } from '../../src/group/consumer-group-assignors.js';

const member = (memberId: string, topics: string[], current: string[] = []): AssignorMember => ({ memberId, subscribedTopicIds: new Set(topics), currentTarget: new Set(current) });
const keys = (topic: string, ...ps: number[]) => ps.map((p) => partitionKey(topic, p));
const sizes = (a: Map<string, Set<string>>) => [...a.values()].map((s) => s.size);
const union = (a: Map<string, Set<string>>) => [...a.values()].flatMap((s) => [...s]).sort();

describe('uniform assignor', () => {
  it('gives every partition once, balanced, and keeps partitions where they are when a member joins', () => {
    const topics = new Map([['A', 6]]);
    const first = uniformAssignor([member('m1', ['A'], keys('A', 0, 1, 2)), member('m2', ['A'], keys('A', 3, 4, 5))], topics);
    assert.deepEqual([...first.get('m1')!].sort(), keys('A', 0, 1, 2));
    const m3 = uniformAssignor([member('m1', ['A'], [...first.get('m1')!]), member('m2', ['A'], [...first.get('m2')!]), member('m3', ['A'])], topics);
    assert.deepEqual(sizes(m3), [2, 2, 2]);
    assert.deepEqual(union(m3), keys('A', 0, 1, 2, 3, 4, 5).sort());
    // Only two partitions moved, one from each member that held three.
    for (const m of ['m1', 'm2']) assert.equal([...m3.get(m)!].filter((k) => first.get(m)!.has(k)).length, 2);
  });

  it('balances within each topic’s subscribers when subscriptions differ', () => {
    const a = uniformAssignor([member('m1', ['A', 'B']), member('m2', ['A']), member('m3', ['B'])], new Map([['A', 4], ['B', 2]]));
    assert.deepEqual(union(a), [...keys('A', 0, 1, 2, 3), ...keys('B', 0, 1)].sort());
    assert.ok([...a.get('m2')!].every((k) => k.startsWith('A:')));
    assert.ok([...a.get('m3')!].every((k) => k.startsWith('B:')));
    assert.deepEqual(sizes(a), [2, 2, 2]);
  });

  it('drops partitions of topics no longer subscribed to or gone', () => {
    const a = uniformAssignor([member('m1', ['A'], [...keys('A', 0, 1, 5), ...keys('B', 0)])], new Map([['A', 2]]));
    assert.deepEqual([...a.get('m1')!].sort(), keys('A', 0, 1));
  });
});

describe('range assignor', () => {
  it('splits each topic in contiguous ranges in member-id order, the first members taking one more', () => {
    const a = rangeAssignor([member('b', ['A']), member('a', ['A'])], new Map([['A', 5]]));
    assert.deepEqual([...a.get('a')!], keys('A', 0, 1, 2));
    assert.deepEqual([...a.get('b')!], keys('A', 3, 4));
  });
});
