/**
 * The Raft core's files and small pieces: the quorum-state file in Kafka's JSON format, snapshot
 * files in Kafka's naming and layout, `controller.quorum.voters`, and the leader's
 * high-watermark rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { QuorumConfigError, RaftStateError } from '../../src/controller/raft/errors.js';
import { LeaderState } from '../../src/controller/raft/leader-state.js';
import { parseQuorumVoters, quorumConfig } from '../../src/controller/raft/quorum-config.js';
import { FileQuorumStateStore, parseQuorumState } from '../../src/controller/raft/quorum-state-store.js';
import { type OutboundRequest, RAFT_API_VERSIONS, decodeRaftRequest, encodeRaftRequest, isPreVote, preVoteMarker } from '../../src/controller/raft/raft-rpc.js';
import { KRaftControlType, SnapshotStore, decodeSnapshot, encodeSnapshot, parseSnapshotFileName, snapshotFileName } from '../../src/controller/raft/snapshots.js';
import { decodeSnapshotHeaderRecord } from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { decodeRecordBatch } from '../../src/protocol/records/index.js';
import { DecodeError } from '../../src/protocol/samsa-error.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';

const DIR = '/meta/__cluster_metadata-0';

async function disk(seed = 1): Promise<MemoryDisk> {
  const r = new SeededRandom(seed);
  const d = new MemoryDisk(() => r.next(), () => 0);
  await d.mkdir(DIR);
  await d.syncDir('/meta');
  await d.syncDir('/');
  return d;
}

describe('quorum-state file', () => {
  it("writes Kafka's QuorumStateData JSON (data_version 0) and reads it back", async () => {
    const d = await disk();
    const store = new FileQuorumStateStore(d, DIR, [1, 2, 3]);
    assert.equal(await store.read(), undefined);
    await store.write({ epoch: 7, leaderId: 2, votedId: 3 });
    assert.equal(
      d.contents(`${DIR}/quorum-state`).toString(),
      '{"clusterId":"","leaderId":2,"leaderEpoch":7,"votedId":3,"appliedOffset":0,"currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}',
    );
    assert.deepEqual(await store.read(), { epoch: 7, leaderId: 2, votedId: 3 });
  });

  it("reads Kafka's documented examples of both versions", () => {
    const v0 = '{"clusterId":"","leaderId":1,"leaderEpoch":2,"votedId":-1,"appliedOffset":0,"currentVoters":[],"data_version":0}';
    const v1 = '{"leaderId":-1,"leaderEpoch":2,"votedId":1,"votedDirectoryId":"J8aAPcfLQt2bqs1JT_rMgQ","data_version":1}';
    assert.deepEqual(parseQuorumState(v0, 'x'), { epoch: 2, leaderId: 1, votedId: -1 });
    assert.deepEqual(parseQuorumState(v1, 'x'), { epoch: 2, leaderId: -1, votedId: 1 });
    for (const bad of ['', 'nope', '[]', '{"leaderEpoch":1}', '{"leaderEpoch":1,"data_version":2}', '{"leaderEpoch":"1","data_version":0}']) {
      assert.throws(() => parseQuorumState(bad, 'x'), RaftStateError, bad);
    }
  });

  it('a write survives power loss whole, or the previous state does', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const d = await disk(seed);
      const store = new FileQuorumStateStore(d, DIR, [1]);
      await store.write({ epoch: 1, leaderId: 1, votedId: 1 });
      const pending = store.write({ epoch: 2, leaderId: -1, votedId: -1 });
      d.powerLoss({ keepPartialTails: true });
      await pending.catch(() => undefined);
      const state = await new FileQuorumStateStore(d, DIR, [1]).read();
      assert.ok(state?.epoch === 1 || state?.epoch === 2, `seed ${seed}: ${JSON.stringify(state)}`);
    }
  });
});

describe('snapshots', () => {
  it("are named as Kafka names them: 20-digit end offset, 10-digit epoch", () => {
    assert.equal(snapshotFileName({ offset: 1234, epoch: 5 }), '00000000000000001234-0000000005.checkpoint');
    assert.deepEqual(parseSnapshotFileName('00000000000000001234-0000000005.checkpoint'), { offset: 1234, epoch: 5 });
    assert.equal(parseSnapshotFileName('00000000000000001234-0000000005.checkpoint.part'), undefined);
  });

  it('hold a header control batch, the records, and a footer control batch', async () => {
    const id = { offset: 42, epoch: 3 };
    const records = Array.from({ length: 2500 }, (_, i) => Buffer.from(`k${i}=v${i}`));
    const bytes = encodeSnapshot(id, records, 777, 1000);
    const first = await decodeRecordBatch(bytes, 0, { maxUncompressedBytes: 1 << 20 });
    assert.ok(first.isControlBatch);
    assert.equal(first.header.partitionLeaderEpoch, 3);
    assert.equal(first.records[0]!.key!.readInt16BE(2), KRaftControlType.SnapshotHeader);
    assert.deepEqual(decodeSnapshotHeaderRecord(new Reader(first.records[0]!.value!), 0), { version: 0, lastContainedLogTimestamp: 777n });
    const back = decodeSnapshot(id, bytes);
    assert.deepEqual(back.records, records);
    assert.equal(back.lastContainedLogTimestamp, 777);
    assert.throws(() => decodeSnapshot(id, bytes.subarray(0, bytes.length - 10)), DecodeError);
    const noFooter = encodeSnapshot(id, [], 0, 0);
    assert.throws(() => decodeSnapshot(id, noFooter.subarray(0, noFooter.length / 2)), DecodeError);
  });

  it('the store keeps the latest, deletes partial files at open, and survives power loss', async () => {
    const d = await disk();
    const store = await SnapshotStore.open(d, DIR);
    assert.equal(store.latest, undefined);
    await store.write({ offset: 10, epoch: 1 }, encodeSnapshot({ offset: 10, epoch: 1 }, [Buffer.from('a=1')], 0, 0));
    await store.write({ offset: 20, epoch: 2 }, encodeSnapshot({ offset: 20, epoch: 2 }, [Buffer.from('a=2')], 0, 0));
    const f = await d.open(`${DIR}/00000000000000000030-0000000002.checkpoint.part`, 'create');
    await f.write([Buffer.from('partial')], 0);
    d.powerLoss({ keepPartialTails: false });
    const reopened = await SnapshotStore.open(d, DIR);
    assert.deepEqual(reopened.latest, { offset: 20, epoch: 2 });
    assert.deepEqual(reopened.readLatest()?.records, [Buffer.from('a=2')]);
    assert.ok(!(await d.readdir(DIR)).some((n) => n.endsWith('.part')));
  });
});

describe('controller.quorum.voters', () => {
  it('parses id@host:port lists, with IPv6 hosts', () => {
    assert.deepEqual(parseQuorumVoters('1@localhost:9093, 2@[::1]:9094,3@10.0.0.3:9095'), [
      { id: 1, host: 'localhost', port: 9093 },
      { id: 2, host: '::1', port: 9094 },
      { id: 3, host: '10.0.0.3', port: 9095 },
    ]);
    for (const bad of ['', '1@h', 'x@h:1', '1@h:0', '1@h:1,1@g:2', '1@h:70000']) assert.throws(() => parseQuorumVoters(bad), QuorumConfigError, bad);
    assert.throws(() => quorumConfig([]), QuorumConfigError);
    assert.deepEqual(quorumConfig([3, 1, 2]).voters, [1, 2, 3]);
  });
});

describe('LeaderState', () => {
  it('advances the high watermark to what a majority holds, once an entry of its epoch is committed', () => {
    const leader = new LeaderState(1, 5, 10, [1, 2, 3], new Set([1, 2]), 3000, 0);
    assert.equal(leader.updateLocalState(12, 0), false, 'the leader alone is no majority');
    assert.equal(leader.updateReplicaState(2, 10, 12, 0), false, 'a majority at the epoch start commits nothing yet');
    assert.equal(leader.highWatermark, undefined);
    assert.equal(leader.updateReplicaState(2, 11, 12, 1), true);
    assert.equal(leader.highWatermark, 11);
    assert.equal(leader.updateReplicaState(3, 12, 12, 2), true);
    assert.equal(leader.highWatermark, 12);
    assert.equal(leader.updateReplicaState(3, 11, 12, 3), false, 'never moves back');
    assert.equal(leader.highWatermark, 12);
    assert.equal(leader.updateReplicaState(99, 12, 12, 3), false, 'an observer does not count');
  });

  it('commits entries of older epochs early only when told to (the figure-8 defect)', () => {
    const faulty = new LeaderState(1, 5, 10, [1, 2, 3], new Set([1, 2]), 3000, 0, { unsafeCommitOlderEpochs: true });
    faulty.updateLocalState(12, 0);
    assert.equal(faulty.updateReplicaState(2, 9, 12, 0), true);
    assert.equal(faulty.highWatermark, 9);
  });

  it('loses quorum when a majority has not fetched within the check-quorum timeout', () => {
    const leader = new LeaderState(1, 1, 0, [1, 2, 3, 4, 5], new Set([1, 2, 3]), 3000, 0);
    assert.ok(leader.hasQuorum(2999));
    leader.updateReplicaState(2, 0, 0, 1000);
    assert.ok(!leader.hasQuorum(3000), 'one follower of four is not a majority: the timer is not reset');
    leader.updateReplicaState(3, 0, 0, 2000);
    assert.ok(leader.hasQuorum(4999), 'a majority fetched at 2000: good until 5000');
    assert.ok(!leader.hasQuorum(5000));
    assert.ok(new LeaderState(1, 1, 0, [1], new Set([1]), 3000, 0).hasQuorum(1e9), 'a lone voter always has quorum');
  });
});

describe('Raft RPCs on the wire', () => {
  it('carry the pre-vote mark through Vote v1 and leave real votes unmarked', () => {
    const vote = (preVote: boolean): OutboundRequest => ({
      api: 'Vote',
      body: {
        clusterId: 'c',
        voterId: 2,
        topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, candidateEpoch: 4, candidateId: 1, lastOffsetEpoch: 3, lastOffset: 17n, ...(preVote ? { unknownTaggedFields: preVoteMarker() } : {}) }] }],
      },
    });
    for (const pre of [true, false]) {
      const back = decodeRaftRequest('Vote', encodeRaftRequest(vote(pre)));
      assert.equal(back.api, 'Vote');
      const p = back.api === 'Vote' ? back.body.topics[0]!.partitions[0]! : undefined;
      assert.equal(isPreVote(p!), pre);
      assert.equal(p!.lastOffset, 17n);
    }
    assert.equal(RAFT_API_VERSIONS.Vote, 1);
    assert.equal(RAFT_API_VERSIONS.Fetch, 17);
  });
});
