/**
 * Unclean leader election on three in-process nodes with their logs on disk, driven by kafkajs:
 * two partitions on the same three brokers, one of a topic with `unclean.leader.election.enable`,
 * one without. The followers fall out of the ISR (the leader refuses their fetches), the leader
 * takes more acks=all writes alone, and stops: where the config allows it an out-of-sync replica
 * leads at a new epoch, alone in the ISR, and kafkajs writes and reads there (the leader's last
 * writes are lost: the documented price); the other partition stays offline until ElectLeaders
 * UNCLEAN asks for it. The old leader, restarted, truncates to the new leaders by leader epoch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { RunningBroker } from '../../src/broker/broker.js';
import { SamsaClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { inProcessClusterSuite, inProcessNode } from '../helpers/test-cluster.js';
import { replicaBatches } from '../helpers/replica-batches.js';
import { eventually as eventuallyHolds } from '../helpers/eventually.js';

// The group coordinators' topic is created at the first FindCoordinator, after a node has stopped: two replicas.
const CONFIG = { 'offsets.topic.replication.factor': 2, 'broker.session.timeout.ms': 2000, 'broker.heartbeat.interval.ms': 300, 'replica.lag.time.max.ms': 1500, 'replica.fetch.backoff.ms': 100, 'auto.leader.rebalance.enable': 'false' };
/** A check that throws (a log read racing a truncation) counts as not yet. */
const eventually = (what: string, ms: number, check: () => boolean | Promise<boolean>) => eventuallyHolds(what, ms, check, { tolerateErrors: true });

interface Internals {
  replicaManager: { getPartition(t: string, p: number): { logEndOffset: bigint } | undefined };
}

describe('unclean leader election', { timeout: 180_000 }, () => {
  const cluster = inProcessClusterSuite(3, {}, CONFIG);

  it('elects an out-of-sync replica only where the config allows it (else on demand); kafkajs writes and reads after it; the old leader truncates to it', async () => {
    // The partitions' leader is a node that is not the active controller, so its stop leaves the quorum's leadership alone.
    const controllerId = cluster.nodes[0]!.activeControllerId;
    const leaderId = cluster.layout.ids.find((id) => id !== controllerId)!;
    const [nextId, lastId] = cluster.layout.ids.filter((id) => id !== leaderId);
    const replicas = [leaderId, nextId!, lastId!];
    const kafka = new Kafka({ clientId: 'unclean-test', brokers: cluster.nodes.map((n) => n.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 20 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'u', replicaAssignment: [{ partition: 0, replicas }], configEntries: [{ name: 'unclean.leader.election.enable', value: 'true' }] },
        { topic: 'c', replicaAssignment: [{ partition: 0, replicas }] },
      ],
    });
    await admin.disconnect();
    const reg = (n: RunningBroker, t: string) => n.metadata.topic(t)?.partitions[0];
    for (const n of cluster.nodes) await eventually(`node ${n.nodeId} sees both topics with a full ISR`, 15_000, () => ['u', 'c'].every((t) => reg(n, t)?.isr.length === 3));
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const send = async (tag: string, topics: string[]) => {
      for (const topic of topics) await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ value: `${tag}${i}` })) });
    };
    await send('first', ['u', 'c']);
    const end = (n: RunningBroker, t: string) => (n as unknown as Internals).replicaManager.getPartition(t, 0)?.logEndOffset;
    for (const n of cluster.nodes) await eventually(`node ${n.nodeId} has the first records`, 10_000, () => end(n, 'u') === 5n && end(n, 'c') === 5n);

    // The followers fall behind: the leader refuses their fetches, and drops them from the ISR.
    const leader = cluster.nodes.find((n) => n.nodeId === leaderId)!;
    for (const topic of ['u', 'c']) leader.faults.inject({ apiKey: ApiKey.Fetch, topic }, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR });
    for (const n of cluster.nodes) await eventually(`node ${n.nodeId} sees the leader alone in both ISRs`, 15_000, () => ['u', 'c'].every((t) => reg(n, t)?.isr.join() === String(leaderId)));
    // Acknowledged by the ISR (the leader alone): the records the unclean election will lose.
    await send('second', ['u', 'c']);
    assert.deepEqual([end(leader, 'u'), end(leader, 'c')], [10n, 10n]);
    await producer.disconnect();

    // The last in-sync replica stops.
    const before = reg(cluster.nodes[0]!, 'u')!.leaderEpoch;
    await leader.close();
    cluster.nodes = cluster.nodes.filter((n) => n !== leader);
    const rest = cluster.nodes;
    // (Elected alone in the ISR; the other follower, truncated to it, may have joined it since.)
    for (const n of rest) await eventually(`node ${n.nodeId} sees ${nextId} lead 'u'`, 15_000, () => reg(n, 'u')!.leader === nextId && !reg(n, 'u')!.isr.includes(leaderId));
    assert.equal(reg(rest[0]!, 'u')!.leaderEpoch, before + 1, 'a new leader epoch');
    // Decided in the same batch: without the config, 'c' keeps its stopped leader (offline).
    assert.deepEqual([reg(rest[0]!, 'c')!.leader, reg(rest[0]!, 'c')!.isr], [leaderId, [leaderId]], "'c' stays offline");

    // kafkajs writes to the new leader and reads what it has: the first records and the new ones, not the lost ones.
    const p2 = kafka.producer({ allowAutoTopicCreation: false });
    await p2.connect();
    await p2.send({ topic: 'u', acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ value: `third${i}` })) });
    await p2.disconnect();
    assert.deepEqual(await consume(kafka, 'u', 'u-readers', 10), ['first0', 'first1', 'first2', 'first3', 'first4', 'third0', 'third1', 'third2', 'third3', 'third4']);

    // On demand for 'c' (ElectLeaders UNCLEAN, as kafka-leader-election.sh --election-type unclean asks).
    const client = new SamsaClient({ bootstrapServers: rest.map((n) => n.bootstrap) });
    try {
      const [outcome] = await client.admin().electLeaders('unclean', [{ topic: 'c', partition: 0 }]);
      assert.equal(outcome!.errorCode, ErrorCode.NONE);
    } finally {
      await client.close();
    }
    for (const n of rest) await eventually(`node ${n.nodeId} sees ${nextId} lead 'c'`, 15_000, () => reg(n, 'c')!.leader === nextId);
    assert.deepEqual(await consume(kafka, 'c', 'c-readers', 5), ['first0', 'first1', 'first2', 'first3', 'first4']);

    // The old leader comes back: a follower now, it cuts the records only it had and holds the new leaders' batches.
    const restarted = await inProcessNode(cluster.layout, leaderId, {}, CONFIG);
    cluster.nodes.push(restarted);
    const newLeader = rest.find((n) => n.nodeId === nextId)!;
    for (const t of ['u', 'c']) {
      await eventually(`the restarted node holds exactly the new leader's batches of '${t}'`, 30_000, async () => (await replicaBatches(restarted, t)).join() === (await replicaBatches(newLeader, t)).join());
      await eventually(`every replica of '${t}' back in the ISR`, 30_000, () => reg(restarted, t)?.isr.length === 3);
    }
  });
});

/** Every record value of `topic` read by kafkajs from the beginning, once `count` have come. */
async function consume(kafka: Kafka, topic: string, groupId: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await eventually(`kafkajs read ${count} records of ${topic}`, 60_000, () => seen.length >= count);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
