/**
 * Kafka 4's online migration between the group protocols, in the coordinator on a manual clock:
 * classic members (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) inside a KIP-848 consumer group,
 * a classic group upgraded when a consumer-protocol member joins it, and downgraded again when
 * that member leaves, with group.consumer.migration.policy deciding which conversions happen.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';
import type { ConsumerGroupHeartbeatParams, ConsumerGroupHeartbeatResult } from '../../src/group/consumer-group-manager.js';
import { decodeAssignment } from '../../src/protocol/consumer-protocol.js';
import { type GroupConfig, type SyncGroupResult, GroupCoordinator, MemoryOffsetsStore } from '../../src/group/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { assignment, joinParams, settle, silent, subscription } from './helpers.js';

const T = 'AAAAAAAAAAAAAAAAAAAAAQ';
const topics = {
  byName: (name: string) => (name === 't' ? { id: T, partitionCount: 4 } : undefined),
  byId: (id: string) => (id === T ? { name: 't', partitionCount: 4 } : undefined),
};

let clock: ManualClock;
let store: MemoryOffsetsStore;
let c: GroupCoordinator;
let n = 0;
const open = (config: Partial<GroupConfig> = {}) => GroupCoordinator.open({ clock, logger: silent, store, config, randomUuid: () => `m${++n}`, topics });
beforeEach(async () => {
  clock = new ManualClock(1_000_000);
  store = new MemoryOffsetsStore();
  c = await open();
});

function hb(p: Partial<ConsumerGroupHeartbeatParams>): Promise<ConsumerGroupHeartbeatResult> {
  return c.consumerGroupHeartbeat({ groupId: 'g', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, serverAssignor: null, topicPartitions: null, clientId: 'c', clientHost: '/127.0.0.1', ...p });
}
const join = () => hb({ rebalanceTimeoutMs: 10_000, subscribedTopicNames: ['t'], topicPartitions: [] });
const beat = (memberId: string, memberEpoch: number, ps: number[]) => hb({ memberId, memberEpoch, topicPartitions: [{ topicId: T, partitions: ps }] });
const partitionsOf = (r: ConsumerGroupHeartbeatResult) => r.assignment?.topicPartitions.flatMap((t) => t.partitions).sort();

/** A classic member as an eager client (kafkajs) drives it: subscription v1, no owned partitions. */
class ClassicMember {
  memberId = '';
  generation = -1;
  constructor(private readonly sessionTimeoutMs = 10_000) {}

  async join(): Promise<number> {
    let r = await c.joinGroup(joinParams('g', this.memberId, { sessionTimeoutMs: this.sessionTimeoutMs }));
    if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) r = await c.joinGroup(joinParams('g', (this.memberId = r.memberId), { sessionTimeoutMs: this.sessionTimeoutMs }));
    if (r.errorCode === ErrorCode.NONE) {
      assert.deepEqual([r.leader, r.protocolType, r.protocolName, r.members], ['', 'consumer', 'range', []], 'nobody leads: the coordinator assigns');
      this.generation = r.generationId;
    }
    return r.errorCode;
  }

  sync(assignments: { memberId: string; assignment: Buffer }[] = []): Promise<SyncGroupResult> {
    return c.syncGroup({ groupId: 'g', generationId: this.generation, memberId: this.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments });
  }

  async partitions(): Promise<number[]> {
    const r = await this.sync();
    assert.equal(r.errorCode, ErrorCode.NONE);
    return decodeAssignment(r.assignment).flatMap((t) => t.partitions).sort();
  }

  heartbeat(): number {
    return c.heartbeat({ groupId: 'g', generationId: this.generation, memberId: this.memberId, groupInstanceId: null });
  }
}

