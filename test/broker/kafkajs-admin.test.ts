/**
 * kafkajs's admin client against an in-process broker: topics created, described, altered,
 * grown and deleted, with Kafka's error codes for what is invalid; offsets listed and records
 * deleted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs, { type Admin, Kafka, logLevel } from 'kafkajs';

// kafkajs is CommonJS and this export is not visible to ESM's named-import detection.
const { ConfigResourceTypes } = kafkajs;
import { testBroker } from '../helpers/test-broker.js';

describe('kafkajs admin', () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let admin: Admin;
  let kafka: Kafka;
  before(async () => {
    broker = await testBroker();
    kafka = new Kafka({ clientId: 'admin-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    admin = kafka.admin();
    await admin.connect();
  });
  after(async () => {
    await admin.disconnect();
    await broker.stop();
  });

  it('creates, lists, describes and deletes topics', async () => {
    assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '60000' }] }] }), true);
    assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] }), false, 'already exists');
    assert.ok((await admin.listTopics()).includes('orders'));
    const meta = await admin.fetchTopicMetadata({ topics: ['orders'] });
    assert.deepEqual(meta.topics[0]!.partitions.map((p) => p.partitionId).sort(), [0, 1, 2]);
    assert.ok(meta.topics[0]!.partitions.every((p) => p.leader === 1));
    await admin.deleteTopics({ topics: ['orders'] });
    assert.ok(!(await admin.listTopics()).includes('orders'));
  });

  it('rejects invalid topics with Kafka error codes', async () => {
    const fail = async (topic: object) => {
      try {
        await admin.createTopics({ topics: [topic as never] });
        return 'no error';
      } catch (err) {
        return ((err as { errors?: { type: string }[] }).errors?.[0]?.type ?? (err as { type?: string }).type) as string;
      }
    };
    assert.equal(await fail({ topic: 'bad name!', numPartitions: 1 }), 'INVALID_TOPIC_EXCEPTION');
    assert.equal(await fail({ topic: 'x'.repeat(250), numPartitions: 1 }), 'INVALID_TOPIC_EXCEPTION');
    assert.equal(await fail({ topic: 'zero-parts', numPartitions: 0 }), 'INVALID_PARTITIONS');
    assert.equal(await fail({ topic: 'rf3', numPartitions: 1, replicationFactor: 3 }), 'INVALID_REPLICATION_FACTOR');
    assert.equal(await fail({ topic: 'badcfg', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: 'soon' }] }), 'INVALID_CONFIG');
    assert.equal(await fail({ topic: 'unknowncfg', numPartitions: 1, configEntries: [{ name: 'no.such.config', value: '1' }] }), 'INVALID_CONFIG');
    assert.ok(!(await admin.listTopics()).some((t) => ['zero-parts', 'rf3', 'badcfg', 'unknowncfg'].includes(t)));
  });

  it('validates without creating when asked (validateOnly)', async () => {
    await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'only-validated', numPartitions: 2 }] });
    assert.ok(!(await admin.listTopics()).includes('only-validated'));
  });

  it('describes and alters topic configs with their sources', async () => {
    await admin.createTopics({ topics: [{ topic: 'cfg', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const described = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg' }] });
    const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
    assert.equal(entries.get('cleanup.policy')!.configValue, 'compact');
    assert.equal(entries.get('cleanup.policy')!.isDefault, false);
    assert.equal(entries.get('retention.ms')!.configValue, '604800000');
    assert.equal(entries.get('retention.ms')!.isDefault, true);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
    const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configNames: ['retention.ms', 'cleanup.policy'] }] });
    const m = new Map(after.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    assert.equal(m.get('retention.ms'), '1000');
    assert.equal(m.get('cleanup.policy'), 'delete', 'AlterConfigs replaces the whole set of overrides');
    const broker0 = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1' }] });
    assert.ok(broker0.resources[0]!.configEntries.some((e) => e.configName === 'num.partitions' && e.configValue === '1'));
  });

  it('describes configs in the order asked, with synonyms only when asked and as Kafka lists them', async () => {
    await admin.createTopics({ topics: [{ topic: 'synonyms', numPartitions: 1 }] });
    const describe = async (includeSynonyms: boolean) =>
      (await admin.describeConfigs({ includeSynonyms, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'synonyms', configNames: ['retention.ms', 'compression.type'] }] })).resources[0]!.configEntries;
    const withSynonyms = await describe(true);
    assert.deepEqual(withSynonyms.map((e) => e.configName), ['retention.ms', 'compression.type']);
    // retention.ms's broker synonyms start at log.retention.ms, which has no default: Kafka lists none.
    assert.deepEqual(withSynonyms.map((e) => e.configSynonyms), [[], [{ configName: 'compression.type', configValue: 'producer', configSource: 5 }]]);
    assert.deepEqual((await describe(false)).map((e) => e.configSynonyms), [[], []]);
    const broker1 = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['default.replication.factor', 'num.partitions'] }] });
    assert.deepEqual(broker1.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]), [['default.replication.factor', '1'], ['num.partitions', '1']]);
  });

  it('adds partitions and refuses to shrink', async () => {
    await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 4 }] });
    const meta = await admin.fetchTopicMetadata({ topics: ['grow'] });
    assert.equal(meta.topics[0]!.partitions.length, 4);
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 2 }] }), /INVALID_PARTITIONS|partitions/i);
  });

  it('lists offsets, by timestamp, and deletes records', async () => {
    await admin.createTopics({ topics: [{ topic: 'offsets', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    const t0 = Date.now();
    await producer.send({ topic: 'offsets', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, timestamp: String(t0 + i * 1000) })) });
    await producer.disconnect();
    const [latest] = await admin.fetchTopicOffsets('offsets');
    assert.deepEqual({ low: latest!.low, high: latest!.high }, { low: '0', high: '10' });
    const [byTime] = await admin.fetchTopicOffsetsByTimestamp('offsets', t0 + 4500);
    assert.equal(byTime!.offset, '5');
    await admin.deleteTopicRecords({ topic: 'offsets', partitions: [{ partition: 0, offset: '6' }] });
    const [afterDelete] = await admin.fetchTopicOffsets('offsets');
    assert.equal(afterDelete!.low, '6');
  });

  it('describes the cluster', async () => {
    const c = await admin.describeCluster();
    assert.equal(c.controller, 1);
    assert.deepEqual(c.brokers.map((b) => [b.nodeId, b.port]), [[1, broker.port]]);
    assert.ok(c.clusterId.length > 0);
  });
});
