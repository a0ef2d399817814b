/**
 * A topic's effective config is cached by name (broker/topic-manager.ts) and dropped when the
 * topic's configs change or it is deleted. The metadata publisher asks for it when it opens a new
 * topic's partitions, which it does after the commit that created the topic: a deletion committed
 * meanwhile (a client creating and deleting a topic at once) had already dropped the entry, and
 * the publisher cached it again, for a topic that was gone, with the topic defaults of that moment.
 * It stayed for the broker's life (one per such topic), and a topic created again under the name
 * used those defaults after they had changed. Only topics in the image are cached now.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;
import { CreateTopicsApi, DeleteTopicsApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { testBroker } from '../helpers/test-broker.js';

describe('the config of a topic deleted as it is created', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => (broker = await testBroker()));
  after(() => broker.stop());

  it('is not cached, so a topic created again under its name takes the topic defaults of now', async () => {
    const raw = await RawClient.connect(broker.port);
    try {
      // Both in flight at once: the deletion commits before the publisher opens the new topic's partition.
      const [created, deleted] = await Promise.all([
        raw.send(CreateTopicsApi, 5, { topics: [{ name: 'raced', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false }),
        raw.send(DeleteTopicsApi, 5, { topicNames: ['raced'], timeoutMs: 10_000 }),
      ]);
      assert.equal(created.topics[0]!.errorCode, 0);
      assert.equal(deleted.responses[0]!.errorCode, 0);
    } finally {
      raw.close();
    }
    const kafka = new Kafka({ clientId: 'deleted-topic-config', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      // This broker's default of max.message.bytes, for every topic without an override.
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'message.max.bytes', value: '500' }] }] });
      await admin.createTopics({ topics: [{ topic: 'raced', numPartitions: 1 }, { topic: 'fresh', numPartitions: 1 }], waitForLeaders: true });
      const value = Buffer.alloc(1000, 'x');
      for (const topic of ['fresh', 'raced']) {
        await assert.rejects(producer.send({ topic, messages: [{ value }] }), /larger than the max message size/, `${topic}: a batch over the new default is refused`);
      }
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
