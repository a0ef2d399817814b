/**
 * Topics created and deleted over and over (test suites, per-run topics) must not leave memory
 * behind. Each one adds a few batches to the metadata log, which the broker keeps in memory until
 * the next snapshot (metadata.log.max.record.bytes.between.snapshots, 20 MiB of them): each small
 * batch once kept a whole 8 KiB allocation slab alive, ~4 KiB a topic.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { arrayBufferBytes } from '../helpers/memory.js';
import { testBroker } from '../helpers/test-broker.js';

const MB = 1024 * 1024;

describe('topic churn memory', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => {
    broker = await testBroker();
  });
  after(() => broker.stop());

  it('keeps no more than the bytes of the metadata records of topics created and deleted', async () => {
    const admin = new Kafka({ brokers: [broker.bootstrap], clientId: 'churn', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const churn = async (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const topic = `churn-${i}`;
          assert.ok(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false }));
          await admin.deleteTopics({ topics: [topic] });
        }
      };
      await churn(0, 20);
      const start = await arrayBufferBytes();
      const TOPICS = 300;
      await churn(20, 20 + TOPICS);
      const grown = (await arrayBufferBytes()) - start;
      // Their batches are ~120 bytes each, two a topic (0.07 MB here); with the slabs they kept, 1.2 MB.
      assert.ok(grown < 0.3 * MB, `ArrayBuffer memory grew ${(grown / MB).toFixed(2)} MB over ${TOPICS} topics created and deleted`);
      assert.deepEqual((await admin.listTopics()).filter((t) => t.startsWith('churn-')), []);
    } finally {
      await admin.disconnect();
    }
  });
});
