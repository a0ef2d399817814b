/** What survives a restart: offsets and group metadata written to __consumer_offsets and loaded back. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CoordinatorRecord, type OffsetsPartitionLog, GroupCoordinator, GroupState, MemoryOffsetsStore, decodeCoordinatorRecord, encodeRecordKey, encodeRecordValue, logOffsetsStore, partitionForGroup } from '../../src/group/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeRecordBatch, encodeUncompressedRecordBatch, endTxnMarkerRecord, iterateBatches, setBaseOffset } from '../../src/protocol/records/index.js';
import { ManualClock } from '../../src/common/clock.js';
import { TestMember, assignment, harness, rebalance, settle, silent } from './helpers.js';

const commit = (groupId: string, generation: number, memberId: string, offset: number) => ({
  groupId,
  generationIdOrMemberEpoch: generation,
  memberId,
  groupInstanceId: null,
  retentionTimeMs: -1n,
  groupIdNotFoundIfMissing: false,
  topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: BigInt(offset), committedLeaderEpoch: 4, committedMetadata: 'meta' }] }],
});

async function storedRecords(store: MemoryOffsetsStore, partition: number): Promise<CoordinatorRecord[]> {
  const out: CoordinatorRecord[] = [];
  for (const b of store.partitions.get(partition) ?? []) {
    const batch = await decodeRecordBatch(b, 0, { maxUncompressedBytes: 1 << 20 });
    for (const r of batch.records) out.push(decodeCoordinatorRecord(r.key, r.value)!);
  }
  return out;
}

describe('a restart loads groups and offsets from __consumer_offsets', () => {
  it('keeps committed offsets and a Stable group whose live members carry on without a rebalance', async () => {
    const h = await harness();
    const a = new TestMember(h, 'g', { sessionTimeoutMs: 10_000 });
    const b = new TestMember(h, 'g', { sessionTimeoutMs: 10_000 });
    await rebalance(h, [a, b]);
    await h.coordinator.commitOffsets(commit('g', 1, a.memberId, 42));
    const before = h.coordinator.describeGroups(['g']);

    const c = await h.restart();
    assert.deepEqual(c.describeGroups(['g']), before, 'DescribeGroups reads the same after the restart');
    const f = await c.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: false });
    assert.deepEqual(f.topics[0]!.partitions[0], { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 4, metadata: 'meta', errorCode: 0 });
    assert.equal(a.heartbeat(), ErrorCode.NONE, 'a member that survived the restart goes on in its generation');
    assert.deepEqual((await a.sync()).assignment, assignment('t', [0]));
    // b never comes back: it expires like any member and the group rebalances.
    h.clock.advance(9_000);
    assert.equal(a.heartbeat(), ErrorCode.NONE);
    h.clock.advance(1_000);
    assert.equal(c.group('g')!.state, GroupState.PreparingRebalance);
    assert.equal(c.group('g')!.members.has(b.memberId), false);
  });

  it('keeps a static member known across the restart, so its own restart causes no rebalance', async () => {
    const h = await harness();
    const s = new TestMember(h, 'g', { groupInstanceId: 'pod-0', sessionTimeoutMs: 30_000 });
    await rebalance(h, [s]);
    const c = await h.restart();
    const back = new TestMember(h, 'g', { groupInstanceId: 'pod-0', sessionTimeoutMs: 30_000 });
    const r = await back.join();
    assert.equal(r.generationId, 1);
    assert.equal(c.group('g')!.state, GroupState.Stable);
    assert.deepEqual((await back.sync()).assignment, assignment('t', [0]));
  });

  it('an empty group, deleted groups and offsets stay as they were', async () => {
    const h = await harness();
    const a = new TestMember(h, 'emptied');
    await rebalance(h, [a]);
    await a.leave();
    await settle();
    await h.coordinator.commitOffsets(commit('gone', -1, '', 1));
    await h.coordinator.deleteGroups(['gone']);
    await h.coordinator.commitOffsets(commit('solo', -1, '', 5));
    await h.coordinator.deleteOffsets({ groupId: 'solo', topics: [{ name: 't', partitions: [0] }] });
    const c = await h.restart();
    assert.equal(c.group('emptied')!.state, GroupState.Empty);
    assert.equal(c.group('emptied')!.generationId, 2);
    assert.equal(c.group('gone'), undefined);
    assert.deepEqual((await c.fetchOffsets({ groupId: 'solo', topics: null, requireStable: false })).topics, []);
    assert.deepEqual((await c.fetchOffsets({ groupId: 'gone', topics: null, requireStable: false })).topics, []);
  });

  it("writes Kafka's records into the group's partition of __consumer_offsets", async () => {
    const h = await harness();
    const a = new TestMember(h, 'my-group', { clientId: 'cid' });
    await rebalance(h, [a]);
    await h.coordinator.commitOffsets(commit('my-group', 1, a.memberId, 9));
    const p = partitionForGroup('my-group', 50);
    assert.deepEqual([...h.store.partitions.keys()], [p]);
    const records = await storedRecords(h.store, p);
    assert.equal(records.length, 2);
    const [group, offset] = records;
    assert.equal(group!.type, 'group');
    assert.equal(group!.value!.generation, 1);
    assert.deepEqual(group!.type === 'group' && group!.value!.members.map((m) => [m.memberId, m.clientId, m.assignment]), [[a.memberId, 'cid', assignment('t', [0])]]);
    assert.deepEqual(offset, { type: 'offset', group: 'my-group', topic: 't', partition: 0, value: { offset: 9n, leaderEpoch: 4, metadata: 'meta', commitTimestamp: BigInt(h.clock.now()), expireTimestamp: -1n } });
  });

  it('skips transaction markers and record types it does not keep while loading', async () => {
    const store = new MemoryOffsetsStore();
    const p = partitionForGroup('g', 50);
    const rec = (r: CoordinatorRecord) => ({ key: encodeRecordKey(r), value: encodeRecordValue(r) });
    const offsetRec: CoordinatorRecord = { type: 'offset', group: 'g', topic: 't', partition: 2, value: { offset: 3n, leaderEpoch: -1, metadata: '', commitTimestamp: 1n, expireTimestamp: -1n } };
    await store.append(p, encodeUncompressedRecordBatch({ records: [rec(offsetRec), { key: Buffer.from('0005000167', 'hex'), value: Buffer.from('0000', 'hex') }] }));
    await store.append(p, encodeUncompressedRecordBatch({ isControlBatch: true, isTransactional: true, producerId: 1n, records: [endTxnMarkerRecord(1, 0)] }));
    const c = await GroupCoordinator.open({ clock: new ManualClock(), logger: silent, store });
    const f = await c.fetchOffsets({ groupId: 'g', topics: null, requireStable: false });
    assert.deepEqual(f.topics.map((t) => t.partitions.map((x) => x.committedOffset)), [[3n]]);
    await c.close();
  });
});

/** A partition log in memory, as the storage engine's: offsets assigned on append, reads of whole batches up to maxBytes. */
class FakePartitionLog implements OffsetsPartitionLog {
  logStartOffset = 0n;
  logEndOffset = 0n;
  readonly batches: Buffer[] = [];
  reads = 0;

