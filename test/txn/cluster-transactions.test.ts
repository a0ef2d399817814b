/**
 * Transactions on a three-node cluster in one process (in-memory storage, the real network on
 * 127.0.0.1): the partitions of a topic are led by all three nodes, so the transaction
 * coordinator (the leader of the id's partition of __transaction_state) writes most markers to
 * other brokers with WriteTxnMarkers, and those leaders ask it over the network whether a
 * transaction's first batch may go (KIP-890). kafkajs commits one transaction and aborts another,
 * with group offsets in each; kcat, bootstrapped from one node, reads at both isolation levels.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { TRANSACTION_STATE_TOPIC } from '../../src/common/topic-name.js';
import { partitionForGroup } from '../../src/group/partition-for.js';
import { kcat } from '../helpers/kcat.js';
import { inProcessClusterSuite } from '../helpers/test-cluster.js';
import { eventually } from '../helpers/eventually.js';

describe('transactions on a three-node cluster', { timeout: 120_000 }, () => {
  const config = { 'broker.heartbeat.interval.ms': 300, 'transaction.state.log.num.partitions': 3, 'group.initial.rebalance.delay.ms': 0 };
  const cluster = inProcessClusterSuite(3, { storage: 'memory' }, config);

  it('commits and aborts across partitions led by other brokers than the coordinator', async () => {
    const bootstrap = cluster.nodes[0]!.bootstrap;
    const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 3, replicationFactor: 1 }] });
    const producer = kafka.producer({ transactionalId: 'cluster-txn', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const image = cluster.nodes[0]!.metadata;
      await eventually('the topic on every node', 5000, () => cluster.nodes.every((n) => n.metadata.topic('spread') !== undefined));
      const leaders = image.topic('spread')!.partitions.map((p) => p.leader);
      assert.equal(new Set(leaders).size, 3, `partitions led by every node: ${leaders}`);

      const committed = await producer.transaction();
      await committed.send({ topic: 'spread', messages: [0, 1, 2].map((partition) => ({ partition, value: `committed-${partition}` })) });
      await committed.sendOffsets({ consumerGroupId: 'cluster-group', topics: [{ topic: 'spread', partitions: [{ partition: 0, offset: '1' }] }] });
      await committed.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic: 'spread', messages: [0, 1, 2].map((partition) => ({ partition, value: `aborted-${partition}` })) });
      await aborted.sendOffsets({ consumerGroupId: 'cluster-group', topics: [{ topic: 'spread', partitions: [{ partition: 0, offset: '2' }] }] });
      await aborted.abort();

      const txnState = image.topic(TRANSACTION_STATE_TOPIC)!;
      const coordinator = txnState.partitions[partitionForGroup('cluster-txn', txnState.partitionCount)]!.leader;
      assert.ok(leaders.some((l) => l !== coordinator), 'some markers went to another broker');

      const read = async (isolation: string) =>
        (await kcat(['-b', bootstrap, '-C', '-t', 'spread', '-o', 'beginning', '-e', '-q', '-f', '%s\n', '-X', `isolation.level=${isolation}`])).split('\n').filter(Boolean).sort();
      assert.deepEqual(await read('read_committed'), ['committed-0', 'committed-1', 'committed-2']);
      assert.deepEqual(await read('read_uncommitted'), ['aborted-0', 'aborted-1', 'aborted-2', 'committed-0', 'committed-1', 'committed-2']);
      const offsets = await admin.fetchOffsets({ groupId: 'cluster-group', topics: ['spread'] });
      assert.equal(offsets[0]!.partitions.find((p) => p.partition === 0)!.offset, '1');
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
