/**
 * Followers fetch through incremental fetch sessions (KIP-227) on three in-process nodes with their
 * logs on disk, driven by kafkajs: every leader holds one privileged session per follower broker,
 * covering the partitions that follower fetches from it, and the followers' requests after the
 * first are incremental; a session the leader loses (evicted: FETCH_SESSION_ID_NOT_FOUND) or that
 * dies with a leader's restart is replaced by a full fetch, and replication goes on: every replica
 * ends with the leader's records and kafkajs reads back everything it produced.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { RunningBroker } from '../../src/broker/broker.js';
import { SamsaClient } from '../../src/client/index.js';
import { inProcessClusterSuite, inProcessNode } from '../helpers/test-cluster.js';
import { eventually } from '../helpers/eventually.js';

const TOPIC = 'many';
const PARTITIONS = 30;
const CONFIG = { 'broker.session.timeout.ms': 2000, 'broker.heartbeat.interval.ms': 300, 'replica.fetch.backoff.ms': 100, 'auto.leader.rebalance.enable': 'false' };

interface SessionView { id: number; privileged: boolean; partitions: number }
interface FollowerSession { leaderId: number; sessionId: number; full: number; incremental: number; sessionErrors: number }
interface Internals {
  fetchSessions: { describe(): SessionView[]; remove(id: number): void };
  fetchers: { sessions(): FollowerSession[] };
  replicaManager: { getPartition(t: string, p: number): { logEndOffset: bigint; highWatermark: bigint } | undefined };
}
const internals = (n: RunningBroker) => n as unknown as Internals;

describe('replica fetch sessions', { timeout: 180_000 }, () => {
  const cluster = inProcessClusterSuite(3, {}, CONFIG);
  let kafka: Kafka;
  const leaderOf = (p: number) => cluster.nodes[0]!.metadata.topic(TOPIC)!.partitions[p]!.leader;
  const led = (id: number) => cluster.nodes[0]!.metadata.topic(TOPIC)!.partitions.filter((p) => p.leader === id).length;

  before(async () => {
    kafka = new Kafka({ clientId: 'replica-sessions-test', brokers: cluster.nodes.map((n) => n.bootstrap), logLevel: logLevel.NOTHING });
  });

  /** kafkajs writes `count` records to every partition with acks=all. */
  async function produce(tag: string, count: number): Promise<void> {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let p = 0; p < PARTITIONS; p++) await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ partition: p, value: `${tag}-${p}-${i}` })) });
    } finally {
      await producer.disconnect();
    }
  }

  /** Every replica of every partition at its leader's log end and high watermark. */
  async function allReplicasCaughtUp(what: string): Promise<void> {
    await eventually(what, 30_000, () =>
      Array.from({ length: PARTITIONS }, (_, p) => p).every((p) => {
        const leader = cluster.nodes.find((n) => n.nodeId === leaderOf(p));
        const lp = leader && internals(leader).replicaManager.getPartition(TOPIC, p);
        return lp !== undefined && cluster.nodes.every((n) => {
          const rp = internals(n).replicaManager.getPartition(TOPIC, p);
          return rp !== undefined && rp.logEndOffset === lp.logEndOffset && rp.highWatermark === lp.logEndOffset;
        });
      }),
    );
  }

  it('each leader keeps one privileged session per follower broker, and later fetches are incremental', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();
    for (const n of cluster.nodes) await eventually(`node ${n.nodeId} has the topic with full ISRs`, 20_000, () => n.metadata.topic(TOPIC)?.partitions.every((p) => p.isr.length === 3) === true);
    await produce('a', 5);
    await allReplicasCaughtUp('every replica has the first records');
    for (const n of cluster.nodes) {
      const followers = cluster.nodes.length - 1;
      await eventually(`node ${n.nodeId} holds a replica session for each follower broker over its ${led(n.nodeId)} partitions`, 10_000, () => {
        const replica = internals(n).fetchSessions.describe().filter((s) => s.privileged);
        return replica.length === followers && replica.every((s) => s.partitions === led(n.nodeId));
      });
      await eventually(`node ${n.nodeId}'s fetchers fetch incrementally from both leaders`, 10_000, () => {
        const mine = internals(n).fetchers.sessions();
        return mine.length === followers && mine.every((s) => s.sessionId !== 0 && s.incremental > s.full);
      });
    }
  });

  it('a session the leader lost is replaced by a full fetch, and replication goes on', async () => {
    const leader = cluster.nodes.find((n) => led(n.nodeId) > 0)!;
    const follower = cluster.nodes.find((n) => n !== leader)!;
    const before = internals(follower).fetchers.sessions().find((s) => s.leaderId === leader.nodeId)!;
    // The leader forgets the follower's session (as an eviction would).
    for (const s of internals(leader).fetchSessions.describe()) if (s.privileged) internals(leader).fetchSessions.remove(s.id);
    await eventually('the follower noticed and opened a new session', 10_000, () => {
      const now = internals(follower).fetchers.sessions().find((s) => s.leaderId === leader.nodeId)!;
      return now.sessionErrors > before.sessionErrors && now.full > before.full && now.sessionId !== 0 && now.sessionId !== before.sessionId;
    });
    await produce('b', 3);
    await allReplicasCaughtUp('every replica has the records written after the new session');
  });

  it('after a leader restarts, its followers fetch in full again and catch up; kafkajs reads everything', async () => {
    const victim = cluster.nodes.find((n) => led(n.nodeId) > 0)!;
    const id = victim.nodeId;
    await victim.close();
    cluster.nodes = cluster.nodes.filter((n) => n !== victim);
    await eventually('the partitions led elsewhere', 15_000, () => led(id) === 0);
    await produce('c', 3);
    const restarted = await inProcessNode(cluster.layout, id, {}, CONFIG);
    cluster.nodes.push(restarted);
    await eventually('the restarted node back in every ISR', 30_000, () => cluster.nodes[0]!.metadata.topic(TOPIC)!.partitions.every((p) => p.isr.length === 3));
    // Leadership back to the preferred replicas: the restarted node leads again, with an empty session cache.
    const client = new SamsaClient({ bootstrapServers: cluster.nodes.map((n) => n.bootstrap) });
    try {
      await client.admin().electLeaders('preferred', null);
    } finally {
      await client.close();
    }
    await eventually('the restarted node leads again', 15_000, () => led(id) > 0);
    await produce('d', 3);
    await allReplicasCaughtUp('every replica has every record after the restart');
    await eventually('the restarted leader holds sessions of both followers', 10_000, () => internals(restarted).fetchSessions.describe().filter((s) => s.privileged && s.partitions === led(id)).length === 2);

    const consumer = kafka.consumer({ groupId: 'replica-sessions-check' });
    const seen = new Set<string>();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
      await eventually('kafkajs read every record', 60_000, () => seen.size === PARTITIONS * 14);
    } finally {
      await consumer.disconnect();
    }
    for (let p = 0; p < PARTITIONS; p++) for (const [tag, n] of [['a', 5], ['b', 3], ['c', 3], ['d', 3]] as const) for (let i = 0; i < n; i++) assert.ok(seen.has(`${tag}-${p}-${i}`), `${tag}-${p}-${i} read back`);
  });
});
