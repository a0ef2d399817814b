/**
 * Partition reassignment and automatic preferred leader election on three nodes in one process,
 * driven by kafkajs's admin: a partition on [0, 1] moved to [1, 2] (its leader among the removed)
 * ends with its records on the new replicas and its log deleted on node 0; Kafka's errors for an
 * unknown topic and an unknown broker; and, with `leader.imbalance.check.interval.seconds` 1, a
 * partition whose preferred replica changed (a reassignment that only reorders the replicas) is
 * led by it again without anyone asking.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { RunningBroker } from '../../src/broker/broker.js';
import { SamsaClient, stringSerde } from '../../src/client/index.js';
import { readValues } from '../helpers/read-values.js';
import { SAMSA_BIN } from '../helpers/test-broker.js';
import { type ClusterLayout, clusterLayout, inProcessCluster, removeLayout } from '../helpers/test-cluster.js';
import { eventually } from '../helpers/eventually.js';

const run = promisify(execFile);
const samsa = (args: string[]) => run(process.execPath, [SAMSA_BIN(), ...args]).catch((err: { code?: number; stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '', code: err.code }));


interface BrokerInternals {
  replicaManager: { getPartition(t: string, p: number): { log: { logEndOffset: bigint } } | undefined; o: { logs: { getLog(t: string, p: number): unknown } } };
}
const held = (n: RunningBroker, topic: string, partition: number) => (n as unknown as BrokerInternals).replicaManager.getPartition(topic, partition);

describe('partition reassignment on three nodes in one process', { timeout: 120_000 }, () => {
  let layout: ClusterLayout;
  let nodes: RunningBroker[] = [];
  let client: SamsaClient;
  let admin: Admin;
  const node = (id: number) => nodes.find((n) => n.nodeId === id)!;

  before(async () => {
    layout = await clusterLayout(3);
    const extra = { 'broker.session.timeout.ms': 3000, 'broker.heartbeat.interval.ms': 300, 'replica.fetch.backoff.ms': 100, 'leader.imbalance.check.interval.seconds': 1 };
    nodes = await inProcessCluster(layout, { storage: 'memory' }, extra);
    client = new SamsaClient({ bootstrapServers: nodes.map((n) => n.bootstrap) });
    admin = new Kafka({ clientId: 'reassign-test', brokers: [nodes[0]!.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  after(async () => {
    await admin?.disconnect();
    await client?.close();
    await Promise.all(nodes.map((n) => n.close()));
    if (layout) await removeLayout(layout);
  });

  it('moves a partition from [0, 1] to [1, 2] (kafkajs alterPartitionReassignments): the records reach node 2, node 0 deletes its log, leadership leaves node 0', async () => {
    const [a, b] = layout.ids as [number, number, number];
    const c = layout.ids[2]!;
    await admin.createTopics({ topics: [{ topic: 'moving', replicaAssignment: [{ partition: 0, replicas: [a, b] }] }] });
    const producer = client.producer({ valueSerializer: stringSerde, acks: 'all' });
    for (let i = 0; i < 20; i++) await producer.send('moving', { value: `v${i}`, partition: 0 });
    await eventually('node 0 leads with the 20 records', 10_000, () => held(node(a), 'moving', 0)?.log.logEndOffset === 20n);
    assert.equal(held(node(c), 'moving', 0), undefined, 'node 2 is not a replica yet');

    await admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: [b, c] }] }] });
    await eventually('the reassignment completes', 20_000, async () => {
      const listed = await admin.listPartitionReassignments({ topics: [{ topic: 'moving', partitions: [0] }] });
      const reg = nodes[0]!.metadata.topic('moving')!.partitions[0]!;
      return listed.topics.length === 0 && JSON.stringify(reg.replicas) === JSON.stringify([b, c]);
    });
    const reg = nodes[0]!.metadata.topic('moving')!.partitions[0]!;
    assert.deepEqual([[...reg.isr].sort(), reg.addingReplicas, reg.removingReplicas], [[b, c].sort(), [], []]);
    assert.equal(reg.leader, b, 'the removed leader handed over to the first target replica in the ISR');
    await eventually('node 2 holds the 20 records', 10_000, () => held(node(c), 'moving', 0)?.log.logEndOffset === 20n);
    await eventually('node 0 no longer holds the partition', 10_000, () => held(node(a), 'moving', 0) === undefined);
    await eventually('node 0 deleted its log', 10_000, () => (node(a) as unknown as BrokerInternals).replicaManager.o.logs.getLog('moving', 0) === undefined);

    // Served by the new leader, with every record.
    await producer.send('moving', { value: 'after', partition: 0 });
    await producer.close();
    const seen = await readValues(client, 'moving', 0, 21, 20_000);
    assert.deepEqual(seen, [...Array.from({ length: 20 }, (_, i) => `v${i}`), 'after']);
  });

  it('answers unknown topics and unknown brokers with Kafka\'s errors', async () => {
    await assert.rejects(admin.alterPartitionReassignments({ topics: [{ topic: 'no-such-topic', partitionAssignment: [{ partition: 0, replicas: [0, 1] }] }] }), (err: { errors?: { type: string }[] }) =>
      err.errors?.[0]?.type === 'UNKNOWN_TOPIC_OR_PARTITION');
    await assert.rejects(admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: [5, 1] }] }] }), (err: { errors?: { type: string }[] }) =>
      err.errors?.[0]?.type === 'INVALID_REPLICA_ASSIGNMENT');
  });

  it('moves leadership back to a preferred replica by itself (auto.leader.rebalance.enable)', async () => {
    const [a, b, c] = layout.ids as [number, number, number];
    await admin.createTopics({ topics: [{ topic: 'balance', replicaAssignment: [{ partition: 0, replicas: [a, b, c] }] }] });
    await eventually('node 0 leads', 10_000, () => nodes[0]!.metadata.topic('balance')?.partitions[0]?.leader === a);
    // The same replicas in another order: complete at once, node 1 preferred, node 0 still leading.
    await admin.alterPartitionReassignments({ topics: [{ topic: 'balance', partitionAssignment: [{ partition: 0, replicas: [b, a, c] }] }] });
    // The answer came from whichever node kafkajs asked; node 0 sees the new order once its metadata catches up.
    await eventually('node 0 sees the replicas reordered', 10_000, () => nodes[0]!.metadata.topic('balance')!.partitions[0]!.replicas.join() === [b, a, c].join());
    await eventually('node 1, the preferred replica, leads', 10_000, () => nodes.every((n) => n.metadata.topic('balance')!.partitions[0]!.leader === b));
  });
  it('samsa reassign-partitions --execute/--verify/--list and samsa leader-election --election-type preferred', async () => {
    const [a, b, c] = layout.ids as [number, number, number];
    const bootstrap = ['-b', nodes.map((n) => n.bootstrap).join(',')];
    // Node 2 is the preferred leader of ten partitions it leads: one more led elsewhere is 1/11, under
    // leader.imbalance.per.broker.percentage (10), so only the command moves that one.
    await admin.createTopics({ topics: [{ topic: 'led-by-2', replicaAssignment: Array.from({ length: 10 }, (_, partition) => ({ partition, replicas: [c, a] })) }] });
    await admin.createTopics({ topics: [{ topic: 'cli', replicaAssignment: [{ partition: 0, replicas: [a, b] }] }] });
    const dir = await mkdtemp(join(tmpdir(), 'samsa-reassign-'));
    try {
      const plan = join(dir, 'plan.json');
      await writeFile(plan, JSON.stringify({ version: 1, partitions: [{ topic: 'cli', partition: 0, replicas: [c, a], log_dirs: ['any', 'any'] }] }));
      const executed = await samsa(['reassign-partitions', '--execute', '--reassignment-json-file', plan, ...bootstrap]);
      assert.match(executed.stdout, /started the reassignment of cli-0/);
      await eventually('--verify says completed', 20_000, async () => {
        const verified = await samsa(['reassign-partitions', '--verify', '--reassignment-json-file', plan, '--json', ...bootstrap]);
        return (JSON.parse(verified.stdout) as { state: string }[])[0]!.state === 'completed';
      });
      assert.equal((await samsa(['reassign-partitions', '--list', ...bootstrap])).stdout, '(none)\n');
      const cancelled = await samsa(['reassign-partitions', '--cancel', '--reassignment-json-file', plan, '--json', ...bootstrap]);
      assert.equal(cancelled.stdout.trim(), '[]', 'nothing left to cancel');
      await writeFile(plan, JSON.stringify({ version: 1, partitions: [{ topic: 'cli', partition: 0, replicas: [9, a] }] }));
      const refused = await samsa(['reassign-partitions', '--execute', '--reassignment-json-file', plan, ...bootstrap]);
      assert.equal((refused as { code?: number }).code, 1);
      assert.match(refused.stdout, /failed cli-0: .*broker 9/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Node 0 led cli-0 before and still does; node 2 is now preferred.
    const reg = () => nodes[0]!.metadata.topic('cli')!.partitions[0]!;
    assert.deepEqual([reg().replicas, reg().leader], [[c, a], a]);
    const elected = await samsa(['leader-election', '--election-type', 'preferred', '--topic', 'cli', '--partition', '0', ...bootstrap]);
    assert.match(elected.stdout, /Successfully completed leader election \(preferred\) for partitions cli-0/);
    await eventually('node 0 sees node 2 lead cli-0', 10_000, () => reg().leader === c);
    const again = await samsa(['leader-election', '--election-type', 'preferred', '--all-topic-partitions', ...bootstrap]);
    assert.match(again.stdout, /No partition needed an election/);
  });
});
