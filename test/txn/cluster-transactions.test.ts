/**
 * Transactions on a three-node cluster in one process (in-memory storage, the real network on
 * 127.0.0.1): the partitions of a topic are led by all three nodes, so the transaction
 * coordinator (the leader of the id's partition of __transaction_state) writes most markers to
 * other brokers with WriteTxnMarkers, and those leaders ask it over the network whether a
 * transaction's first batch may go (KIP-890). kafkajs commits one transaction and aborts another,
 * with group offsets in each; kcat, bootstrapped from one node, reads at both isolation levels.
 *
 * kafkajs sends to one partition per `send`: a kafkajs send spanning brokers, retried after one
 * broker's request failed while another's was still in flight, sends the latter's records again
 * with new sequence numbers, so they are written twice (docs/compat.md#kafkajs); the second test
 * provokes such a retry. A failed check prints every replica's batches and kafkajs's log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka, type Transaction, logLevel } from 'kafkajs';
import type { InjectedFault } from '../../src/broker/faults/faults.js';
import { TRANSACTION_STATE_TOPIC } from '../../src/common/topic-name.js';
import { partitionForGroup } from '../../src/group/partition-for.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { kcat } from '../helpers/kcat.js';
import { inProcessClusterSuite } from '../helpers/test-cluster.js';
import { eventually } from '../helpers/eventually.js';
import { dumpPartitions } from '../helpers/partition-dump.js';

/** A kafkajs client for `bootstrap` whose warnings and errors (its retries among them) are kept in `log`. */
function loggedKafka(bootstrap: string): { kafka: Kafka; log: string[] } {
  const log: string[] = [];
  const kafka = new Kafka({
    brokers: [bootstrap],
    logLevel: logLevel.WARN,
    logCreator: () => (e) => {
      const { message, error, retryCount, broker } = e.log as { message: string; error?: string; retryCount?: number; broker?: string };
      if (!/switched default partitioner/.test(message)) log.push(`${e.label} ${message}${error ? ` (${error})` : ''}${retryCount !== undefined ? ` retry ${retryCount}` : ''}${broker ? ` ${broker}` : ''}`);
    },
  });
  return { kafka, log };
}

/** Sends `values[i]` to partition i, one partition (so one broker) per kafkajs send. */
async function sendEach(txn: Transaction, topic: string, values: readonly string[]): Promise<void> {
  for (const [partition, value] of values.entries()) await txn.send({ topic, messages: [{ partition, value }] });
}

