/**
 * The assignors give the Java client's results for the same inputs, and keep their promises for
 * any input (fast-check): every partition of a subscribed topic goes to exactly one member
 * subscribed to it; equal subscriptions are balanced within one; cooperative-sticky keeps what
 * members own when balance allows and, with the leader's hold-back, never hands a partition from
 * one owner straight to another.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Assignment, type MemberSubscription, cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor } from '../../src/client/consumer/assignors.js';
import { withholdMoving } from '../../src/client/consumer/group-membership.js';

const member = (memberId: string, topics: string[], owned: Record<string, number[]> = {}, groupInstanceId: string | null = null): MemberSubscription => ({ memberId, groupInstanceId, topics, owned: new Map(Object.entries(owned)), generationId: 1 });
const plain = (a: Assignment) => Object.fromEntries([...a].map(([m, t]) => [m, Object.fromEntries([...t].map(([topic, ps]) => [topic, [...ps].sort((x, y) => x - y)]))]));

describe('range', () => {
  it('gives each member a contiguous range per topic, the first ones one more (RangeAssignorTest)', () => {
    const a = rangeAssignor.assign([member('c0', ['t1', 't2']), member('c1', ['t1', 't2'])], new Map([['t1', 3], ['t2', 3]]));
    assert.deepEqual(plain(a), { c0: { t1: [0, 1], t2: [0, 1] }, c1: { t1: [2], t2: [2] } });
  });

  it('orders static members by instance id before member ids', () => {
    const a = rangeAssignor.assign([member('a', ['t'], {}, 'z'), member('b', ['t'], {}, 'y')], new Map([['t', 4]]));
    assert.deepEqual(plain(a), { a: { t: [2, 3] }, b: { t: [0, 1] } });
  });
});

describe('roundrobin', () => {
  it('deals partitions in turn across topics (RoundRobinAssignorTest)', () => {
    const a = roundRobinAssignor.assign([member('c0', ['t1', 't2']), member('c1', ['t1', 't2'])], new Map([['t1', 3], ['t2', 3]]));
    assert.deepEqual(plain(a), { c0: { t1: [0, 2], t2: [1] }, c1: { t1: [1], t2: [0, 2] } });
  });

  it('skips members not subscribed to a topic', () => {
    const a = roundRobinAssignor.assign([member('c0', ['t1']), member('c1', ['t1', 't2']), member('c2', ['t1'])], new Map([['t1', 3], ['t2', 2]]));
    assert.deepEqual(plain(a), { c0: { t1: [0] }, c1: { t1: [1], t2: [0, 1] }, c2: { t1: [2] } });
  });
});

describe('cooperative-sticky', () => {
  it('keeps owned partitions and moves only what balance needs', () => {
    const a = cooperativeStickyAssignor.assign([member('c0', ['t'], { t: [0, 1, 2, 3] }), member('c1', ['t'])], new Map([['t', 4]]));
    const p = plain(a);
    assert.equal(p['c0']!['t']!.length, 2);
    assert.equal(p['c1']!['t']!.length, 2);
    assert.ok(p['c0']!['t']!.every((x) => [0, 1, 2, 3].includes(x)));
  });
});

const scenario = fc.record({
  topics: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 1, max: 12 }), { minKeys: 1 }),
  members: fc.integer({ min: 1, max: 8 }),
  sameSubscriptions: fc.boolean(),
  seed: fc.integer(),
});

function build(s: { topics: Record<string, number>; members: number; sameSubscriptions: boolean; seed: number }): { members: MemberSubscription[]; counts: Map<string, number> } {
  const names = Object.keys(s.topics);
  const members = Array.from({ length: s.members }, (_, i) => member(`m${i}`, s.sameSubscriptions ? names : names.filter((_, j) => ((s.seed >> ((i + j) % 16)) & 1) === 1 || j === i % names.length)));
  return { members, counts: new Map(Object.entries(s.topics)) };
}

function checkComplete(a: Assignment, members: MemberSubscription[], counts: Map<string, number>): void {
  const seen = new Map<string, string>();
  for (const [memberId, topics] of a) {
    const m = members.find((x) => x.memberId === memberId)!;
    for (const [topic, parts] of topics) {
      assert.ok(m.topics.includes(topic), `${memberId} got ${topic} without subscribing`);
      for (const p of parts) {
        assert.ok(!seen.has(`${topic}-${p}`), `${topic}-${p} twice`);
        seen.set(`${topic}-${p}`, memberId);
      }
    }
  }
  for (const [topic, n] of counts) {
    if (!members.some((m) => m.topics.includes(topic))) continue;
    for (let p = 0; p < n; p++) assert.ok(seen.has(`${topic}-${p}`), `${topic}-${p} unassigned`);
  }
}

const load = (a: Assignment, m: string) => [...a.get(m)!.values()].reduce((n, ps) => n + ps.length, 0);

describe('assignor properties', () => {
  for (const assignor of [rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor]) {
    it(`${assignor.name}: every partition exactly once, to a subscriber`, () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { members, counts } = build(s);
          checkComplete(assignor.assign(members, counts), members, counts);
        }),
        { numRuns: 200 },
      );
    });
  }

  for (const assignor of [roundRobinAssignor, cooperativeStickyAssignor]) {
    it(`${assignor.name}: equal subscriptions are balanced within one`, () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { members, counts } = build({ ...s, sameSubscriptions: true });
          const a = assignor.assign(members, counts);
          const loads = members.map((m) => load(a, m.memberId));
          assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `loads ${loads}`);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('cooperative-sticky: a member keeps at least min(owned, its fair share) of what it owned', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 1, max: 4 }), (s, joiners) => {
        const { members, counts } = build({ ...s, sameSubscriptions: true });
        const first = cooperativeStickyAssignor.assign(members, counts);
        const owners = members.map((m) => ({ ...m, owned: first.get(m.memberId)! }));
        const grown = [...owners, ...Array.from({ length: joiners }, (_, i) => member(`new${i}`, [...counts.keys()]))];
        const second = cooperativeStickyAssignor.assign(grown, counts);
        const total = [...counts.values()].reduce((x, y) => x + y, 0);
        const fair = Math.floor(total / grown.length);
        for (const m of owners) {
          const before = new Set([...m.owned].flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`)));
          const kept = [...second.get(m.memberId)!].flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`)).filter((k) => before.has(k)).length;
          assert.ok(kept >= Math.min(before.size, fair), `${m.memberId} kept ${kept} of ${before.size}, fair share ${fair}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("cooperative: after the leader's hold-back no partition goes straight from one owner to another", () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 1, max: 4 }), (s, joiners) => {
        const { members, counts } = build({ ...s, sameSubscriptions: true });
        const first = cooperativeStickyAssignor.assign(members, counts);
        const owners = [...members.map((m) => ({ ...m, owned: first.get(m.memberId)! })), ...Array.from({ length: joiners }, (_, i) => member(`new${i}`, [...counts.keys()]))];
        const held = withholdMoving(cooperativeStickyAssignor.assign(owners, counts), owners);
        for (const [memberId, topics] of held) {
          for (const [topic, parts] of topics) {
            for (const p of parts) {
              const owner = owners.find((o) => o.owned.get(topic)?.includes(p));
              assert.ok(!owner || owner.memberId === memberId, `${topic}-${p} handed from ${owner?.memberId} to ${memberId}`);
            }
          }
        }
        // What was held back is given in the next round, once its owner revoked it.
        const revoked = owners.map((o) => ({ ...o, owned: held.get(o.memberId)! }));
        checkComplete(withholdMoving(cooperativeStickyAssignor.assign(revoked, counts), revoked), revoked, counts);
      }),
      { numRuns: 200 },
    );
  });
});
