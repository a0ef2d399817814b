/**
 * Scenarios of the Raft quorum on the simulator (one seed each, no random chaos), with the
 * invariant checker watching every event: election and replication, the API a state machine
 * uses, restarts from disk, snapshots sent to a lagging follower, graceful handover, pre-vote,
 * truncation of a deposed leader's divergent entries, observers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { NotLeaderError } from '../../src/controller/raft/errors.js';
import { type OutboundRequest, decodeRaftRequest, decodeRaftResponse, encodeRaftRequest, encodeRaftResponse } from '../../src/controller/raft/raft-rpc.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { DescribeQuorumResponse } from '../../src/protocol/messages/index.js';
import { SimCluster, type SimClusterOptions, type SimNode } from '../../src/sim/sim-cluster.js';

function cluster(voters: number, options: Partial<SimClusterOptions> = {}): SimCluster {
  const c = new SimCluster({ seed: 11, voters, diskLatencyMs: 1, ...options });
  c.startAll();
  return c;
}

async function leaderOf(c: SimCluster, maxMs = 5000): Promise<SimNode> {
  await c.runUntil(() => c.leaders().length === 1 && c.nodes.every((n) => !n.running || n.client.leaderAndEpoch().leaderId === c.leaders()[0]!.id), maxMs);
  return c.leaders()[0]!;
}

/** Appends `records` through the leader and waits until every running node (of `among`) has applied them. */
async function commit(c: SimCluster, records: string[], among: readonly SimNode[] = c.nodes): Promise<number> {
  await c.runUntil(() => c.leaders().filter((n) => among.includes(n)).length === 1, 5000);
  const leader = c.leaders().find((n) => among.includes(n))!;
  const last = leader.client.append(records.map((r) => Buffer.from(r)));
  await c.runUntil(() => among.every((n) => !n.running || n.client.highWatermark > last), 5000);
  return last;
}

function kvOf(n: SimNode): Record<string, string> {
  return Object.fromEntries([...n.kv.map].sort());
}

async function call(n: SimNode, req: OutboundRequest) {
  const res = await n.client.handleRequest(decodeRaftRequest(req.api, encodeRaftRequest(req)));
  return decodeRaftResponse(res.api, encodeRaftResponse(res));
}