  async append(batches: Buffer): Promise<unknown> {
    for (const span of iterateBatches(batches)) {
      if (!span.complete) throw new Error('truncated');
      const b = Buffer.from(batches.subarray(span.position, span.position + span.sizeInBytes));
      setBaseOffset(b, 0, this.logEndOffset);
      this.logEndOffset += BigInt(span.header.lastOffsetDelta + 1);
      this.batches.push(b);
    }
    return { baseOffset: 0n };
  }

  async read(offset: bigint, maxBytes: number): Promise<{ chunks: Buffer[] }> {
    this.reads++;
    const chunks: Buffer[] = [];
    let bytes = 0;
    for (const b of this.batches) {
      const base = b.readBigInt64BE(0);
      if (base < offset) continue;
      if (bytes > 0 && bytes + b.length > maxBytes) break;
      chunks.push(b);
      bytes += b.length;
    }
    return { chunks };
  }
}

describe('logOffsetsStore', () => {
  it('appends to and loads from partition logs, a few batches per read', async () => {
    const logs = new Map<number, FakePartitionLog>();
    const getLog = (p: number) => {
      if (!logs.has(p)) logs.set(p, new FakePartitionLog());
      return logs.get(p);
    };
    const store = logOffsetsStore(getLog, 200);
    const clock = new ManualClock(5);
    const c1 = await GroupCoordinator.open({ clock, logger: silent, store, config: { 'offsets.topic.num.partitions': 3 } });
    for (let i = 0; i < 20; i++) await c1.commitOffsets(commit(`g${i % 4}`, -1, '', i));
    await c1.close();
    const c2 = await GroupCoordinator.open({ clock, logger: silent, store, config: { 'offsets.topic.num.partitions': 3 } });
    for (let g = 0; g < 4; g++) {
      const f = await c2.fetchOffsets({ groupId: `g${g}`, topics: null, requireStable: false });
      assert.equal(f.topics[0]!.partitions[0]!.committedOffset, BigInt(16 + g));
    }
    assert.ok([...logs.values()].some((l) => l.reads > 2), 'loading read in several chunks');
    await c2.close();
  });

  it('fails a write cleanly when the partition has no log', async () => {
    const store = logOffsetsStore(() => undefined, 1000);
    const c = await GroupCoordinator.open({ clock: new ManualClock(), logger: silent, store }).catch((e: unknown) => e);
    assert.ok(c instanceof Error, 'cannot load without logs');
  });
});