describe('classic members of consumer groups (online migration)', () => {
  it('assigns a classic member from its subscription, moves partitions only once revoked, and keeps it across a restart', async () => {
    const a = await join();
    assert.deepEqual(partitionsOf(a), [0, 1, 2, 3]);
    const k = new ClassicMember();
    assert.equal(await k.join(), ErrorCode.NONE);
    assert.equal(k.generation, 2, 'its generation is its member epoch');
    assert.deepEqual(await k.partitions(), [], 'nothing until a revokes');
    assert.equal(k.heartbeat(), ErrorCode.NONE, 'waiting on partitions a still holds');

    const kept = partitionsOf(await beat(a.memberId!, 1, [0, 1, 2, 3]))!;
    assert.equal(kept.length, 2);
    assert.equal((await beat(a.memberId!, 1, kept)).memberEpoch, 2);
    assert.equal(k.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS, 'its partitions are free: rejoin to get them');
    assert.equal(await k.join(), ErrorCode.NONE);
    const got = await k.partitions();
    assert.deepEqual([...got, ...kept].sort(), [0, 1, 2, 3]);
    assert.equal(k.heartbeat(), ErrorCode.NONE);
    const d = c.describeConsumerGroups(['g'])[0]!;
    assert.deepEqual([d.groupState, d.members.length], ['Stable', 2]);

    // Offsets: a classic member commits with its generation; a stale one is ILLEGAL_GENERATION, as its client expects.
    const commit = (generation: number) =>
      c.commitOffsets({ groupId: 'g', generationIdOrMemberEpoch: generation, memberId: k.memberId, groupInstanceId: null, retentionTimeMs: -1n, groupIdNotFoundIfMissing: false, topics: [{ name: 't', partitions: [{ partitionIndex: got[0]!, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    const stale = commit(1);
    await settle();
    assert.equal((await stale)[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
    const ok = commit(2);
    await settle();
    assert.equal((await ok)[0]!.partitions[0]!.errorCode, ErrorCode.NONE);

    await c.close();
    c = await open();
    assert.equal(k.heartbeat(), ErrorCode.NONE, 'the classic member and its generation were loaded');
    assert.deepEqual(await k.partitions(), got);

    const left = await c.leaveGroup({ groupId: 'g', members: [{ memberId: k.memberId, groupInstanceId: null, reason: null }] });
    assert.deepEqual(left.members.map((m) => m.errorCode), [ErrorCode.NONE]);
    assert.deepEqual(partitionsOf(await beat(a.memberId!, 2, kept)), [0, 1, 2, 3], 'a takes back what k gave up');
    assert.equal(k.heartbeat(), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('removes a classic member that does not sync, or stops heartbeating, within its timeouts', async () => {
    const a = await join();
    const k = new ClassicMember(60_000);
    assert.equal(await k.join(), ErrorCode.NONE);
    clock.advance(29_000);
    await settle();
    assert.equal(c.describeConsumerGroups(['g'])[0]!.members.length, 2);
    clock.advance(1_001);
    await settle();
    assert.equal(c.describeConsumerGroups(['g'])[0]!.members.length, 1, 'no SyncGroup within the rebalance timeout (30 s)');

    const k2 = new ClassicMember();
    assert.equal(await k2.join(), ErrorCode.NONE);
    await k2.partitions();
    await beat(a.memberId!, a.memberEpoch, [0, 1, 2, 3]);
    clock.advance(9_000);
    await settle();
    assert.equal(c.describeConsumerGroups(['g'])[0]!.members.length, 2);
    clock.advance(1_001);
    await settle();
    assert.equal(k2.heartbeat(), ErrorCode.UNKNOWN_MEMBER_ID, 'its own session timeout (10 s), not group.consumer.session.timeout.ms');
  });

  it('upgrades a classic group when a consumer member joins, and downgrades it when that member leaves', async () => {
    // A classic group of one eager member holding all of t.
    const k = new ClassicMember();
    const first = c.joinGroup(joinParams('g', '', { requireKnownMemberId: false }));
    clock.advance(3_000);
    const j = await first;
    Object.assign(k, { memberId: j.memberId, generation: j.generationId });
    assert.equal(j.leader, j.memberId);
    assert.equal((await k.sync([{ memberId: k.memberId, assignment: assignment('t', [0, 1, 2, 3]) }])).errorCode, ErrorCode.NONE);

    const b = await join();
    assert.equal(b.errorCode, ErrorCode.NONE, 'the group became a consumer group');
    assert.equal(b.memberEpoch, j.generationId + 1);
    assert.deepEqual(partitionsOf(b), [], 'k still holds everything');
    assert.deepEqual(c.listGroups([], []).map((g) => [g.groupId, g.groupType]), [['g', 'consumer']]);
    assert.equal(k.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(await k.join(), ErrorCode.NONE);
    assert.equal(k.generation, j.generationId, 'revoking: its epoch stays until it has given partitions up');
    const kept = await k.partitions();
    assert.equal(kept.length, 2);
    assert.equal(k.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS, 'it must say it revoked');
    assert.equal(await k.join(), ErrorCode.NONE);
    assert.deepEqual(await k.partitions(), kept);
    assert.equal(k.generation, b.memberEpoch);
    const bGets = partitionsOf(await beat(b.memberId!, b.memberEpoch, []))!;
    assert.deepEqual([...bGets, ...kept].sort(), [0, 1, 2, 3]);

    await hb({ memberId: b.memberId!, memberEpoch: -1 });
    assert.equal(c.describeConsumerGroups(['g'])[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'a classic group again');
    const described = c.describeGroups(['g'])[0]!;
    assert.deepEqual([described.groupState, described.protocolType, described.members.map((m) => m.memberId)], ['PreparingRebalance', 'consumer', [k.memberId]]);
    assert.equal(k.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await c.joinGroup(joinParams('g', k.memberId));
    assert.deepEqual([rejoined.errorCode, rejoined.leader], [ErrorCode.NONE, k.memberId], 'a classic rebalance: k leads');
    k.generation = rejoined.generationId;
    assert.equal((await k.sync([{ memberId: k.memberId, assignment: assignment('t', [0, 1, 2, 3]) }])).errorCode, ErrorCode.NONE);
    await c.close();
    c = await open();
    assert.equal(k.heartbeat(), ErrorCode.NONE, 'loaded as the classic group it became');
  });

  it('lets a static classic member come back as a KIP-848 member with its instance id, taking its partitions over', async () => {
    const a = await join();
    const staticJoin = (memberId: string) => c.joinGroup(joinParams('g', memberId, { groupInstanceId: 'i1' }));
    let s = await staticJoin('');
    assert.equal(s.errorCode, ErrorCode.NONE, 'a static member joins without MEMBER_ID_REQUIRED');
    const kept = partitionsOf(await beat(a.memberId!, 1, [0, 1, 2, 3]))!;
    await beat(a.memberId!, 1, kept);
    s = await staticJoin(s.memberId);
    const sync = await c.syncGroup({ groupId: 'g', generationId: s.generationId, memberId: s.memberId, groupInstanceId: 'i1', protocolType: 'consumer', protocolName: 'range', assignments: [] });
    const held = decodeAssignment(sync.assignment).flatMap((t) => t.partitions).sort();
    assert.deepEqual([...held, ...kept].sort(), [0, 1, 2, 3]);
    const epoch = c.describeConsumerGroups(['g'])[0]!.groupEpoch;

    const upgraded = await hb({ instanceId: 'i1', rebalanceTimeoutMs: 10_000, subscribedTopicNames: ['t'], topicPartitions: [] });
    assert.equal(upgraded.errorCode, ErrorCode.NONE, 'no UNRELEASED_INSTANCE_ID: the classic instance cannot send the leave a KIP-848 one would');
    assert.deepEqual(partitionsOf(upgraded), held, 'its partitions, at once');
    assert.equal(c.describeConsumerGroups(['g'])[0]!.groupEpoch, epoch, 'and nobody else’s move');
    assert.equal(c.heartbeat({ groupId: 'g', generationId: s.generationId, memberId: s.memberId, groupInstanceId: 'i1' }), ErrorCode.FENCED_INSTANCE_ID);
  });

  it('answers malformed or mismatched classic requests with Kafka\'s errors, and the group serves on', async () => {
    const a = await join();
    const joinWith = (over: Parameters<typeof joinParams>[2]) => c.joinGroup(joinParams('g', '', { requireKnownMemberId: false, ...over }));
    assert.equal((await joinWith({ protocols: [{ name: 'range', metadata: Buffer.from([0, 1, 0xff]) }] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'unparseable subscription');
    assert.equal((await joinWith({ protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'not the consumer protocol');
    assert.equal((await joinWith({ sessionTimeoutMs: 1 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await c.joinGroup(joinParams('g', a.memberId!))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'a KIP-848 member id is no classic member');
    const k = new ClassicMember();
    assert.equal(await k.join(), ErrorCode.NONE);
    assert.equal((await joinWith({ protocols: [{ name: 'roundrobin', metadata: subscription(['t']) }] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'no protocol in common with the classic members');
    const sync = (over: Partial<Parameters<typeof c.syncGroup>[0]>) => c.syncGroup({ groupId: 'g', generationId: k.generation, memberId: k.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [], ...over });
    assert.equal((await sync({ protocolName: 'roundrobin' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await sync({ generationId: k.generation + 7 })).errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await sync({ memberId: 'nobody' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.heartbeat({ groupId: 'g', generationId: k.generation + 7, memberId: k.memberId, groupInstanceId: null }), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(c.heartbeat({ groupId: 'g', generationId: a.memberEpoch, memberId: a.memberId!, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID, 'a KIP-848 member may not send classic heartbeats');
    const left = await c.leaveGroup({ groupId: 'g', members: [{ memberId: a.memberId!, groupInstanceId: null, reason: null }, { memberId: 'nobody', groupInstanceId: null, reason: null }] });
    assert.deepEqual(left.members.map((m) => m.errorCode), [ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID], 'LeaveGroup removes classic members only');
    assert.deepEqual(await k.partitions(), [], 'k still waits on a');
    assert.equal(c.describeConsumerGroups(['g'])[0]!.members.length, 2, 'nothing was lost');
  });

  it('follows group.consumer.migration.policy for groups with members', async () => {
    await c.close();
    c = await open({ 'group.consumer.migration.policy': 'upgrade' });
    const k = new ClassicMember();
    const first = c.joinGroup(joinParams('g', '', { requireKnownMemberId: false, protocols: [{ name: 'range', metadata: subscription(['t']) }] }));
    clock.advance(3_000);
    Object.assign(k, { memberId: (await first).memberId, generation: (await first).generationId });
    await k.sync([{ memberId: k.memberId, assignment: assignment('t', [0, 1, 2, 3]) }]);
    const b = await join();
    assert.equal(b.errorCode, ErrorCode.NONE, 'upgrade allowed');
    await hb({ memberId: b.memberId!, memberEpoch: -1 });
    assert.equal(c.describeConsumerGroups(['g'])[0]!.members.length, 1, 'downgrade not allowed: still a consumer group, with k');

    await c.close();
    c = await open({ 'group.consumer.migration.policy': 'downgrade' });
    const other = c.joinGroup(joinParams('h', '', { requireKnownMemberId: false }));
    clock.advance(3_000);
    assert.equal((await other).errorCode, ErrorCode.NONE);
    assert.equal((await hb({ groupId: 'h', rebalanceTimeoutMs: 10_000, subscribedTopicNames: ['t'], topicPartitions: [] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'upgrade not allowed');
  });
});