describe('raft quorum', () => {
  it('a lone voter leads at once and commits alone', async () => {
    const c = cluster(1);
    await c.run(20);
    const [leader] = c.leaders();
    assert.ok(leader, 'leader within 20 ms: no election timeout for the only voter');
    await commit(c, ['a=1', 'b=2']);
    assert.deepEqual(kvOf(leader), { a: '1', b: '2' });
    // The listener hears of epochs without a leader too, and of its own leadership once.
    assert.deepEqual(leader.kv.leaderChanges.at(-1), { leaderId: 1, epoch: 1 });
    assert.equal(leader.kv.leaderChanges.filter((l) => l.leaderId === 1).length, 1);
  });

  it('three voters elect one leader; followers refuse appends and name the leader; commits reach all', async () => {
    const c = cluster(3);
    const leader = await leaderOf(c);
    const follower = c.nodes.find((n) => n !== leader)!;
    assert.throws(
      () => follower.client.append([Buffer.from('x=1')]),
      (err: unknown) => err instanceof NotLeaderError && err.leaderId === leader.id && err.epoch === leader.client.leaderAndEpoch().epoch,
    );
    const epoch = leader.client.leaderAndEpoch().epoch;
    assert.throws(() => leader.client.append([Buffer.from('x=1')], epoch + 1), NotLeaderError, 'an append for another epoch');
    await commit(c, ['x=1', 'y=2']);
    await commit(c, ['x=3']);
    for (const n of c.nodes) assert.deepEqual(kvOf(n), { x: '3', y: '2' });
    // Every node's listener heard of the leader, the leader only once caught up.
    for (const n of c.nodes) assert.deepEqual(n.kv.leaderChanges.at(-1), { leaderId: leader.id, epoch });
  });

  it('DescribeQuorum: the leader reports every voter and the high watermark; other nodes say NOT_LEADER_OR_FOLLOWER', async () => {
    const c = cluster(3, { observers: 1 });
    await commit(c, ['a=1']);
    const leader = await leaderOf(c);
    await c.run(500);
    const d = leader.client.describeQuorum();
    assert.equal(d.leaderId, leader.id);
    assert.equal(d.highWatermark, leader.client.highWatermark);
    assert.deepEqual(d.voters.map((v) => v.replicaId).sort(), [1, 2, 3]);
    assert.ok(d.voters.every((v) => v.logEndOffset === leader.client.log.endOffset), JSON.stringify(d.voters));
    assert.deepEqual(d.observers.map((o) => o.replicaId), [4]);
    const req: OutboundRequest = { api: 'DescribeQuorum', body: { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] } };
    const onLeader = (await call(leader, req)).body as DescribeQuorumResponse;
    const p = onLeader.topics[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.equal(p.leaderId, leader.id);
    assert.equal(p.currentVoters.length, 3);
    const follower = c.nodes.find((n) => n !== leader)!;
    const elsewhere = (await call(follower, req)).body as DescribeQuorumResponse;
    assert.equal(elsewhere.topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal(elsewhere.topics[0]!.partitions[0]!.leaderId, leader.id);
  });

  it('a cluster that loses power everywhere comes back with every committed record', async () => {
    const c = cluster(3, { config: { maxBytesBetweenSnapshots: 600, segmentBytes: 400 } });
    for (let i = 0; i < 30; i++) await commit(c, [`k${i % 7}=${i}`, `j=${i}`]);
    const before = kvOf(c.nodes[0]!);
    for (const n of c.nodes) n.crash(true);
    await c.run(50);
    for (const n of c.nodes) void n.start();
    await leaderOf(c);
    await commit(c, ['after=1']);
    for (const n of c.nodes) assert.deepEqual(kvOf(n), { ...before, after: '1' });
    assert.ok(c.nodes.some((n) => n.client.inspect().latestSnapshot !== undefined), 'snapshots were taken and loaded at start');
  });

  it('takes a snapshot after metadata.log.max.snapshot.interval.ms when less than the size trigger was committed', async () => {
    // The log before the latest snapshot is kept in memory: a slow stream of small changes once
    // stayed there until 20 MiB of them had come (topics created and deleted for days).
    const c = cluster(1, { config: { maxSnapshotIntervalMs: 60_000 } });
    const leader = await leaderOf(c);
    await commit(c, ['a=1']);
    await c.run(30_000);
    await commit(c, ['b=2']);
    assert.equal(leader.client.inspect().latestSnapshot, undefined, 'none before the interval');
    await c.run(31_000);
    await commit(c, ['c=3']);
    await c.runUntil(() => leader.client.inspect().latestSnapshot !== undefined, 5000);
    await c.runUntil(() => leader.client.log.startOffset > 0, 5000);
    assert.deepEqual(kvOf(leader), { a: '1', b: '2', c: '3' });
    const before = leader.client.log.startOffset;
    await c.run(61_000);
    assert.equal(leader.client.log.startOffset, before, 'nothing new committed: no new snapshot');
  });

  it('a follower that fell behind the log start catches up through FetchSnapshot', async () => {
    const c = cluster(3, { config: { maxBytesBetweenSnapshots: 500, segmentBytes: 300, fetchSnapshotMaxBytes: 128 } });
    const leader = await leaderOf(c);
    const lagging = c.nodes.find((n) => n !== leader)!;
    lagging.crash(false);
    for (let i = 0; i < 40; i++) await commit(c, [`k${i % 5}=${i}`]);
    assert.ok(leader.client.log.startOffset > 0, 'the leader deleted the log the follower needs');
    const loadsBefore = c.checker.snapshotLoads;
    void lagging.start();
    await c.runUntil(() => lagging.running && lagging.client.highWatermark >= leader.client.highWatermark, 5000);
    assert.ok(c.checker.snapshotLoads > loadsBefore, 'the follower loaded a snapshot');
    assert.deepEqual(kvOf(lagging), kvOf(leader));
  });

  it('a leader that shuts down gracefully hands over in far less than an election timeout', async () => {
    const c = cluster(3);
    const leader = await leaderOf(c);
    await commit(c, ['a=1']);
    const t0 = c.world.now;
    void leader.client.shutdown(1000);
    await c.runUntil(() => c.leaders().some((n) => n !== leader), 2000, 1);
    const handover = c.world.now - t0;
    assert.ok(handover < c.config.electionTimeoutMs / 2, `handover took ${handover} ms`);
  });

  it('an isolated voter keeps its epoch (pre-vote) and does not unseat the leader when it returns', async () => {
    const c = cluster(3);
    const leader = await leaderOf(c);
    const { epoch } = leader.client.leaderAndEpoch();
    const lonely = c.nodes.find((n) => n !== leader)!;
    c.network.partition([[lonely.id], c.nodes.filter((n) => n !== lonely).map((n) => n.id)]);
    await c.run(3000);
    assert.equal(lonely.client.quorum.epoch, epoch, 'no epoch was bumped behind the partition');
    await commit(c, ['during=1'], c.nodes.filter((n) => n !== lonely));
    c.network.healLinks();
    await c.runUntil(() => lonely.client.leaderAndEpoch().leaderId === leader.id && lonely.kv.map.get('during') === '1', 3000);
    assert.deepEqual(leader.client.leaderAndEpoch(), { leaderId: leader.id, epoch });
  });

  it('a leader cut off from the other voters resigns after the fetch timeout (check quorum) and says so, naming them', async () => {
    const lines: { nodeId: number; msg: string; epoch?: number; from?: string; silentVoters?: number[] }[] = [];
    const logger = (nodeId: number) => pino({ level: 'info' }, { write: (line: string) => void lines.push({ nodeId, ...JSON.parse(line) }) });
    const c = cluster(3, { logger });
    const leader = await leaderOf(c);
    const { epoch } = leader.client.leaderAndEpoch();
    assert.ok(lines.some((l) => l.nodeId === leader.id && l.msg === 'metadata quorum: Leader' && l.from === 'Candidate' && l.epoch === epoch), 'its election is said');
    const others = c.nodes.filter((n) => n !== leader).map((n) => n.id);
    c.network.partition([[leader.id], others]);
    await c.runUntil(() => leader.client.quorum.state.name !== 'Leader', 5000);
    const resigned = lines.filter((l) => l.nodeId === leader.id && /check quorum/.test(l.msg));
    assert.equal(resigned.length, 1);
    assert.deepEqual([...resigned[0]!.silentVoters!].sort(), others);
    assert.equal(resigned[0]!.epoch, epoch);
    assert.ok(lines.some((l) => l.nodeId === leader.id && l.msg === 'metadata quorum: Resigned' && l.from === 'Leader'));
  });

  it("a deposed leader's uncommitted entries are truncated when it rejoins", async () => {
    const c = cluster(3);
    const old = await leaderOf(c);
    await commit(c, ['base=1']);
    const others = c.nodes.filter((n) => n !== old);
    c.network.partition([[old.id], others.map((n) => n.id)]);
    old.client.append([Buffer.from('lost=1')]);
    old.client.append([Buffer.from('lost=2')]);
    await c.run(100);
    const oldEnd = old.client.log.endOffset;
    await c.runUntil(() => c.leaders().some((n) => n !== old), 5000);
    await commit(c, ['kept=1'], others);
    c.network.healLinks();
    await c.runUntil(() => old.running && old.client.leaderAndEpoch().leaderId !== old.id && old.kv.map.get('kept') === '1', 5000);
    assert.ok(oldEnd > 0);
    for (const n of c.nodes) {
      assert.equal(n.kv.map.get('lost'), undefined, `node ${n.id}`);
      assert.deepEqual(kvOf(n), { base: '1', kept: '1' });
    }
    const a = old.client.log.read(0, 1 << 20).map((b) => b.bytes.toString('hex'));
    const b = others[0]!.client.log.read(0, 1 << 20).map((x) => x.bytes.toString('hex'));
    assert.deepEqual(a.slice(0, b.length), b.slice(0, a.length), 'the logs agree');
  });

  it('five voters commit with two of them down, and not with three', async () => {
    const c = cluster(5);
    const leader = await leaderOf(c);
    const down = c.nodes.filter((n) => n !== leader).slice(0, 2);
    for (const n of down) n.crash(true);
    await commit(c, ['two-down=1']);
    const third = c.nodes.find((n) => n !== leader && !down.includes(n))!;
    third.crash(true);
    const last = leader.client.append([Buffer.from('three-down=1')]);
    await c.run(2000);
    assert.ok(c.nodes.every((n) => !n.running || n.client.highWatermark <= last), 'nothing committed without a majority');
    for (const n of [...down, third]) void n.start();
    await c.runUntil(() => c.nodes.every((n) => n.running && n.kv.map.get('two-down') === '1'), 10_000);
  });

  it('an observer follows the log, never votes, and finds the leader by itself', async () => {
    const c = cluster(3, { observers: 1 });
    await commit(c, ['a=1', 'b=2']);
    const observer = c.node(4);
    assert.deepEqual(kvOf(observer), { a: '1', b: '2' });
    const leader = await leaderOf(c);
    leader.crash(true);
    await c.runUntil(() => c.leaders().length === 1, 5000);
    await commit(c, ['c=3']);
    assert.equal(observer.kv.map.get('c'), '3');
    assert.ok(['Follower', 'Unattached'].includes(observer.client.quorum.state.name));
  });
});
