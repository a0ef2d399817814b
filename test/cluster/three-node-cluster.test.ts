/**
 * Three combined nodes (broker and controller) as `samsa broker` processes on 127.0.0.1: kcat and
 * kafkajs see three brokers from every broker; a topic with replication factor 3 has its replicas
 * on all three, as every broker reports; after `kill -9` of the active controller another leads
 * and serves CreateTopics within seconds, every creation acknowledged before or during the kill is
 * kept, and the killed node, restarted, catches up with what was created while it was down.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { CreateTopicsApi, DescribeQuorumApi, MetadataApi } from '../../src/protocol/messages/index.js';
import { kcat } from '../helpers/kcat.js';
import { RawClient } from '../helpers/raw-client.js';
import type { ChildBroker } from '../helpers/test-broker.js';
import { type ClusterLayout, childNode, clusterLayout, removeLayout } from '../helpers/test-cluster.js';
import { eventually as eventuallyHolds } from '../helpers/eventually.js';


async function withClient<T>(port: number, fn: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await RawClient.connect(port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** The leader of the metadata quorum, as a broker learns it from the active controller. */
function activeController(port: number): Promise<number> {
  return withClient(port, async (c) => {
    const res = await c.send(DescribeQuorumApi, 2, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
    return res.topics[0]?.partitions[0]?.leaderId ?? -1;
  });
}

function metadata(port: number) {
  return withClient(port, (c) => c.send(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
}

async function createTopic(port: number, name: string, partitions = 1, rf = 1, timeoutMs = 15_000): Promise<number> {
  return withClient(port, async (c) => {
    const res = await c.send(CreateTopicsApi, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs: [] }], timeoutMs, validateOnly: false });
    return res.topics[0]!.errorCode;
  });
}

/** Polls `check` every 100 ms until it holds or `ms` pass. */
const eventually = (what: string, ms: number, check: () => boolean | Promise<boolean>) => eventuallyHolds(what, ms, check, { tolerateErrors: true, intervalMs: 100 });

describe('three samsa broker processes as one cluster', { timeout: 240_000 }, () => {
  let layout: ClusterLayout;
  const nodes = new Map<number, ChildBroker>();

  before(async () => {
    layout = await clusterLayout(3);
    const started = await Promise.allSettled(layout.ids.map((id) => childNode(layout, id)));
    started.forEach((s, i) => s.status === 'fulfilled' && nodes.set(layout.ids[i]!, s.value));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    // Every broker sees all three (each learns the others' registrations from the log).
    for (const n of nodes.values()) await eventually('three brokers in the metadata', 10_000, async () => (await metadata(n.port)).brokers.length === 3);
  });

  after(async () => {
    for (const n of nodes.values()) await n.kill('SIGKILL');
    if (layout) await removeLayout(layout);
  });

  it('kcat -L and kafkajs see three brokers, from every broker', async () => {
    for (const n of nodes.values()) {
      const out = await kcat(['-L', '-b', n.bootstrap, '-m', '10']);
      assert.match(out, / 3 brokers:/, out);
      for (const m of nodes.values()) assert.ok(out.includes(`at ${m.bootstrap}`), `kcat via ${n.bootstrap} lists ${m.bootstrap}`);
      const admin = new Kafka({ clientId: 'cluster-test', brokers: [n.bootstrap], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.disconnect();
      assert.deepEqual(cluster.brokers.map((b) => b.nodeId).sort(), [0, 1, 2]);
      assert.ok(cluster.controller !== null && [0, 1, 2].includes(cluster.controller));
    }
  });

  it('a topic with replication factor 3 has its replicas on all three brokers, as every broker reports', async () => {
    const first = nodes.get(0)!;
    const admin = new Kafka({ clientId: 'cluster-test', brokers: [first.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: 'rf3', numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true }), true);
    await admin.disconnect();
    for (const n of nodes.values()) {
      await eventually(`broker ${n.bootstrap} knows rf3`, 5000, async () => (await metadata(n.port)).topics.some((t) => t.name === 'rf3'));
      const t = (await metadata(n.port)).topics.find((x) => x.name === 'rf3')!;
      assert.equal(t.partitions.length, 6);
      const leaders = new Map<number, number>();
      for (const p of t.partitions) {
        assert.deepEqual([...p.replicaNodes].sort(), [0, 1, 2], `rf3-${p.partitionIndex} via ${n.bootstrap}`);
        assert.equal(p.errorCode, 0);
        leaders.set(p.leaderId, (leaders.get(p.leaderId) ?? 0) + 1);
      }
      assert.deepEqual([...leaders.values()], [2, 2, 2], 'leaders spread evenly');
    }
  });

  it('kill -9 of the active controller: another leads and serves CreateTopics within seconds, keeps what it acknowledged, and the restarted node catches up', async () => {
    const leaderId = await activeController(nodes.get(0)!.port);
    assert.ok(nodes.has(leaderId), `the active controller is one of the nodes (${leaderId})`);
    const victim = nodes.get(leaderId)!;
    const survivor = [...nodes.entries()].find(([id]) => id !== leaderId)![1];
    // Topics created one after another through a surviving broker, before, during and after the kill.
    const acknowledged: string[] = [];
    let inFlight = 0;
    let stop = false;
    const creator = (async () => {
      for (let i = 0; !stop; i++) {
        inFlight++;
        const code = await createTopic(survivor.port, `during-${i}`).catch(() => -2);
        inFlight--;
        if (code === 0 || code === 36) acknowledged.push(`during-${i}`);
      }
    })();
    await eventually('some creations acknowledged before the kill', 10_000, async () => acknowledged.length >= 3);
    const inFlightAtKill = inFlight;
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    nodes.delete(leaderId);
    let newLeader = -1;
    await eventually('a new active controller', 10_000, async () => {
      newLeader = await activeController(survivor.port);
      return newLeader >= 0 && newLeader !== leaderId;
    });
    const before = acknowledged.length;
    await eventually('CreateTopics served by the new controller', 10_000, async () => acknowledged.length > before);
    const failoverMs = Date.now() - killedAt;
    stop = true;
    await creator;
    assert.equal(inFlightAtKill, 1, 'a CreateTopics was in flight when the controller was killed');
    assert.ok(failoverMs < 10_000, `failover took ${failoverMs} ms`);
    console.log(`  failover: node ${leaderId} killed, node ${newLeader} leads; CreateTopics served again after ${failoverMs} ms`);
    for (const n of nodes.values()) {
      await eventually(`broker ${n.bootstrap} has every acknowledged topic`, 5000, async () => {
        const names = new Set((await metadata(n.port)).topics.map((t) => t.name));
        return acknowledged.every((a) => names.has(a)) && names.has('rf3');
      });
    }
    const restarted = await childNode(layout, leaderId, victim.port);
    nodes.set(leaderId, restarted);
    await eventually('the restarted node catches up', 15_000, async () => {
      const md = await metadata(restarted.port);
      const names = new Set(md.topics.map((t) => t.name));
      return acknowledged.every((a) => names.has(a)) && md.brokers.length === 3;
    });
    assert.equal(await createTopic(restarted.port, 'after-restart', 3, 3), 0);
  });
});
