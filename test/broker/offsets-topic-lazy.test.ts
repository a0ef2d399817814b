/**
 * `__consumer_offsets` on a standalone node is created as Kafka creates it: not at start, but on
 * the first FindCoordinator for a group, which answers COORDINATOR_NOT_AVAILABLE until the topic
 * exists and the coordinator has loaded the group's partition (clients retry). Checked with
 * kafkajs and Samsa's own consumer, and across a restart (the coordinator loads the topic the
 * first start created).
 */
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { SamsaClient, stringSerde } from '../../src/client/index.js';
import { GROUP_TEST_CONFIG } from '../group/kafkajs-helpers.js';
import { type RunningBroker } from '../../src/broker/broker.js';
import { testBroker, tempDir } from '../helpers/test-broker.js';

const offsetsDirs = async (dir: string) => (await readdir(dir)).filter((d) => d.startsWith('__consumer_offsets-'));

describe('__consumer_offsets is created on the first FindCoordinator', { timeout: 120_000 }, () => {
  let dataDir: string;
  let broker: RunningBroker & { stop(): Promise<void> };
  before(async () => {
    dataDir = await tempDir();
  });
  after(async () => {
    await broker?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is absent after start, then created by a kafkajs group and found again after a restart', async () => {
    broker = await testBroker({ dataDir, config: { ...GROUP_TEST_CONFIG, 'offsets.topic.num.partitions': 5 } });
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'lazy-offsets', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.deepEqual((await admin.fetchTopicMetadata()).topics.map((t) => t.name).filter((n) => n.startsWith('__')), [], 'no internal topic after start');
      assert.deepEqual(await offsetsDirs(dataDir), [], 'no partition directory of __consumer_offsets');
      await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 1 }] });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'events', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
      await producer.disconnect();
      // kafkajs's offset commit: FindCoordinator creates the topic, answering COORDINATOR_NOT_AVAILABLE meanwhile.
      await admin.setOffsets({ groupId: 'g1', topic: 'events', partitions: [{ partition: 0, offset: '2' }] });
      assert.deepEqual(await admin.fetchOffsets({ groupId: 'g1', topics: ['events'] }), [{ topic: 'events', partitions: [{ partition: 0, offset: '2', metadata: null }] }]);
      const offsets = (await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] })).topics[0]!;
      assert.equal(offsets.partitions.length, 5);
      assert.ok(offsets.partitions.every((p) => p.replicas.length === 1), 'one replica on a standalone node');
    } finally {
      await admin.disconnect();
    }
    assert.equal((await offsetsDirs(dataDir)).length, 5);

    await broker.close();
    broker = await testBroker({ dataDir, config: { ...GROUP_TEST_CONFIG, 'offsets.topic.num.partitions': 5 } });
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
    try {
      const consumer = client.consumer({ groupId: 'g1', valueDeserializer: stringSerde, autoOffsetReset: 'earliest', autoCommit: false });
      const values: string[] = [];
      // Closing the consumer ends its iterator: the read is bounded even if the group never formed.
      const guard = setTimeout(() => void consumer.close(), 30_000);
      try {
        consumer.subscribe('events');
        for await (const batch of consumer.batches()) {
          for (const r of batch) values.push(String(r.value));
          if (values.length >= 1) break;
        }
      } finally {
        clearTimeout(guard);
        await consumer.close();
      }
      assert.deepEqual(values, ['c'], 'the committed offset survived the restart');
    } finally {
      await client.close();
    }
  });
});