describe('transactions on a three-node cluster', { timeout: 120_000 }, () => {
  const config = { 'broker.heartbeat.interval.ms': 300, 'transaction.state.log.num.partitions': 3, 'group.initial.rebalance.delay.ms': 0 };
  const cluster = inProcessClusterSuite(3, { storage: 'memory' }, config);

  /** The values kcat reads from `topic` at `isolation`, sorted. */
  const read = async (topic: string, isolation: string) =>
    (await kcat(['-b', cluster.nodes[0]!.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n', '-X', `isolation.level=${isolation}`])).split('\n').filter(Boolean).sort();

  /** What to print when a read of `topic` is not as expected: the batches and kafkajs's log. */
  const evidence = async (topic: string, log: readonly string[]) => `\n${await dumpPartitions(cluster.nodes, topic, [0, 1, 2])}\nkafkajs:\n  ${log.join('\n  ')}`;

  it('commits and aborts across partitions led by other brokers than the coordinator', async () => {
    const { kafka, log } = loggedKafka(cluster.nodes[0]!.bootstrap);
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
      await sendEach(committed, 'spread', ['committed-0', 'committed-1', 'committed-2']);
      await committed.sendOffsets({ consumerGroupId: 'cluster-group', topics: [{ topic: 'spread', partitions: [{ partition: 0, offset: '1' }] }] });
      await committed.commit();
      const aborted = await producer.transaction();
      await sendEach(aborted, 'spread', ['aborted-0', 'aborted-1', 'aborted-2']);
      await aborted.sendOffsets({ consumerGroupId: 'cluster-group', topics: [{ topic: 'spread', partitions: [{ partition: 0, offset: '2' }] }] });
      await aborted.abort();

      const txnState = image.topic(TRANSACTION_STATE_TOPIC)!;
      const coordinator = txnState.partitions[partitionForGroup('cluster-txn', txnState.partitionCount)]!.leader;
      assert.ok(leaders.some((l) => l !== coordinator), 'some markers went to another broker');

      const readCommitted = await read('spread', 'read_committed');
      assert.deepEqual(readCommitted, ['committed-0', 'committed-1', 'committed-2'], await evidence('spread', log));
      const readUncommitted = await read('spread', 'read_uncommitted');
      assert.deepEqual(readUncommitted, ['aborted-0', 'aborted-1', 'aborted-2', 'committed-0', 'committed-1', 'committed-2'], await evidence('spread', log));
      const offsets = await admin.fetchOffsets({ groupId: 'cluster-group', topics: ['spread'] });
      assert.equal(offsets[0]!.partitions.find((p) => p.partition === 0)!.offset, '1');
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('a marker to a partition the coordinator follows completes while its follower goes on fetching', async () => {
    // The coordinator sends WriteTxnMarkers to the partition's leader, whose answer waits until the
    // followers have the marker; the coordinator is one of them. The fault holds the marker request
    // at the leader for a moment, so the follower's next fetch is sent behind it: on one shared
    // connection its answer would wait behind the marker's, which waits for that fetch, until the
    // marker's write timed out (30 s). Bounded here at 20 s, the transaction settles in a few.
    const { kafka, log } = loggedKafka(cluster.nodes[0]!.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ transactionalId: 'cluster-txn-followed', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let fault: InjectedFault | undefined;
    try {
      // The producer's id (InitProducerId) first: __transaction_state exists from then on.
      const txn = await producer.transaction();
      await eventually('__transaction_state on every node', 10_000, () => cluster.nodes.every((n) => n.metadata.topic(TRANSACTION_STATE_TOPIC) !== undefined));
      const txnState = cluster.nodes[0]!.metadata.topic(TRANSACTION_STATE_TOPIC)!;
      const coordinator = txnState.partitions[partitionForGroup('cluster-txn-followed', txnState.partitionCount)]!.leader;
      const leader = cluster.nodes.map((n) => n.nodeId).find((id) => id !== coordinator)!;
      await admin.createTopics({ topics: [{ topic: 'followed', replicaAssignment: [{ partition: 0, replicas: [leader, coordinator] }] }] });
      await eventually('the topic led by its first replica, the coordinator in its ISR', 10_000, () =>
        cluster.nodes.every((n) => {
          const p = n.metadata.topic('followed')?.partitions[0];
          return p?.leader === leader && p.isr.includes(coordinator);
        }),
      );
      const leaderNode = cluster.nodes.find((n) => n.nodeId === leader)!;
      fault = leaderNode.faults.inject({ apiKey: ApiKey.WriteTxnMarkers, times: 1 }, { delayMs: 1500 });
      await txn.send({ topic: 'followed', messages: [{ partition: 0, value: 'followed-0' }] });
      await txn.commit();
      let seen: string[] = [];
      await eventually('the committed record visible to read_committed', 20_000, async () => (seen = await read('followed', 'read_committed')).length > 0);
      assert.equal(fault.hits, 1, 'the marker request was held at the leader');
      assert.deepEqual(seen, ['followed-0'], await evidence('followed', log));
    } finally {
      fault?.remove();
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('a send retried after the coordinator answered CONCURRENT_TRANSACTIONS writes each record once', async () => {
    const { kafka, log } = loggedKafka(cluster.nodes[0]!.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'retried', numPartitions: 3, replicationFactor: 1 }] });
    const producer = kafka.producer({ transactionalId: 'cluster-txn-retried', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const faults: { apiKey: number; fault: InjectedFault }[] = [];
    try {
      await eventually('the topic on every node', 5000, () => cluster.nodes.every((n) => n.metadata.topic('retried') !== undefined));
      // As a coordinator still writing the previous transaction's markers answers (past its wait,
      // under load): the first AddPartitionsToTxn fails, and every leader is slow to append.
      const concurrent = (req: unknown) => ({
        throttleTimeMs: 0,
        resultsByTopicV3AndBelow: (req as { v3AndBelowTopics: { name: string; partitions: number[] }[] }).v3AndBelowTopics.map((t) => ({
          name: t.name,
          resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: ErrorCode.CONCURRENT_TRANSACTIONS })),
        })),
      });
      for (const n of cluster.nodes) {
        faults.push({ apiKey: ApiKey.AddPartitionsToTxn, fault: n.faults.inject({ apiKey: ApiKey.AddPartitionsToTxn, times: 1 }, { respond: concurrent }) });
        faults.push({ apiKey: ApiKey.Produce, fault: n.faults.inject({ apiKey: ApiKey.Produce, topic: 'retried', times: 1 }, { delayMs: 1500 }) });
      }
      const txn = await producer.transaction();
      await sendEach(txn, 'retried', ['r-0', 'r-1', 'r-2']);
      await txn.commit();
      assert.equal(faults.filter((f) => f.apiKey === ApiKey.AddPartitionsToTxn).reduce((n, f) => n + f.fault.hits, 0), 1, 'one AddPartitionsToTxn was refused');
      assert.deepEqual(await read('retried', 'read_committed'), ['r-0', 'r-1', 'r-2'], await evidence('retried', log));
    } finally {
      for (const f of faults) f.fault.remove();
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
