/**
 * Samsa's admin client against an in-process broker, with kafkajs's admin as the independent
 * witness where it can see the same thing: topics, partitions, configs, the cluster, offsets,
 * deleting records, and groups (list, describe, lag, reset, delete).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaProtocolError, SamsaClient } from '../../src/client/index.js';
import { awaitGroupCoordinator } from '../helpers/group-coordinator.js';
import { RawClient } from '../helpers/raw-client.js';
import { testBroker } from '../helpers/test-broker.js';
import { GROUP_TEST_CONFIG, waitFor } from '../group/kafkajs-helpers.js';

const rejectsWith = (type: string) => (err: unknown) => err instanceof KafkaProtocolError && err.type === type;

describe('Samsa admin client', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: SamsaClient;
  let kafka: Kafka;
  before(async () => {
    broker = await testBroker({ config: GROUP_TEST_CONFIG });
    client = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  after(async () => {
    await client.close();
    await broker.stop();
  });

  it('creates, lists, describes, grows, configures and deletes topics', async () => {
    const admin = client.admin();
    await admin.createTopics([{ name: 'orders', partitions: 3, configs: { 'retention.ms': '60000' } }, { name: 'audit' }]);
    await assert.rejects(admin.createTopics([{ name: 'orders', partitions: 1 }]), rejectsWith('TOPIC_ALREADY_EXISTS'));
    await assert.rejects(admin.createTopics([{ name: 'bad/name', partitions: 1 }]), rejectsWith('INVALID_TOPIC_EXCEPTION'));
    await assert.rejects(admin.createTopics([{ name: 'x', partitions: 1, configs: { 'retention.ms': 'soon' } }]), rejectsWith('INVALID_CONFIG'));
    assert.deepEqual(await admin.listTopics(), ['audit', 'orders']);
    const raw = await RawClient.connect(broker.port);
    try {
      await awaitGroupCoordinator(raw, 'any-group');
    } finally {
      raw.close();
    }
    assert.ok((await admin.listTopics({ includeInternal: true })).includes('__consumer_offsets'));
    const [orders] = await admin.describeTopics(['orders']);
    assert.deepEqual(orders!.partitions.map((p) => [p.partition, p.leader]), [[0, 1], [1, 1], [2, 1]]);
    await admin.createPartitions('orders', 5);
    const ka = kafka.admin();
    await ka.connect();
    try {
      const meta = await ka.fetchTopicMetadata({ topics: ['orders'] });
      assert.equal(meta.topics[0]!.partitions.length, 5, 'kafkajs sees the new partitions');
      await admin.alterTopicConfigs('orders', { 'retention.ms': '120000', 'cleanup.policy': 'compact' });
      const configs = await admin.describeConfigs({ topic: 'orders' });
      assert.equal(configs.find((c) => c.name === 'retention.ms')!.value, '120000');
      assert.equal(configs.find((c) => c.name === 'cleanup.policy')!.value, 'compact');
      assert.equal(configs.find((c) => c.name === 'segment.bytes')!.isDefault, true);
      await admin.alterTopicConfigs('orders', { 'cleanup.policy': null });
      const seen = await ka.describeConfigs({ resources: [{ type: 2, name: 'orders', configNames: ['cleanup.policy'] }], includeSynonyms: false });
      assert.equal(seen.resources[0]!.configEntries[0]!.configValue, 'delete', 'kafkajs sees the default back');
      await admin.deleteTopics(['audit']);
      assert.deepEqual((await ka.listTopics()).filter((t) => !t.startsWith('__')), ['orders']);
    } finally {
      await ka.disconnect();
    }
    await assert.rejects(admin.describeTopics(['audit']), rejectsWith('UNKNOWN_TOPIC_OR_PARTITION'));
  });

  it('describes the cluster, lists offsets by time and deletes records', async () => {
    const admin = client.admin();
    const cluster = await admin.describeCluster();
    assert.deepEqual(cluster.brokers.map((b) => [b.nodeId, b.port]), [[1, broker.port]]);
    assert.equal(cluster.controllerId, 1);
    await admin.createTopics([{ name: 'timeline', partitions: 1 }]);
    await client.producer().send('timeline', Array.from({ length: 10 }, (_, i) => ({ value: `t${i}`, timestamp: 1_000_000 + i * 1000 })));
    const tp = [{ topic: 'timeline', partition: 0 }];
    assert.equal((await admin.listOffsets(tp, 'earliest'))[0]!.offset, 0n);
    assert.equal((await admin.listOffsets(tp, 'latest'))[0]!.offset, 10n);
    assert.equal((await admin.listOffsets(tp, { timestamp: 1_004_500 }))[0]!.offset, 5n);
    assert.equal(await admin.deleteRecords('timeline', 0, 4n), 4n);
    assert.equal((await admin.listOffsets(tp, 'earliest'))[0]!.offset, 4n);
  });

  it('lists, describes, measures lag of, resets and deletes groups', async () => {
    const admin = client.admin();
    await admin.createTopics([{ name: 'jobs', partitions: 2 }]);
    await client.producer().send('jobs', Array.from({ length: 10 }, (_, i) => ({ value: `j${i}`, partition: i % 2 })));
    const consumer = client.consumer({ groupId: 'crew', autoOffsetReset: 'earliest', sessionTimeoutMs: 6000, heartbeatIntervalMs: 200, maxWaitMs: 100, autoCommit: false });
    consumer.subscribe('jobs');
    let n = 0;
    for await (const r of consumer) {
      void r;
      if (++n === 6) break;
    }
    await consumer.commit();
    await waitFor('a Stable group', async () => (await admin.describeGroup('crew')).state === 'Stable');
    const g = await admin.describeGroup('crew');
    assert.equal(g.protocol, 'range');
    assert.deepEqual(g.members[0]!.assignment, { jobs: [0, 1] });
    assert.deepEqual((await admin.listGroups()).map((x) => [x.groupId, x.state]), [['crew', 'Stable']]);
    assert.deepEqual(await admin.listGroups(['Empty']), []);
    await assert.rejects(admin.resetOffsets('crew', 'jobs', 'earliest'), rejectsWith('UNKNOWN_MEMBER_ID'));
    await assert.rejects(admin.deleteGroups(['crew']), rejectsWith('NON_EMPTY_GROUP'));
    await consumer.close();

    const lag = await admin.groupLag('crew');
    assert.equal(lag.reduce((s, p) => s + Number(p.lag), 0), 4, 'six of ten read and committed');
    const ka = kafka.admin();
    await ka.connect();
    try {
      const theirs = await ka.fetchOffsets({ groupId: 'crew', topics: ['jobs'] });
      assert.deepEqual(theirs[0]!.partitions.map((p) => Number(p.offset)).sort(), lag.map((p) => Number(p.committed)).sort(), 'kafkajs reads the same commits');
      await admin.resetOffsets('crew', 'jobs', 'earliest');
      assert.deepEqual((await admin.fetchOffsets('crew')).map((o) => o.offset), [0n, 0n]);
      await admin.resetOffsets('crew', 'jobs', { offset: 3n });
      assert.deepEqual((await admin.groupLag('crew')).map((p) => p.lag), [2n, 2n]);
      await admin.resetOffsets('crew', 'jobs', 'latest');
      assert.deepEqual((await admin.groupLag('crew')).map((p) => p.lag), [0n, 0n]);
      await admin.deleteGroups(['crew']);
      assert.deepEqual((await ka.listGroups()).groups, []);
    } finally {
      await ka.disconnect();
    }
  });
});
