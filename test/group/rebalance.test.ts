/** The classic rebalance state machine, driven by a ManualClock: joins, syncs, leaves, timeouts, leader failure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupState } from '../../src/group/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { TestMember, assignment, completeJoins, harness, joinParams, peek, rebalance, settle, subscription } from './helpers.js';

describe('joining a new group', () => {
  it('asks an unknown member to rejoin with an id, waits the initial delay, then makes the first joiner leader', async () => {
    const h = await harness();
    const first = await h.coordinator.joinGroup(joinParams('g', '', { clientId: 'app' }));
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.equal(first.memberId, 'app-u1');
    assert.equal(h.coordinator.group('g')?.state, GroupState.Empty);

    const join = h.coordinator.joinGroup(joinParams('g', 'app-u1'));
    assert.equal(h.coordinator.group('g')?.state, GroupState.PreparingRebalance);
    h.clock.advance(2999);
    assert.equal((await peek(join)).done, false, 'the join waits for the initial rebalance delay');
    h.clock.advance(1);
    const r = await join;
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.generationId, 1);
    assert.equal(r.leader, 'app-u1');
    assert.equal(r.protocolName, 'range');
    assert.equal(r.protocolType, 'consumer');
    assert.deepEqual(r.members.map((m) => m.memberId), ['app-u1']);
    assert.equal(h.coordinator.group('g')?.state, GroupState.CompletingRebalance);

    const a = assignment('t', [0, 1]);
    const sync = await h.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: 'app-u1', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: 'app-u1', assignment: a }] });
    assert.equal(sync.errorCode, ErrorCode.NONE);
    assert.deepEqual(sync.assignment, a);
    assert.equal(h.coordinator.group('g')?.state, GroupState.Stable);
    assert.equal(h.store.batchCount, 1, 'the assignment was persisted before it was handed out');
  });

  it('extends the initial delay while members keep arriving, up to the rebalance timeout', async () => {
    const h = await harness({ 'group.initial.rebalance.delay.ms': 1000 });
    const a = new TestMember(h, 'g', { rebalanceTimeoutMs: 2500 });
    const b = new TestMember(h, 'g', { rebalanceTimeoutMs: 2500 });
    const c = new TestMember(h, 'g', { rebalanceTimeoutMs: 2500 });
    const ja = (await a.begin()).result;
    h.clock.advance(900);
    const jb = (await b.begin()).result;
    h.clock.advance(100); // first delay over, but b arrived: one more delay
    assert.equal((await peek(ja)).done, false);
    h.clock.advance(900);
    const jc = (await c.begin()).result;
    h.clock.advance(100); // second delay over, c arrived, 500 ms of the rebalance timeout remain
    assert.equal((await peek(ja)).done, false);
    h.clock.advance(499);
    assert.equal((await peek(ja)).done, false);
    h.clock.advance(1);
    const results = await Promise.all([ja, jb, jc]);
    assert.deepEqual(results.map((r) => r.generationId), [1, 1, 1]);
    assert.equal(results[0]!.members.length, 3, 'the leader sees all three');
    assert.deepEqual(results.slice(1).map((r) => r.members.length), [0, 0], 'followers see none');
  });

  it('selects the protocol all members support that most prefer', async () => {
    const h = await harness();
    const md = subscription(['t']);
    const a = new TestMember(h, 'g', { protocols: [{ name: 'cooperative-sticky', metadata: md }, { name: 'range', metadata: md }] });
    const b = new TestMember(h, 'g', { protocols: [{ name: 'roundrobin', metadata: md }, { name: 'range', metadata: md }, { name: 'cooperative-sticky', metadata: md }] });
    const c = new TestMember(h, 'g', { protocols: [{ name: 'cooperative-sticky', metadata: md }, { name: 'range', metadata: md }] });
    const joins = await Promise.all([a, b, c].map((m) => m.begin()));
    const rs = await completeJoins(h, joins.map((j) => j.result));
    assert.deepEqual(rs.map((r) => r.protocolName), ['cooperative-sticky', 'cooperative-sticky', 'cooperative-sticky']);
    const rd = await h.coordinator.joinGroup(joinParams('g', '', { protocols: [{ name: 'roundrobin', metadata: md }] }));
    assert.equal(rd.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'no protocol in common with the group');
    const e = await h.coordinator.joinGroup(joinParams('g', '', { protocolType: 'connect' }));
    assert.equal(e.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'another protocol type');
  });
});

describe('rebalancing a stable group', () => {
  it('a new member triggers a rebalance: others see REBALANCE_IN_PROGRESS, rejoin, and a new generation starts', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g');
    await rebalance(h, [a]);
    assert.equal(a.heartbeat(), ErrorCode.NONE);
    const b = new TestMember(h, 'g');
    const jb = (await b.begin()).result;
    assert.equal(h.coordinator.group('g')?.state, GroupState.PreparingRebalance);
    assert.equal(a.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal((await a.sync()).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    const ja = (await a.begin()).result;
    const [ra, rb] = await Promise.all([ja, jb]);
    assert.equal(ra.generationId, 2);
    assert.equal(rb.generationId, 2);
    assert.equal(ra.leader, a.memberId, 'the leader stays the leader');
    assert.equal(ra.members.length, 2);
    // The follower's sync waits for the leader's assignment.
    const sb = b.sync();
    assert.equal((await peek(sb)).done, false);
    await a.sync([{ memberId: a.memberId, assignment: assignment('t', [0]) }, { memberId: b.memberId, assignment: assignment('t', [1]) }]);
    assert.deepEqual((await sb).assignment, assignment('t', [1]));
    assert.equal(h.coordinator.group('g')?.state, GroupState.Stable);
  });

  it('a follower rejoining with the same metadata gets the current generation without a rebalance', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g');
    const b = new TestMember(h, 'g');
    await rebalance(h, [a, b]);
    const r = await b.join();
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.generationId, 1);
    assert.equal(h.coordinator.group('g')?.state, GroupState.Stable);
    // The leader rejoining does force a rebalance (it may have seen topic metadata change).
    void a.begin();
    await settle();
    assert.equal(h.coordinator.group('g')?.state, GroupState.PreparingRebalance);
  });

  it('a LeaveGroup rebalances at once, without waiting for a session timeout', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g');
    const b = new TestMember(h, 'g');
    await rebalance(h, [a, b]);
    assert.equal(await b.leave(), ErrorCode.NONE);
    assert.equal(h.coordinator.group('g')?.state, GroupState.PreparingRebalance);
    const r = await a.join();
    assert.equal(r.generationId, 2, 'the join phase completes as soon as the remaining member rejoins');
    assert.deepEqual(r.members.map((m) => m.memberId), [a.memberId]);
    assert.equal(b.heartbeat(), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('the last member leaving empties the group, bumps the generation and persists it', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g');
    await rebalance(h, [a]);
    const before = h.store.batchCount;
    assert.equal(await a.leave(), ErrorCode.NONE);
    await settle();
    const g = h.coordinator.group('g')!;
    assert.equal(g.state, GroupState.Empty);
    assert.equal(g.generationId, 2);
    assert.equal(h.store.batchCount, before + 1);
  });

  it('leaves several members in one request, by member id or by group.instance.id, and reports each', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g');
    const s = new TestMember(h, 'g', { groupInstanceId: 'i-1' });
    const c = new TestMember(h, 'g');
    await rebalance(h, [a, s, c]);
    const r = await h.coordinator.leaveGroup({
      groupId: 'g',
      members: [
        { memberId: '', groupInstanceId: 'i-1', reason: null },
        { memberId: c.memberId, groupInstanceId: null, reason: 'bye' },
        { memberId: 'nobody', groupInstanceId: null, reason: null },
        { memberId: 'nobody', groupInstanceId: 'i-1', reason: null },
      ],
    });
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.deepEqual(r.members.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.deepEqual([...h.coordinator.group('g')!.members.keys()], [a.memberId]);
    assert.equal((await h.coordinator.leaveGroup({ groupId: 'nope', members: [] })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe('timeouts', () => {
  it('a member that stops heartbeating is removed after session.timeout.ms and the group rebalances', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g', { sessionTimeoutMs: 6000 });
    const b = new TestMember(h, 'g', { sessionTimeoutMs: 6000 });
    await rebalance(h, [a, b]);
    for (let t = 0; t < 2; t++) {
      h.clock.advance(2000);
      assert.equal(a.heartbeat(), ErrorCode.NONE); // b is silent
    }
    const g = h.coordinator.group('g')!;
    h.clock.advance(1999);
    assert.equal(g.members.has(b.memberId), true, 'b is within its session');
    h.clock.advance(1);
    assert.equal(g.members.has(b.memberId), false, 'b expired');
    assert.equal(g.state, GroupState.PreparingRebalance);
    assert.equal(a.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS);
    const r = await a.join();
    assert.equal(r.generationId, 2);
    assert.deepEqual(r.members.map((m) => m.memberId), [a.memberId]);
  });

  it('a commit keeps a session alive like a heartbeat', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g', { sessionTimeoutMs: 6000 });
    await rebalance(h, [a]);
    for (let t = 0; t < 5; t++) {
      h.clock.advance(5000);
      const [res] = await h.coordinator.commitOffsets({ groupId: 'g', generationIdOrMemberEpoch: a.generation, memberId: a.memberId, groupInstanceId: null, retentionTimeMs: -1n, groupIdNotFoundIfMissing: false, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: BigInt(t), committedLeaderEpoch: -1, committedMetadata: null }] }] });
      assert.equal(res!.partitions[0]!.errorCode, ErrorCode.NONE);
    }
    assert.equal(h.coordinator.group('g')?.state, GroupState.Stable);
  });

  it('a member that does not rejoin within the rebalance timeout is dropped and the others go on', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g', { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    const b = new TestMember(h, 'g', { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    const c = new TestMember(h, 'g', { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    await rebalance(h, [a, b]);
    const jc = (await c.begin()).result;
    const ja = (await a.begin()).result;
    h.clock.advance(10_000);
    assert.equal(b.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS, 'b heartbeats but never rejoins');
    h.clock.advance(9_999);
    assert.equal((await peek(ja)).done, false);
    h.clock.advance(1);
    const [ra, rc] = await Promise.all([ja, jc]);
    assert.equal(ra.generationId, 2);
    assert.deepEqual(ra.members.map((m) => m.memberId).sort(), [a.memberId, c.memberId].sort());
    assert.equal(rc.leader, a.memberId);
    assert.equal(b.heartbeat(), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a member id handed out with MEMBER_ID_REQUIRED expires if never used, and does not hold up a rebalance', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g', { sessionTimeoutMs: 5000 });
    await rebalance(h, [a]);
    const pending = await h.coordinator.joinGroup(joinParams('g', '', { sessionTimeoutMs: 5000 }));
    assert.equal(pending.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    const ja = (await a.begin({ sessionTimeoutMs: 5000 })).result;
    assert.equal((await peek(ja)).done, false, 'the join phase waits for the pending member');
    h.clock.advance(5000);
    const r = await ja;
    assert.equal(r.generationId, 2);
    assert.equal(h.coordinator.group('g')!.pendingJoinMembers.size, 0);
    const late = await h.coordinator.joinGroup(joinParams('g', pending.memberId));
    assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe('leader failure mid-rebalance', () => {
  it('a leader that never rejoins is replaced by a member that did', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g', { rebalanceTimeoutMs: 10_000, sessionTimeoutMs: 60_000 });
    const b = new TestMember(h, 'g', { rebalanceTimeoutMs: 10_000, sessionTimeoutMs: 60_000 });
    const c = new TestMember(h, 'g', { rebalanceTimeoutMs: 10_000, sessionTimeoutMs: 60_000 });
    const first = await rebalance(h, [a, b]);
    assert.equal(first[0]!.leader, a.memberId);
    const jc = (await c.begin()).result;
    const jb = (await b.begin()).result;
    h.clock.advance(10_000);
    const [rb, rc] = await Promise.all([jb, jc]);
    assert.equal(rb.leader, b.memberId, 'b, the first to rejoin, leads');
    assert.equal(rb.members.length, 2);
    assert.equal(rc.members.length, 0);
    assert.equal(h.coordinator.group('g')!.members.has(a.memberId), false);
  });

  it('a leader that dies after the join phase is removed at the rebalance timeout and the waiting followers rejoin', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g', { rebalanceTimeoutMs: 10_000, sessionTimeoutMs: 60_000 });
    const b = new TestMember(h, 'g', { rebalanceTimeoutMs: 10_000, sessionTimeoutMs: 60_000 });
    const joins = (await Promise.all([a.begin(), b.begin()])).map((j) => j.result);
    const [ra] = await completeJoins(h, joins);
    assert.equal(ra!.leader, a.memberId);
    const sb = b.sync(); // a (the leader) never syncs
    h.clock.advance(9_999);
    assert.equal((await peek(sb)).done, false);
    h.clock.advance(1);
    assert.equal((await sb).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    const g = h.coordinator.group('g')!;
    assert.equal(g.members.has(a.memberId), false, 'the silent leader is gone');
    assert.equal(g.state, GroupState.PreparingRebalance);
    const r = await b.join();
    assert.equal(r.leader, b.memberId);
    assert.equal(r.generationId, 2);
    await b.sync([{ memberId: b.memberId, assignment: assignment('t', [0, 1]) }]);
    assert.equal(g.state, GroupState.Stable);
  });

  it('a leader whose session expires while followers wait in SyncGroup triggers a rebalance', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g', { rebalanceTimeoutMs: 60_000, sessionTimeoutMs: 6000 });
    const b = new TestMember(h, 'g', { rebalanceTimeoutMs: 60_000, sessionTimeoutMs: 6000 });
    const joins = (await Promise.all([a.begin(), b.begin()])).map((j) => j.result);
    await completeJoins(h, joins);
    const sb = b.sync();
    h.clock.advance(6000);
    assert.equal((await sb).errorCode, ErrorCode.REBALANCE_IN_PROGRESS, 'b, parked in SyncGroup, is told to rejoin');
    assert.equal(h.coordinator.group('g')!.members.has(a.memberId), false);
    assert.equal(h.coordinator.group('g')!.members.has(b.memberId), true, 'a member parked in SyncGroup does not expire');
  });
});

describe('static membership (group.instance.id)', () => {
  it('a restart within the session timeout replaces the member id without a rebalance and keeps the assignment', async () => {
    const h = await harness();
    const s = new TestMember(h, 'g', { groupInstanceId: 'pod-1', sessionTimeoutMs: 30_000 });
    const d = new TestMember(h, 'g', { sessionTimeoutMs: 30_000 });
    await rebalance(h, [s, d]);
    const g = h.coordinator.group('g')!;
    const oldId = s.memberId;
    const oldAssignment = g.member(oldId)!.assignment;
    h.clock.advance(10_000); // the process restarts and forgets its member id
    assert.equal(d.heartbeat(), ErrorCode.NONE);
    const restarted = new TestMember(h, 'g', { groupInstanceId: 'pod-1', sessionTimeoutMs: 30_000 });
    const r = await restarted.join();
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.notEqual(r.memberId, oldId);
    assert.equal(r.generationId, 1, 'same generation: no rebalance');
    assert.equal(g.state, GroupState.Stable);
    assert.equal(d.heartbeat(), ErrorCode.NONE, 'the other member never sees a rebalance');
    const sync = await restarted.sync();
    assert.deepEqual(sync.assignment, oldAssignment);
    // The old incarnation is fenced.
    assert.equal(s.heartbeat(), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal((await s.sync()).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  });

  it('a static leader that restarts is told to skip the assignment (JoinGroup v9) and keeps leading', async () => {
    const h = await harness();
    const s = new TestMember(h, 'g', { groupInstanceId: 'pod-1' });
    const d = new TestMember(h, 'g');
    await rebalance(h, [s, d]);
    assert.equal(h.coordinator.group('g')!.leaderId, s.memberId);
    const again = new TestMember(h, 'g', { groupInstanceId: 'pod-1' });
    const r = await again.join();
    assert.equal(r.skipAssignment, true);
    assert.equal(r.leader, again.memberId);
    assert.equal(r.members.length, 2);
    const old = new TestMember(h, 'g', { groupInstanceId: 'pod-1', supportsSkipAssignment: false });
    const r2 = await old.join();
    assert.equal(r2.skipAssignment, false);
    assert.equal(r2.members.length, 0, 'before v9 the rejoining leader is not sent the members');
  });

  it('a static member away longer than its session timeout is removed and the group rebalances', async () => {
    const h = await harness();
    const s = new TestMember(h, 'g', { groupInstanceId: 'pod-1', sessionTimeoutMs: 6000 });
    const d = new TestMember(h, 'g', { sessionTimeoutMs: 60_000 });
    await rebalance(h, [s, d]);
    h.clock.advance(6000);
    const g = h.coordinator.group('g')!;
    assert.equal(g.staticMembers.has('pod-1'), false);
    assert.equal(g.state, GroupState.PreparingRebalance);
  });

  it('a static member rejoining with the same instance id and a stale member id is fenced', async () => {
    const h = await harness();
    const s = new TestMember(h, 'g', { groupInstanceId: 'pod-1' });
    await rebalance(h, [s]);
    const r = await h.coordinator.joinGroup(joinParams('g', 'someone-else', { groupInstanceId: 'pod-1' }));
    assert.equal(r.errorCode, ErrorCode.FENCED_INSTANCE_ID);
    const c = await h.coordinator.commitOffsets({ groupId: 'g', generationIdOrMemberEpoch: 1, memberId: 'someone-else', groupInstanceId: 'pod-1', retentionTimeMs: -1n, groupIdNotFoundIfMissing: false, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    assert.equal(c[0]!.partitions[0]!.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  });

  it('a static member replacing itself during CompletingRebalance forces a new join phase', async () => {
    const h = await harness();
    const s = new TestMember(h, 'g', { groupInstanceId: 'pod-1' });
    const d = new TestMember(h, 'g');
    const joins = (await Promise.all([s.begin(), d.begin()])).map((j) => j.result);
    await completeJoins(h, joins);
    const sd = d.sync();
    const again = new TestMember(h, 'g', { groupInstanceId: 'pod-1' });
    const ja = (await again.begin()).result;
    assert.equal((await sd).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    const jd = (await d.begin()).result;
    const [ra] = await Promise.all([ja, jd]);
    assert.equal(ra.generationId, 2);
  });
});

describe('bad input keeps the group consistent', () => {
  it('answers invalid group ids, session timeouts, unknown members and wrong generations with Kafka\'s codes', async () => {
    const h = await harness({ 'group.max.session.timeout.ms': 60_000 });
    const c = h.coordinator;
    assert.equal((await c.joinGroup(joinParams('', ''))).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal((await c.joinGroup(joinParams('g', '', { sessionTimeoutMs: 999 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await c.joinGroup(joinParams('g', '', { sessionTimeoutMs: 60_001 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await c.joinGroup(joinParams('nope', 'who'))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.heartbeat({ groupId: '', generationId: 1, memberId: 'x', groupInstanceId: null }), ErrorCode.INVALID_GROUP_ID);
    assert.equal((await c.syncGroup({ groupId: '', generationId: 1, memberId: 'x', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal((await c.leaveGroup({ groupId: '', members: [] })).errorCode, ErrorCode.INVALID_GROUP_ID);

    const a = new TestMember(h, 'g');
    await rebalance(h, [a]);
    const g = c.group('g')!;
    assert.equal(c.heartbeat({ groupId: 'g', generationId: 7, memberId: a.memberId, groupInstanceId: null }), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(c.heartbeat({ groupId: 'g', generationId: 1, memberId: 'ghost', groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.heartbeat({ groupId: 'nope', generationId: 1, memberId: 'ghost', groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
    const sync = (over: object) => c.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [], ...over });
    assert.equal((await sync({ generationId: 0 })).errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await sync({ memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await sync({ protocolName: 'roundrobin' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await c.joinGroup(joinParams('g', 'ghost'))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    // None of that disturbed the group.
    assert.equal(g.state, GroupState.Stable);
    assert.equal(g.generationId, 1);
    assert.equal(a.heartbeat(), ErrorCode.NONE);
  });

  it('refuses members beyond group.max.size and oversized protocol metadata', async () => {
    const h = await harness({ 'group.max.size': 2, 'samsa.group.max.member.metadata.bytes': 100 });
    const a = new TestMember(h, 'g');
    const b = new TestMember(h, 'g');
    await rebalance(h, [a, b]);
    const third = await h.coordinator.joinGroup(joinParams('g', '', { groupInstanceId: 'x' }));
    assert.equal(third.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    const big = await h.coordinator.joinGroup(joinParams('g2', '', { protocols: [{ name: 'range', metadata: Buffer.alloc(200) }] }));
    assert.equal(big.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(h.coordinator.group('g')!.size, 2);
    assert.equal(a.heartbeat(), ErrorCode.NONE);
  });

  it('refuses offset commits during CompletingRebalance and from old generations', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g');
    const joins = (await a.begin()).result;
    h.clock.advance(3000);
    await joins;
    const commit = (generation: number) =>
      h.coordinator.commitOffsets({ groupId: 'g', generationIdOrMemberEpoch: generation, memberId: a.memberId, groupInstanceId: null, retentionTimeMs: -1n, groupIdNotFoundIfMissing: false, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    assert.equal((await commit(1))[0]!.partitions[0]!.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    await a.sync([{ memberId: a.memberId, assignment: assignment('t', [0]) }]);
    assert.equal((await commit(0))[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await commit(-1))[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION, 'a member id with generation -1 is checked like any');
    assert.equal((await commit(1))[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  });

  it('answers every parked request when the coordinator closes', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g');
    const ja = (await a.begin()).result;
    await h.coordinator.close();
    assert.equal((await ja).errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(h.clock.pendingTimers, 0);
    assert.equal(a.heartbeat(), ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
