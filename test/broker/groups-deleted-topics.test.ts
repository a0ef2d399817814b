/**
 * A topic's committed offsets go with it, as Kafka's onPartitionsDeleted does: tombstoned at once,
 * and a group left Empty without offsets deleted. Until stop 30 they waited for
 * offsets.retention.minutes (a week): a broker whose topics come and go, each with its group (test
 * suites), kept every group and its offsets (~2.5 KB each) for a week, and refused new groups once
 * samsa.group.max.groups were held. Offsets pending in an open transaction (TxnOffsetCommit) go
 * too: until stop 31 the transaction's commit made them the group's offsets of the deleted topic.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker } from '../helpers/test-broker.js';
import { eventually } from '../helpers/eventually.js';
import { GROUP_TEST_CONFIG } from '../group/kafkajs-helpers.js';

describe('offsets of deleted topics', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => {
    broker = await testBroker({ config: { ...GROUP_TEST_CONFIG, 'offsets.topic.num.partitions': 2 } });
  });
  after(() => broker.stop());

  it('are removed with their topic, and so is a group left without offsets', async () => {
    const admin = new Kafka({ clientId: 'deleted-topics', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50 } }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'gone', numPartitions: 2 }, { topic: 'kept', numPartitions: 1 }] });
      // Committed as a standalone consumer or a group that has left does (the groups are Empty).
      await admin.setOffsets({ groupId: 'only-gone', topic: 'gone', partitions: [{ partition: 0, offset: '0' }, { partition: 1, offset: '0' }] });
      await admin.setOffsets({ groupId: 'both', topic: 'gone', partitions: [{ partition: 0, offset: '0' }] });
      await admin.setOffsets({ groupId: 'both', topic: 'kept', partitions: [{ partition: 0, offset: '0' }] });
      const groups = async () => (await admin.listGroups()).groups.map((g) => g.groupId).sort();
      assert.deepEqual(await groups(), ['both', 'only-gone']);

      await admin.deleteTopics({ topics: ['gone'] });
      await eventually('the group with offsets of the deleted topic only to go', 10_000, async () => !(await groups()).includes('only-gone'));
      assert.deepEqual(await groups(), ['both']);
      const left = await admin.fetchOffsets({ groupId: 'both' });
      assert.deepEqual(left.map((t) => t.topic), ['kept'], 'the other group keeps its offsets of the topic still there');
    } finally {
      await admin.disconnect();
    }
  });

  it('drops offsets of a deleted topic pending in an open transaction', async () => {
    const kafka = new Kafka({ clientId: 'deleted-topics-txn', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50 } });
    const admin = kafka.admin();
    const producer = kafka.producer({ transactionalId: 'deleted-topics-txn', idempotent: true, maxInFlightRequests: 1 });
    await admin.connect();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'gone-in-txn', numPartitions: 1 }] });
      const txn = await producer.transaction();
      await txn.sendOffsets({ consumerGroupId: 'txn-only-gone', topics: [{ topic: 'gone-in-txn', partitions: [{ partition: 0, offset: '3' }] }] });
      await admin.deleteTopics({ topics: ['gone-in-txn'] });
      await txn.commit();
      const groups = async () => (await admin.listGroups()).groups.map((g) => g.groupId);
      await eventually('the group whose only offset was pending to go', 10_000, async () => !(await groups()).includes('txn-only-gone'));
      assert.deepEqual(await admin.fetchOffsets({ groupId: 'txn-only-gone' }), []);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
