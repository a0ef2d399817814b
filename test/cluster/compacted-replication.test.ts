/**
 * A compacted partition gains a replica: the new follower copies the leader's cleaned log, gaps
 * in its offsets included, catches up, and leads it with the same records. kafkajs produces and
 * reassigns; kcat (librdkafka) reads each leader's log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually.js';
import { kcat } from '../helpers/kcat.js';
import { inProcessClusterSuite } from '../helpers/test-cluster.js';

describe('replicating a compacted partition', { timeout: 120_000 }, () => {
  const suite = inProcessClusterSuite(2, {}, { 'log.cleaner.backoff.ms': 100, 'replica.fetch.wait.max.ms': 100 });

  it('a replica added after cleaning copies the log with its gaps and leads it with the same records', async () => {
    const [n0, n1] = suite.nodes;
    const kafka = new Kafka({ brokers: [`127.0.0.1:${n0!.port}`, `127.0.0.1:${n1!.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    const topic = 'compacted-reassigned';
    const read = async (port: number) => (await kcat(['-b', `127.0.0.1:${port}`, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %k=%s\n'])).split('\n').filter((l) => l !== '');
    try {
      const configEntries = Object.entries({ 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01' }).map(([name, value]) => ({ name, value }));
      await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [0] }], configEntries }], waitForLeaders: true });
      await producer.connect();
      for (let i = 0; i < 120; i++) await producer.send({ topic, acks: -1, messages: [{ key: `k${i % 6}`, value: `v${i}` }] });
      await eventually('the leader cleaned its first segments', 15_000, async () => !(await read(n0!.port))[0]!.startsWith('0 '));

      await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [0, 1] }] }] });
      await eventually('the new replica caught up (the reassignment completed)', 15_000, async () => (await admin.listPartitionReassignments({})).topics.length === 0);
      await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [1] }] }] });
      await eventually('node 1 leads the partition alone', 15_000, async () => {
        const p = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions[0]!;
        return p.leader === 1 && p.replicas.length === 1;
      });
      const copied = await read(n1!.port);
      assert.ok(!copied[0]!.startsWith('0 '), `the gaps came along: ${copied[0]}`);
      for (const line of copied) {
        const offset = Number(line.split(' ')[0]);
        assert.equal(line, `${offset} k${offset % 6}=v${offset}`, 'each record at its original offset');
      }
      assert.deepEqual(copied.slice(-6), [114, 115, 116, 117, 118, 119].map((o) => `${o} k${o % 6}=v${o}`), 'the latest value of every key');
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
