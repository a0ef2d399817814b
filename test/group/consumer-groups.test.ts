/**
 * KIP-848 consumer groups in the coordinator, on a manual clock: the revocation handshake, member
 * epochs and fencing, session and rebalance timeouts, offsets checked against member epochs, topic
 * changes, and how consumer and classic groups share group ids.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';
import type { ConsumerGroupHeartbeatParams, ConsumerGroupHeartbeatResult } from '../../src/group/consumer-group-manager.js';
import { GroupCoordinator, MemoryOffsetsStore } from '../../src/group/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { joinParams, settle, silent } from './helpers.js';

const partitionCounts = new Map<string, number>();
// Topic ids as Kafka writes them (16 bytes, base64); "T:0" in the tests below is partition 0 of t.
const ids = new Map([['t', 'AAAAAAAAAAAAAAAAAAAAAQ'], ['u', 'AAAAAAAAAAAAAAAAAAAAAg']]);
const letterOf = (id: string) => [...ids].find(([, i]) => i === id)![0].toUpperCase();
const topics = {
  byName: (name: string) => (partitionCounts.has(name) ? { id: ids.get(name)!, partitionCount: partitionCounts.get(name)! } : undefined),
  byId: (id: string) => {
    const name = [...ids].find(([, i]) => i === id)?.[0];
    return name !== undefined && partitionCounts.has(name) ? { name, partitionCount: partitionCounts.get(name)! } : undefined;
  },
};

let clock: ManualClock;
let store: MemoryOffsetsStore;
let c: GroupCoordinator;
let n = 0;
const open = (config = {}) => GroupCoordinator.open({ clock, logger: silent, store, config, randomUuid: () => `m${++n}`, topics });
beforeEach(async () => {
  partitionCounts.clear();
  partitionCounts.set('t', 4);
  clock = new ManualClock(1_000_000);
  store = new MemoryOffsetsStore();
  c = await open();
});

function hb(p: Partial<ConsumerGroupHeartbeatParams>): Promise<ConsumerGroupHeartbeatResult> {
  return c.consumerGroupHeartbeat({ groupId: 'g', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, serverAssignor: null, topicPartitions: null, clientId: 'c', clientHost: '/127.0.0.1', ...p });
}
const join = (p: Partial<ConsumerGroupHeartbeatParams> = {}) => hb({ rebalanceTimeoutMs: 10_000, subscribedTopicNames: ['t'], topicPartitions: [], ...p });
/** The partitions of an answer's assignment, as "T:0" strings. */
const parts = (r: ConsumerGroupHeartbeatResult) => r.assignment?.topicPartitions.flatMap((t) => t.partitions.map((p) => `${letterOf(t.topicId)}:${p}`)).sort();
const owning = (ps: string[]) => {
  const byTopic = new Map<string, number[]>();
  for (const k of ps) {
    const [t, p] = k.split(':');
    byTopic.set(t!, [...(byTopic.get(t!) ?? []), Number(p)]);
  }
  return [...byTopic].map(([letter, partitions]) => ({ topicId: ids.get(letter.toLowerCase())!, partitions }));
};
/** A member's heartbeat saying it holds `ps`. */
const beat = (memberId: string, memberEpoch: number, ps: string[]) => hb({ memberId, memberEpoch, topicPartitions: owning(ps) });

