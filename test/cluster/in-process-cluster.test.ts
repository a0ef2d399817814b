/**
 * A three-node cluster in one process (in-memory storage, the real network on 127.0.0.1): the
 * broker lifecycle as the controller drives it (fencing when heartbeats stop reaching it, unfencing
 * when they come back, controlled shutdown), rack-aware placement, groups coordinated by the
 * leaders of __consumer_offsets across nodes, and the `samsa metadata-quorum` and `samsa cluster`
 * commands.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { RunningBroker } from '../../src/broker/broker.js';
import { SamsaClient, stringSerde } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { SAMSA_BIN } from '../helpers/test-broker.js';
import { type ClusterLayout, clusterLayout, inProcessNode, removeLayout } from '../helpers/test-cluster.js';
import { eventually } from '../helpers/eventually.js';

const run = promisify(execFile);


const RACKS = ['east', 'west', 'north'];

describe('three nodes in one process', { timeout: 120_000 }, () => {
  let layout: ClusterLayout;
  let nodes: RunningBroker[] = [];
  const node = (id: number) => nodes.find((n) => n.nodeId === id)!;

  before(async () => {
    layout = await clusterLayout(3);
    nodes = await Promise.all(
      layout.ids.map((id) =>
        inProcessNode(layout, id, { storage: 'memory' }, { 'broker.rack': RACKS[id]!, 'broker.session.timeout.ms': 2000, 'broker.heartbeat.interval.ms': 300, 'offsets.topic.replication.factor': 3, 'group.initial.rebalance.delay.ms': 0 }),
      ),
    );
    for (const n of nodes) await eventually(`node ${n.nodeId} sees three unfenced brokers`, 10_000, () => n.metadata.unfencedBrokers().length === 3);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    if (layout) await removeLayout(layout);
  });

  it('places replicas of a topic on all three racks and spreads its leaders', async () => {
    const client = new SamsaClient({ bootstrapServers: [nodes[0]!.bootstrap] });
    try {
      await client.admin().createTopics([{ name: 'racked', partitions: 6, replicationFactor: 3 }]);
      for (const n of nodes) await eventually(`node ${n.nodeId} has the topic`, 5000, () => n.metadata.topic('racked') !== undefined);
      const t = nodes[2]!.metadata.topic('racked')!;
      for (const p of t.partitions) assert.deepEqual(new Set(p.replicas.map((r) => RACKS[r])).size, 3);
      assert.deepEqual([0, 1, 2].map((id) => t.partitions.filter((p) => p.leader === id).length), [2, 2, 2]);
    } finally {
      await client.close();
    }
  });

  it('coordinates a consumer group from the leader of its __consumer_offsets partition, whichever node that is', async () => {
    const client = new SamsaClient({ bootstrapServers: [nodes[1]!.bootstrap] });
    try {
      await client.admin().createTopics([{ name: 'grouped', partitions: 3, replicationFactor: 1 }]);
      const producer = client.producer({ valueSerializer: stringSerde });
      for (let i = 0; i < 30; i++) await producer.send('grouped', { key: `k${i}`, value: `v${i}` });
      const consumer = client.consumer({ groupId: 'cluster-group', valueDeserializer: stringSerde, autoOffsetReset: 'earliest' });
      consumer.subscribe(['grouped']);
      const seen: string[] = [];
      for await (const r of consumer) {
        seen.push(r.value!);
        if (seen.length === 30) break;
      }
      await consumer.commit();
      await consumer.close();
      assert.deepEqual(seen.sort(), Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
      const offsets = await client.admin().fetchOffsets('cluster-group');
      assert.equal(offsets.reduce((n, o) => n + Number(o.offset), 0), 30);
      const offsetsTopic = nodes[0]!.metadata.topic('__consumer_offsets')!;
      assert.equal(offsetsTopic.replicationFactor, 3, 'offsets.topic.replication.factor');
      assert.deepEqual(new Set(offsetsTopic.partitions.map((p) => p.leader)), new Set([0, 1, 2]), 'group coordinators on every node');
    } finally {
      await client.close();
    }
  });

  it('fences brokers whose heartbeats stop reaching the controller, and unfences them when heartbeats return', async () => {
    const active = node(nodes[0]!.activeControllerId);
    const others = nodes.filter((n) => n !== active);
    // The controller drops every BrokerHeartbeat: only its own broker (never fenced by its session) stays.
    const drop = active.controllerFaults!.inject({ apiKey: ApiKey.BrokerHeartbeat }, { drop: true });
    await eventually('the other brokers fenced after their session', 8000, () => others.every((o) => active.metadata.broker(o.nodeId)!.fenced));
    assert.deepEqual(active.metadata.unfencedBrokers().map((b) => b.id), [active.nodeId]);
    drop.remove();
    await eventually('unfenced once heartbeats get through', 8000, () => active.metadata.unfencedBrokers().length === 3);
  });

  it('samsa metadata-quorum and samsa cluster describe the quorum and the brokers', async () => {
    const bootstrap = nodes.map((n) => n.bootstrap).join(',');
    // A loaded machine can move the quorum's leadership while the commands run: the leader before or after.
    const leaders = () => new Set([leaderBefore, nodes[0]!.activeControllerId]);
    const leaderBefore = nodes[0]!.activeControllerId;
    const status = JSON.parse((await run(process.execPath, [SAMSA_BIN(), 'metadata-quorum', 'describe', '--status', '--json', '-b', bootstrap])).stdout) as Record<string, unknown>;
    assert.ok(leaders().has(status['leaderId'] as number), `leader ${String(status['leaderId'])}`);
    assert.deepEqual(status['voters'], [0, 1, 2]);
    assert.equal(status['clusterId'], nodes[0]!.clusterId);
    assert.ok(Number(status['highWatermark']) > 0 && Number(status['leaderEpoch']) > 0);
    const replication = JSON.parse((await run(process.execPath, [SAMSA_BIN(), 'metadata-quorum', 'describe', '--replication', '--json', '-b', bootstrap])).stdout) as { nodeId: number; status: string }[];
    assert.deepEqual(replication.map((r) => r.status).sort(), ['Follower', 'Follower', 'Leader']);
    const cluster = JSON.parse((await run(process.execPath, [SAMSA_BIN(), 'cluster', 'describe', '--json', '-b', bootstrap])).stdout) as { activeControllerId: number; brokers: { nodeId: number; rack: string; fenced: boolean }[]; controllers: unknown[] };
    assert.ok(leaders().has(cluster.activeControllerId), `active controller ${cluster.activeControllerId}`);
    assert.deepEqual(cluster.brokers.map((b) => [b.nodeId, b.rack, b.fenced]), [[0, 'east', false], [1, 'west', false], [2, 'north', false]]);
    assert.equal(cluster.controllers.length, 3);
  });

  it('a node that shuts down is fenced at once (controlled shutdown), not after its session', async () => {
    const leaving = nodes.find((n) => n.nodeId !== n.activeControllerId)!;
    const stayer = nodes.find((n) => n !== leaving)!;
    // The test before fenced and unfenced it: start from a view where it is unfenced.
    await eventually('unfenced in the staying node\'s view', 10_000, () => stayer.metadata.broker(leaving.nodeId)?.fenced === false);
    await leaving.close();
    nodes = nodes.filter((n) => n !== leaving);
    // Only the shutdown heartbeat marks a broker in controlled shutdown; a session expiry fences it unmarked.
    await eventually('fenced', 10_000, () => stayer.metadata.broker(leaving.nodeId)?.fenced === true);
    assert.equal(stayer.metadata.broker(leaving.nodeId)!.inControlledShutdown, true, 'fenced by its controlled shutdown, not by its session');
  });
});
