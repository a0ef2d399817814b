/**
 * Partition replication on three nodes in one process (in-memory storage, the real network):
 * followers fetch from the leader and hold the same batches (offsets, leader epochs, producer
 * ids); the ISR starts as every replica, acks=all answers once the whole ISR has a batch; an ISR
 * member whose fetches stop is removed through AlterPartition after replica.lag.time.max.ms and
 * acks=all with min.insync.replicas above the ISR is refused (NOT_ENOUGH_REPLICAS), and it comes
 * back once it catches up; a leader that shuts down hands its partitions to an in-sync follower
 * (leader epoch bumped), which serves everything acknowledged before and takes new writes; a
 * follower whose log diverges is truncated by leader epoch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningBroker } from '../../src/broker/broker.js';
import { SamsaClient, stringSerde } from '../../src/client/index.js';
import { readValues } from '../helpers/read-values.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ApiKey, CreateTopicsApi, ElectLeadersApi, FetchApi, FindCoordinatorApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { type ClusterLayout, clusterLayout, inProcessNode, removeLayout } from '../helpers/test-cluster.js';
import { replicaBatches } from '../helpers/replica-batches.js';
import { eventually } from '../helpers/eventually.js';



interface BrokerInternals {
  replicaManager: { getPartition(t: string, p: number): { log: { read(o: bigint, max: number): Promise<{ chunks: Buffer[] }>; logEndOffset: bigint }; highWatermark: bigint; isLeader: boolean } | undefined };
}

describe('replication on three nodes in one process', { timeout: 180_000 }, () => {
  let layout: ClusterLayout;
  let nodes: RunningBroker[] = [];
  let client: SamsaClient;
  const node = (id: number) => nodes.find((n) => n.nodeId === id)!;

  before(async () => {
    layout = await clusterLayout(3);
    nodes = await Promise.all(
      layout.ids.map((id) =>
        inProcessNode(layout, id, { storage: 'memory' }, { 'broker.session.timeout.ms': 2000, 'broker.heartbeat.interval.ms': 300, 'replica.lag.time.max.ms': 1500, 'replica.fetch.backoff.ms': 100, 'offsets.topic.replication.factor': 3 }),
      ),
    );
    for (const n of nodes) await eventually(`node ${n.nodeId} sees three unfenced brokers`, 10_000, () => n.metadata.unfencedBrokers().length === 3);
    client = new SamsaClient({ bootstrapServers: nodes.map((n) => n.bootstrap) });
  });

  after(async () => {
    await client?.close();
    await Promise.all(nodes.map((n) => n.close()));
    if (layout) await removeLayout(layout);
  });

  it('followers hold the leader\'s batches as written, and acks=all answers once the ISR has them', async () => {
    await client.admin().createTopics([{ name: 'rep', partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    for (const n of nodes) await eventually(`node ${n.nodeId} holds the topic`, 10_000, () => n.metadata.topic('rep') !== undefined);
    const t = nodes[0]!.metadata.topic('rep')!;
    for (const p of t.partitions) assert.deepEqual([...p.isr].sort(), [0, 1, 2], 'the ISR starts as every replica');
    const producer = client.producer({ valueSerializer: stringSerde, acks: 'all' });
    for (let i = 0; i < 30; i++) await producer.send('rep', { value: `v${i}`, partition: i % 3 });
    // Answered with acks=all: the leader's high watermark covers every record, so the followers fetched them.
    for (let part = 0; part < 3; part++) {
      const reg = nodes[0]!.metadata.topic('rep')!.partitions[part]!;
      const leader = (node(reg.leader) as unknown as BrokerInternals).replicaManager.getPartition('rep', part)!;
      assert.equal(leader.highWatermark, 10n);
      const expected = await replicaBatches(node(reg.leader), 'rep', part, true);
      assert.equal(expected.length, 10);
      assert.ok(expected.every((b) => !b.endsWith('/-1')), 'idempotent batches keep their producer id');
      for (const n of nodes) await eventually(`node ${n.nodeId} has partition ${part} as the leader`, 5000, async () => JSON.stringify(await replicaBatches(n, 'rep', part, true)) === JSON.stringify(expected));
    }
    await producer.close();
  });

  it('a follower answers Produce v11 and Fetch v16 with NOT_LEADER_OR_FOLLOWER and the current leader and its endpoint (KIP-951)', async () => {
    const reg = nodes[0]!.metadata.topic('rep')!.partitions[0]!;
    const follower = nodes.find((n) => n.nodeId !== reg.leader)!;
    const leader = node(reg.leader);
    const c = await RawClient.connect(follower.port);
    try {
      const produced = await c.send(ProduceApi, 11, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'rep', partitionData: [{ index: 0, records: null }] }] });
      const pr = produced.responses[0]!.partitionResponses[0]!;
      assert.equal(pr.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      assert.deepEqual([pr.currentLeader.leaderId, pr.currentLeader.leaderEpoch], [reg.leader, reg.leaderEpoch]);
      assert.deepEqual(produced.nodeEndpoints.map((e) => [e.nodeId, e.port]), [[reg.leader, leader.port]]);
      const topicId = nodes[0]!.metadata.topic('rep')!.id;
      const fetched = await c.send(FetchApi, 16, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
      const fr = fetched.responses[0]!.partitions[0]!;
      assert.equal(fr.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      assert.deepEqual([fr.currentLeader.leaderId, fr.currentLeader.leaderEpoch], [reg.leader, reg.leaderEpoch]);
      assert.deepEqual(fetched.nodeEndpoints.map((e) => [e.nodeId, e.port]), [[reg.leader, leader.port]]);
      // ElectLeaders through a broker (forwarded to the controller): the preferred replica leads already.
      const elected = await c.send(ElectLeadersApi, 2, { electionType: 0, topicPartitions: [{ topic: 'rep', partitions: [0] }], timeoutMs: 5000 });
      assert.deepEqual([elected.errorCode, elected.replicaElectionResults[0]!.partitionResult[0]!.errorCode], [ErrorCode.NONE, ErrorCode.ELECTION_NOT_NEEDED]);
    } finally {
      c.close();
    }
  });

  it('an ISR member that stops fetching leaves the ISR (AlterPartition), min.insync.replicas refuses acks=all, and it rejoins once caught up', async () => {
    await client.admin().createTopics([{ name: 'shrink', partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '3' } }]);
    for (const n of nodes) await eventually(`node ${n.nodeId} holds the topic`, 10_000, () => n.metadata.topic('shrink') !== undefined);
    const reg = nodes[0]!.metadata.topic('shrink')!.partitions[0]!;
    const leader = node(reg.leader);
    const producer = client.producer({ valueSerializer: stringSerde, acks: 'all', retries: 0, idempotent: false });
    await producer.send('shrink', { value: 'before' });
    // The leader stops answering follower fetches of this topic (consumers are not fetching it).
    const fault = leader.faults.inject({ apiKey: ApiKey.Fetch, topic: 'shrink' }, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR });
    await eventually('the ISR shrinks to the leader', 15_000, () => nodes.every((n) => JSON.stringify(n.metadata.topic('shrink')!.partitions[0]!.isr) === JSON.stringify([reg.leader])));
    await assert.rejects(producer.send('shrink', { value: 'refused' }), (err: Error & { errorCode?: number }) => err.errorCode === ErrorCode.NOT_ENOUGH_REPLICAS || /NOT_ENOUGH_REPLICAS/.test(err.message));
    fault.remove();
    await eventually('the followers rejoin the ISR', 15_000, () => nodes.every((n) => n.metadata.topic('shrink')!.partitions[0]!.isr.length === 3));
    await producer.send('shrink', { value: 'after' });
    await producer.close();
  });

  it('a leader that shuts down hands over to an in-sync follower with a new leader epoch, nothing acknowledged is lost, and the group coordinator moves with __consumer_offsets', async () => {
    // Committed offsets of a group, on __consumer_offsets (replication factor 3).
    const committed = await client.admin().resetOffsets('keeper', 'rep', 'latest');
    assert.deepEqual(committed.map((c) => c.offset), [10n, 10n, 10n]);
    const c = await RawClient.connect(nodes[0]!.port);
    let coordinator: number;
    try {
      const found = await c.send(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: ['keeper'] });
      coordinator = found.coordinators[0]!.nodeId;
      // The partition's leader is the group's coordinator: closing it moves both.
      const created = await c.send(CreateTopicsApi, 7, { topics: [{ name: 'failover', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [coordinator, ...[0, 1, 2].filter((id) => id !== coordinator)] }], configs: [{ name: 'min.insync.replicas', value: '2' }] }], timeoutMs: 10_000, validateOnly: false });
      assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    } finally {
      c.close();
    }
    for (const n of nodes) await eventually(`node ${n.nodeId} holds the topic`, 10_000, () => n.metadata.topic('failover') !== undefined && n.metadata.topic('failover')!.partitions[0]!.isr.length === 3);
    const before = nodes[0]!.metadata.topic('failover')!.partitions[0]!;
    const producer = client.producer({ valueSerializer: stringSerde, acks: 'all' });
    for (let i = 0; i < 20; i++) await producer.send('failover', { value: `a${i}` });
    const leaving = node(before.leader);
    await leaving.close();
    nodes = nodes.filter((n) => n !== leaving);
    await eventually('a new leader', 10_000, () => nodes.every((n) => n.metadata.topic('failover')!.partitions[0]!.leader !== before.leader && n.metadata.topic('failover')!.partitions[0]!.leader >= 0));
    const after = nodes[0]!.metadata.topic('failover')!.partitions[0]!;
    assert.ok(after.leaderEpoch > before.leaderEpoch);
    assert.ok(!after.isr.includes(before.leader));
    // As `samsa topics describe` shows it: the stopped broker's replica is offline and out of the ISR.
    const fresh0 = new SamsaClient({ bootstrapServers: nodes.map((n) => n.bootstrap) });
    const [described] = await fresh0.admin().describeTopics(['failover']).finally(() => fresh0.close());
    assert.deepEqual([described!.partitions[0]!.offlineReplicas, described!.partitions[0]!.isr.includes(before.leader), described!.partitions[0]!.leader], [[before.leader], false, after.leader]);
    for (let i = 0; i < 20; i++) await producer.send('failover', { value: `b${i}` });
    await producer.close();
    const seen = await readValues(client, 'failover', 0, 40, 30_000);
    assert.deepEqual(seen, [...Array.from({ length: 20 }, (_, i) => `a${i}`), ...Array.from({ length: 20 }, (_, i) => `b${i}`)]);
    // The new coordinator loaded the group's offsets from its replica of __consumer_offsets; the
    // admin, which knew the old coordinator, finds the new one.
    const offsets = await client.admin().fetchOffsets('keeper', ['rep']);
    assert.deepEqual(offsets.map((o) => o.offset), [10n, 10n, 10n]);
    const c2 = await RawClient.connect(nodes[0]!.port);
    try {
      const found = await c2.send(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: ['keeper'] });
      assert.notEqual(found.coordinators[0]!.nodeId, coordinator, 'the coordinator moved');
    } finally {
      c2.close();
    }
  });
});