describe('KIP-848 consumer groups', async () => {
  it('hands partitions to a new member only once their holder has revoked them', async () => {
    const a = await join();
    assert.equal(a.errorCode, ErrorCode.NONE);
    assert.equal(a.memberEpoch, 1);
    assert.deepEqual(parts(a), ['T:0', 'T:1', 'T:2', 'T:3']);
    const b = await join();
    assert.equal(b.memberEpoch, 2);
    assert.deepEqual(parts(b), [], 'nothing until a gives partitions up');
    const aRevoking = await beat(a.memberId!, 1, ['T:0', 'T:1', 'T:2', 'T:3']);
    assert.equal(aRevoking.memberEpoch, 1, 'a keeps its epoch while it revokes');
    const kept = parts(aRevoking)!;
    assert.equal(kept.length, 2);
    assert.equal((await beat(b.memberId!, 2, [])).assignment, null, 'b still waits: a has not revoked yet');
    assert.equal(c.describeConsumerGroups(['g'])[0]!.groupState, 'Reconciling');
    const aDone = await beat(a.memberId!, 1, kept);
    assert.equal(aDone.memberEpoch, 2);
    const bGets = parts(await beat(b.memberId!, 2, []))!;
    assert.deepEqual([...bGets, ...kept].sort(), ['T:0', 'T:1', 'T:2', 'T:3']);
    const d = c.describeConsumerGroups(['g'])[0]!;
    assert.equal(d.groupState, 'Stable');
    assert.equal(d.groupEpoch, 2);
    assert.equal(d.assignorName, 'uniform');
    assert.deepEqual(d.members.map((m) => m.assignment.topicPartitions[0]!.topicName), ['t', 't']);
  });

  it('answers Kafka’s errors: unknown member, fenced epoch, malformed join, unknown assignor', async () => {
    const a = await join();
    assert.equal((await hb({ memberId: 'nobody', memberEpoch: 3 })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await hb({ memberId: a.memberId!, memberEpoch: 7 })).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    assert.equal((await hb({ subscribedTopicNames: ['t'], topicPartitions: [] })).errorCode, ErrorCode.INVALID_REQUEST, 'no rebalance timeout on join');
    assert.equal((await hb({ rebalanceTimeoutMs: 1000, subscribedTopicNames: ['t'] })).errorCode, ErrorCode.INVALID_REQUEST, 'no owned partitions on join');
    assert.equal((await join({ serverAssignor: 'sticky' })).errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR);
    assert.equal((await hb({ groupId: '', memberEpoch: 0 })).errorCode, ErrorCode.INVALID_REQUEST);
    await join({ instanceId: 'i1' });
    assert.equal((await join({ instanceId: 'i1' })).errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
  });

  it('removes a member whose session expires and gives its partitions to the others', async () => {
    const a = await join();
    const b = await join();
    await beat(a.memberId!, 1, ['T:0', 'T:1', 'T:2', 'T:3']);
    let bEpoch = 2;
    let bHolds: string[] = [];
    for (let i = 0; i < 10; i++) {
      clock.advance(5_000);
      const r = await beat(b.memberId!, bEpoch, bHolds);
      bEpoch = r.memberEpoch;
      bHolds = parts(r) ?? bHolds;
    }
    assert.equal((await beat(a.memberId!, 1, [])).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(bEpoch, 3);
    assert.deepEqual(bHolds, ['T:0', 'T:1', 'T:2', 'T:3']);
  });

  it('removes a member that does not revoke within its rebalance timeout, though it heartbeats', async () => {
    const a = await join();
    const b = await join();
    for (let i = 0; i < 3; i++) {
      clock.advance(4_000);
      assert.equal((await beat(a.memberId!, 1, ['T:0', 'T:1', 'T:2', 'T:3'])).errorCode, ErrorCode.NONE);
    }
    clock.advance(4_000);
    assert.equal((await beat(a.memberId!, 1, ['T:0', 'T:1', 'T:2', 'T:3'])).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.deepEqual(parts(await beat(b.memberId!, 2, [])), ['T:0', 'T:1', 'T:2', 'T:3']);
  });

  it('keeps a static member’s partitions when it leaves with -2, for its instance to take back without a rebalance', async () => {
    const a = await join({ instanceId: 'i1' });
    const b = await join();
    const aHolds = parts(await beat(a.memberId!, 1, ['T:0', 'T:1', 'T:2', 'T:3']))!;
    await beat(a.memberId!, 1, aHolds);
    const bHolds = parts(await beat(b.memberId!, 2, []))!;
    assert.equal((await hb({ memberId: a.memberId!, memberEpoch: -2 })).memberEpoch, -2);
    assert.equal((await beat(b.memberId!, 2, bHolds)).assignment, null, 'b is not given a’s partitions');
    const back = await join({ instanceId: 'i1' });
    assert.equal(back.errorCode, ErrorCode.NONE);
    assert.notEqual(back.memberId, a.memberId);
    assert.equal(back.memberEpoch, 2, 'no new group epoch');
    assert.deepEqual(parts(back), aHolds);
    assert.equal((await beat(a.memberId!, 2, aHolds)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'the old member id is gone');
    assert.equal((await join({ instanceId: 'i1' })).errorCode, ErrorCode.UNRELEASED_INSTANCE_ID, 'the instance is held again');
    // Gone for good: once its session expires, b takes its partitions.
    assert.equal((await hb({ memberId: back.memberId!, memberEpoch: -2 })).errorCode, ErrorCode.NONE);
    let bEpoch = 2;
    let held = bHolds;
    for (let i = 0; i < 10; i++) {
      clock.advance(5_000);
      const r = await beat(b.memberId!, bEpoch, held);
      bEpoch = r.memberEpoch;
      held = parts(r) ?? held;
    }
    assert.deepEqual(held, ['T:0', 'T:1', 'T:2', 'T:3']);
  });

  it('takes a heartbeat with the previous epoch when the answer that moved the member on was lost', async () => {
    const a = await join();
    const b = await join();
    const kept = parts(await beat(a.memberId!, 1, ['T:0', 'T:1', 'T:2', 'T:3']))!;
    assert.equal((await beat(a.memberId!, 1, kept)).memberEpoch, 2);
    // The answer with epoch 2 was lost: a sends epoch 1 again, holding no more than it has.
    assert.equal((await beat(a.memberId!, 1, kept)).errorCode, ErrorCode.NONE);
    assert.equal((await beat(a.memberId!, 1, ['T:0', 'T:1', 'T:2', 'T:3'])).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    assert.ok(b.memberId);
  });

  it('moves to a new epoch when a subscribed topic grows or a subscription changes', async () => {
    const a = await join();
    partitionCounts.set('t', 6);
    const grown = await beat(a.memberId!, 1, ['T:0', 'T:1', 'T:2', 'T:3']);
    assert.equal(grown.memberEpoch, 2);
    assert.equal(parts(grown)!.length, 6);
    partitionCounts.set('u', 1);
    const both = await hb({ memberId: a.memberId!, memberEpoch: 2, subscribedTopicNames: ['t', 'u'] });
    assert.equal(both.memberEpoch, 3);
    assert.deepEqual(parts(both)!.filter((k) => k.startsWith('U:')), ['U:0']);
  });

  it('checks offset commits and fetches against member epochs', async () => {
    const a = await join();
    const commit = (memberId: string, epoch: number) =>
      c.commitOffsets({ groupId: 'g', generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null, retentionTimeMs: -1n, groupIdNotFoundIfMissing: true, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    const code = async (p: ReturnType<typeof commit>) => (await p)[0]!.partitions[0]!.errorCode;
    const settled = async (p: ReturnType<typeof commit>) => {
      const r = code(p);
      await settle();
      return r;
    };
    assert.equal(await settled(commit(a.memberId!, 0)), ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(await settled(commit('nobody', 1)), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await settled(commit('', -1)), ErrorCode.UNKNOWN_MEMBER_ID, 'a tool may not commit while the group has members');
    assert.equal(await settled(commit(a.memberId!, 1)), ErrorCode.NONE);
    const fetched = await c.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: false, memberId: null, memberEpoch: -1 });
    assert.equal(fetched.topics[0]!.partitions[0]!.committedOffset, 42n, 'a tool may fetch');
    assert.equal((await c.fetchOffsets({ groupId: 'g', topics: null, requireStable: false, memberId: a.memberId!, memberEpoch: 0 })).errorCode, ErrorCode.STALE_MEMBER_EPOCH);
    // A transactional commit naming no member is taken (Kafka's isTransactional rule); one naming a member is checked.
    const txnCommit = (memberId: string, generationId: number) =>
      c.commitTransactionalOffsets({ groupId: 'g', generationId, memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null }] }] }, { producerId: 5n, producerEpoch: 0 });
    assert.equal(await settled(txnCommit('', -1)), ErrorCode.NONE);
    assert.equal(await settled(txnCommit(a.memberId!, 0)), ErrorCode.STALE_MEMBER_EPOCH);
    await hb({ memberId: a.memberId!, memberEpoch: -1 });
    assert.equal(await settled(commit('', -1)), ErrorCode.NONE, 'the group is empty now');
  });

  it('keeps the offsets of topics its members subscribe to past retention, and OffsetDelete spares them', async () => {
    await c.close();
    c = await open({ 'offsets.retention.minutes': 1 });
    partitionCounts.set('u', 1);
    const a = await join();
    const offsets = [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }, { name: 'u', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null }] }];
    const committed = c.commitOffsets({ groupId: 'g', generationIdOrMemberEpoch: 1, memberId: a.memberId!, groupInstanceId: null, retentionTimeMs: -1n, groupIdNotFoundIfMissing: true, topics: offsets });
    await settle();
    assert.deepEqual((await committed).flatMap((t) => t.partitions.map((p) => p.errorCode)), [ErrorCode.NONE, ErrorCode.NONE]);
    for (let i = 0; i < 5; i++) {
      clock.advance(30_000);
      await beat(a.memberId!, 1, ['T:0', 'T:1', 'T:2', 'T:3']);
    }
    await c.expireOffsets();
    const left = await c.fetchOffsets({ groupId: 'g', topics: null, requireStable: false });
    assert.deepEqual(left.topics.map((t) => [t.name, t.partitions[0]!.committedOffset]), [['t', 5n]], 'u is not subscribed to: its offset expired');
    const deleted = c.deleteOffsets({ groupId: 'g', topics: [{ name: 't', partitions: [0] }] });
    await settle();
    assert.equal((await deleted).topics[0]!.partitions[0]!.errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
  });

  it('deletes an empty consumer group without offsets at the offsets expiry, as Kafka cleans groups up', async () => {
    const a = await join();
    await c.expireOffsets();
    assert.equal(c.describeConsumerGroups(['g'])[0]!.errorCode, ErrorCode.NONE, 'a group with members stays');
    await hb({ memberId: a.memberId!, memberEpoch: -1 });
    await c.expireOffsets();
    assert.equal(c.describeConsumerGroups(['g'])[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('is known to a coordinator that loads it again: members keep their epochs and partitions, the left and deleted stay gone', async () => {
    const a = await join();
    const b = await join();
    const kept = parts(await beat(a.memberId!, 1, ['T:0', 'T:1', 'T:2', 'T:3']))!;
    await beat(a.memberId!, 1, kept);
    const bHolds = parts(await beat(b.memberId!, 2, []))!;
    const before = c.describeConsumerGroups(['g'])[0]!;
    await c.close();
    c = await open();
    assert.deepEqual(c.describeConsumerGroups(['g'])[0], before);
    assert.equal((await beat(a.memberId!, 2, kept)).errorCode, ErrorCode.NONE, 'a heartbeats on with its epoch');
    assert.equal((await beat(b.memberId!, 2, bHolds)).errorCode, ErrorCode.NONE);
    // Sessions start again at the load: a member that does not come back is removed.
    let bEpoch = 2;
    for (let i = 0; i < 10; i++) {
      clock.advance(5_000);
      bEpoch = (await beat(b.memberId!, bEpoch, bHolds)).memberEpoch;
    }
    assert.equal(bEpoch, 3);
    assert.equal((await beat(a.memberId!, 2, kept)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await hb({ memberId: b.memberId!, memberEpoch: -1 });
    await c.close();
    c = await open();
    assert.equal(c.describeConsumerGroups(['g'])[0]!.groupState, 'Empty', 'the members that left stay gone');
    assert.equal((await c.deleteGroups(['g']))[0]!.errorCode, ErrorCode.NONE);
    await c.close();
    c = await open();
    assert.equal(c.describeConsumerGroups(['g'])[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'a deleted group stays deleted');
  });

  it('shares group ids with classic groups: with migration disabled a classic group with members is no consumer group; an empty one of either kind converts', async () => {
    await c.close();
    c = await open({ 'group.consumer.migration.policy': 'disabled' });
    const classic = c.joinGroup(joinParams('classic', '', { requireKnownMemberId: false }));
    clock.advance(3_000);
    assert.equal((await classic).errorCode, ErrorCode.NONE);
    assert.equal((await hb({ groupId: 'classic', rebalanceTimeoutMs: 1000, subscribedTopicNames: ['t'], topicPartitions: [] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

    const a = await join();
    assert.deepEqual(
      c.listGroups([], ['consumer']).map((g) => [g.groupId, g.groupState, g.protocolType]),
      [['g', 'Stable', 'consumer']],
    );
    assert.equal(c.describeGroups(['g'])[0]!.groupState, 'Dead', 'not a classic group');
    assert.equal((await c.deleteGroups(['g']))[0]!.errorCode, ErrorCode.NON_EMPTY_GROUP);
    await hb({ memberId: a.memberId!, memberEpoch: -1 });
    assert.equal(c.describeConsumerGroups(['g'])[0]!.groupState, 'Empty');
    const rejoin = c.joinGroup(joinParams('g', '', { requireKnownMemberId: false }));
    clock.advance(3_000);
    assert.equal((await rejoin).errorCode, ErrorCode.NONE, 'the empty consumer group became a classic group');
    assert.equal(c.describeConsumerGroups(['g'])[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    await c.close();
    c = await open({ 'group.consumer.migration.policy': 'disabled' });
    assert.equal(c.describeConsumerGroups(['g'])[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'and stays one once loaded again');
  });
});
