/** OffsetCommit, OffsetFetch, OffsetDelete, DeleteGroups, ListGroups, DescribeGroups and offset retention. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type OffsetCommitParams, GroupState } from '../../src/group/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { TestMember, assignment, harness, peek, rebalance, settle, subscription, tick } from './helpers.js';

const commitParams = (groupId: string, offsets: Record<string, number>, over: Partial<OffsetCommitParams> = {}): OffsetCommitParams => ({
  groupId,
  generationIdOrMemberEpoch: -1,
  memberId: '',
  groupInstanceId: null,
  retentionTimeMs: -1n,
  groupIdNotFoundIfMissing: false,
  topics: Object.entries(
    Object.entries(offsets).reduce<Record<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[]>>((acc, [tp, off]) => {
      const [topic, p] = tp.split(':') as [string, string];
      (acc[topic] ??= []).push({ partitionIndex: Number(p), committedOffset: BigInt(off), committedLeaderEpoch: 3, committedMetadata: `m${off}` });
      return acc;
    }, {}),
  ).map(([name, partitions]) => ({ name, partitions })),
  ...over,
});

const codes = (r: { partitions: { errorCode: number }[] }[]): number[] => r.flatMap((t) => t.partitions.map((p) => p.errorCode));

describe('committing and fetching offsets', () => {
  it('a standalone consumer (generation -1) commits, creating a protocol-less group, and fetches them back', async () => {
    const h = await harness();
    const r = await h.coordinator.commitOffsets(commitParams('solo', { 'a:0': 10, 'a:1': 11, 'b:0': 20 }));
    assert.deepEqual(codes(r), [0, 0, 0]);
    const g = h.coordinator.group('solo')!;
    assert.equal(g.state, GroupState.Empty);
    assert.equal(g.protocolType, null);
    const f = await h.coordinator.fetchOffsets({ groupId: 'solo', topics: [{ name: 'a', partitionIndexes: [1, 0, 5] }, { name: 'zz', partitionIndexes: [0] }], requireStable: false });
    assert.deepEqual(f.topics, [
      { name: 'a', partitions: [
        { partitionIndex: 1, committedOffset: 11n, committedLeaderEpoch: 3, metadata: 'm11', errorCode: 0 },
        { partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 3, metadata: 'm10', errorCode: 0 },
        { partitionIndex: 5, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      ] },
      { name: 'zz', partitions: [{ partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] },
    ]);
    const all = await h.coordinator.fetchOffsets({ groupId: 'solo', topics: null, requireStable: false });
    assert.deepEqual(all.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)]), [['a', [10n, 11n]], ['b', [20n]]]);
    const none = await h.coordinator.fetchOffsets({ groupId: 'nobody', topics: null, requireStable: false });
    assert.deepEqual(none.topics, []);
  });

  it('refuses metadata longer than offset.metadata.max.bytes for that partition only', async () => {
    const h = await harness({ 'offset.metadata.max.bytes': 5 });
    const p = commitParams('g', { 't:0': 1, 't:1': 2 });
    p.topics[0]!.partitions[1]!.committedMetadata = 'x'.repeat(6);
    assert.deepEqual(codes(await h.coordinator.commitOffsets(p)), [ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
    const f = await h.coordinator.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }], requireStable: false });
    assert.deepEqual(f.topics[0]!.partitions.map((x) => x.committedOffset), [1n, -1n]);
  });

  it('a member commit for a group that does not exist answers ILLEGAL_GENERATION, or GROUP_ID_NOT_FOUND from v9', async () => {
    const h = await harness();
    assert.deepEqual(codes(await h.coordinator.commitOffsets(commitParams('none', { 't:0': 1 }, { generationIdOrMemberEpoch: 3, memberId: 'm' }))), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(codes(await h.coordinator.commitOffsets(commitParams('none', { 't:0': 1 }, { generationIdOrMemberEpoch: 3, memberId: 'm', groupIdNotFoundIfMissing: true }))), [ErrorCode.GROUP_ID_NOT_FOUND]);
    assert.equal(h.coordinator.group('none'), undefined);
  });

  it('generation -1 without a member id is refused while the group has members', async () => {
    const h = await harness();
    await rebalance(h, [new TestMember(h, 'g')]);
    assert.deepEqual(codes(await h.coordinator.commitOffsets(commitParams('g', { 't:0': 1 }))), [ErrorCode.UNKNOWN_MEMBER_ID]);
  });

  it('a commit is answered and visible only once durable; require_stable waits for writes in flight', async () => {
    const h = await harness();
    await h.coordinator.commitOffsets(commitParams('g', { 't:0': 1 }));
    h.store.hold();
    const c = h.coordinator.commitOffsets(commitParams('g', { 't:0': 2 }));
    assert.equal((await peek(c)).done, false);
    const fetch = (requireStable: boolean) => h.coordinator.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], requireStable });
    assert.equal((await fetch(false)).topics[0]!.partitions[0]!.committedOffset, 1n, 'the in-flight commit is not visible');
    const stable = fetch(true);
    assert.equal((await peek(stable)).done, false, 'require_stable waits');
    h.store.release();
    assert.deepEqual(codes(await c), [0]);
    assert.equal((await stable).topics[0]!.partitions[0]!.committedOffset, 2n);
  });

  it('require_stable answers UNSTABLE_OFFSET_COMMIT if writes stay in flight past offsets.commit.timeout.ms, and the commit fails', async () => {
    const h = await harness({ 'offsets.commit.timeout.ms': 1000 });
    h.store.hold();
    const c = h.coordinator.commitOffsets(commitParams('g', { 't:0': 2 }));
    const stable = h.coordinator.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: true });
    await settle();
    h.clock.advance(1000);
    assert.deepEqual(codes(await c), [ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    assert.equal((await stable).topics[0]!.partitions[0]!.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    // If the write lands later it is applied all the same: the cache follows the log.
    h.store.release();
    await settle();
    const f = await h.coordinator.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: true });
    assert.equal(f.topics[0]!.partitions[0]!.committedOffset, 2n);
  });

  it('a failing store answers COORDINATOR_NOT_AVAILABLE and changes nothing', async () => {
    const h = await harness();
    await h.coordinator.commitOffsets(commitParams('g', { 't:0': 1 }));
    h.store.failWith = new Error('disk on fire');
    assert.deepEqual(codes(await h.coordinator.commitOffsets(commitParams('g', { 't:0': 2 }))), [ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    const storage = Object.assign(new Error('storage'), { errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
    h.store.failWith = storage;
    assert.deepEqual(codes(await h.coordinator.commitOffsets(commitParams('g', { 't:0': 2 }))), [ErrorCode.NOT_COORDINATOR]);
    h.store.failWith = undefined;
    const f = await h.coordinator.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: false });
    assert.equal(f.topics[0]!.partitions[0]!.committedOffset, 1n);
  });
});

describe('deleting offsets and groups', () => {
  it('OffsetDelete spares topics an active consumer group subscribes to', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g', { protocols: [{ name: 'range', metadata: subscription(['sub']) }] });
    await rebalance(h, [a]);
    await h.coordinator.commitOffsets(commitParams('g', { 'sub:0': 1, 'old:0': 2 }, { generationIdOrMemberEpoch: 1, memberId: a.memberId }));
    const r = await h.coordinator.deleteOffsets({ groupId: 'g', topics: [{ name: 'sub', partitions: [0] }, { name: 'old', partitions: [0, 1] }] });
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.deepEqual(codes(r.topics), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE, ErrorCode.NONE]);
    const all = await h.coordinator.fetchOffsets({ groupId: 'g', topics: null, requireStable: false });
    assert.deepEqual(all.topics.map((t) => t.name), ['sub']);
    assert.equal((await h.coordinator.deleteOffsets({ groupId: 'nope', topics: [] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('OffsetDelete on a non-empty group of another protocol type answers NON_EMPTY_GROUP', async () => {
    const h = await harness();
    await rebalance(h, [new TestMember(h, 'g', { protocolType: 'connect' })]);
    assert.equal((await h.coordinator.deleteOffsets({ groupId: 'g', topics: [{ name: 't', partitions: [0] }] })).errorCode, ErrorCode.NON_EMPTY_GROUP);
  });

  it('DeleteGroups deletes only empty groups, with their offsets', async () => {
    const h = await harness();
    await h.coordinator.commitOffsets(commitParams('empty', { 't:0': 5 }));
    await rebalance(h, [new TestMember(h, 'busy')]);
    const r = await h.coordinator.deleteGroups(['empty', 'busy', 'missing', 'empty']);
    assert.deepEqual(r, [
      { groupId: 'empty', errorCode: ErrorCode.NONE },
      { groupId: 'busy', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
      { groupId: 'empty', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    assert.equal(h.coordinator.group('empty'), undefined);
    const f = await h.coordinator.fetchOffsets({ groupId: 'empty', topics: null, requireStable: true });
    assert.deepEqual(f.topics, []);
    assert.deepEqual(h.coordinator.listGroups([], []).map((g) => g.groupId), ['busy']);
  });
});

describe('offsets retention (offsets.retention.minutes)', () => {
  it("expires an empty consumer group's offsets a retention period after it became empty, then the group", async () => {
    const h = await harness({ 'offsets.retention.minutes': 1, 'offsets.retention.check.interval.ms': 10_000 });
    const a = new TestMember(h, 'g', { sessionTimeoutMs: 30_000 });
    await rebalance(h, [a]);
    await h.coordinator.commitOffsets(commitParams('g', { 't:0': 7 }, { generationIdOrMemberEpoch: 1, memberId: a.memberId }));
    for (let i = 0; i < 12; i++) {
      h.clock.advance(10_000);
      assert.equal(a.heartbeat(), ErrorCode.NONE);
      await settle();
    }
    assert.equal((await h.coordinator.fetchOffsets({ groupId: 'g', topics: null, requireStable: true })).topics.length, 1, 'an active group keeps the offsets of topics it subscribes to');
    assert.equal(await a.leave(), ErrorCode.NONE);
    await settle();
    assert.equal(h.coordinator.group('g')?.state, GroupState.Empty);
    await tick(h, 50_000, 10_000);
    assert.equal((await h.coordinator.fetchOffsets({ groupId: 'g', topics: null, requireStable: true })).topics.length, 1, 'not yet: empty for less than a minute');
    await tick(h, 20_000, 10_000);
    assert.deepEqual((await h.coordinator.fetchOffsets({ groupId: 'g', topics: null, requireStable: true })).topics, []);
    assert.equal(h.coordinator.group('g'), undefined, 'the empty group without offsets is gone');
  });

  it('expires a standalone commit a retention period after the commit, and an explicit retention when it says', async () => {
    const h = await harness({ 'offsets.retention.minutes': 10, 'offsets.retention.check.interval.ms': 60_000 });
    await h.coordinator.commitOffsets(commitParams('solo', { 't:0': 1 }));
    await h.coordinator.commitOffsets(commitParams('solo', { 't:1': 1 }, { retentionTimeMs: 120_000n }));
    await tick(h, 180_000, 60_000);
    const f = await h.coordinator.fetchOffsets({ groupId: 'solo', topics: null, requireStable: true });
    assert.deepEqual(f.topics.map((t) => t.partitions.map((p) => p.partitionIndex)), [[0]], 'the explicitly retained offset went first');
    await tick(h, 600_000, 60_000);
    assert.equal(h.coordinator.group('solo'), undefined);
  });
});

describe('listing and describing groups', () => {
  it('lists groups with their state and type, filtered case-insensitively', async () => {
    const h = await harness();
    await h.coordinator.commitOffsets(commitParams('solo', { 't:0': 1 }));
    await rebalance(h, [new TestMember(h, 'busy')]);
    assert.deepEqual(h.coordinator.listGroups([], []), [
      { groupId: 'solo', protocolType: '', groupState: 'Empty', groupType: 'classic' },
      { groupId: 'busy', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' },
    ]);
    assert.deepEqual(h.coordinator.listGroups(['stable'], []).map((g) => g.groupId), ['busy']);
    assert.deepEqual(h.coordinator.listGroups(['Empty', 'PreparingRebalance'], ['Classic']).map((g) => g.groupId), ['solo']);
    assert.deepEqual(h.coordinator.listGroups([], ['consumer']), []);
  });

  it('describes members with metadata and assignments when Stable, without them otherwise, and unknown groups as Dead', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g', { clientId: 'app', clientHost: '/10.0.0.1', groupInstanceId: 'i' });
    await rebalance(h, [a]);
    const [d, missing] = h.coordinator.describeGroups(['g', 'missing']);
    assert.equal(d!.groupState, 'Stable');
    assert.equal(d!.protocolType, 'consumer');
    assert.equal(d!.protocolData, 'range');
    assert.deepEqual(d!.members, [{ memberId: a.memberId, groupInstanceId: 'i', clientId: 'app', clientHost: '/10.0.0.1', memberMetadata: subscription(['t']), memberAssignment: assignment('t', [0]) }]);
    assert.deepEqual(missing, { errorCode: 0, groupId: 'missing', groupState: 'Dead', protocolType: '', protocolData: '', members: [] });
    void new TestMember(h, 'g').begin();
    await settle();
    const [rebalancing] = h.coordinator.describeGroups(['g']);
    assert.equal(rebalancing!.groupState, 'PreparingRebalance');
    assert.equal(rebalancing!.protocolData, '');
    assert.deepEqual(rebalancing!.members[0]!.memberAssignment, Buffer.alloc(0));
  });
});
