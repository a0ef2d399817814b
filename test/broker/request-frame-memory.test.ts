/**
 * Large request frames are assembled in pooled buffers (network/frame-pool.ts), and only produce
 * requests' frames go back to the pool. Every other large frame must be left to the garbage
 * collector: a produce request held back by a client quota (kafkajs), and requests of other APIs
 * (a Metadata request naming thousands of topics). The pool once remembered each of them strongly,
 * so a broker with any quota set kept every large produce request's frame, up to 1 MiB each, for
 * its life.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { SamsaClient } from '../../src/client/index.js';
import { MetadataApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { arrayBufferBytes } from '../helpers/memory.js';
import { testBroker } from '../helpers/test-broker.js';

const MB = 1024 * 1024;

describe('request frame memory', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => {
    broker = await testBroker();
    const admin = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
    try {
      await admin.admin().createTopics([{ name: 'big', partitions: 1 }]);
      // Any quota makes every client's requests go through the quota manager (not this one's limit).
      await admin.admin().alterClientQuotas([{ entity: { 'client-id': 'someone-else' }, set: { producer_byte_rate: 1e12 } }]);
    } finally {
      await admin.close();
    }
  });
  after(() => broker.stop());

  it('does not keep the frames of large requests the pool does not get back', async () => {
    const producer = new Kafka({ brokers: [broker.bootstrap], clientId: 'frames', logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const raw = await RawClient.connect(broker.port);
    try {
      // Warm up: the pool's idle buffers, the log's read buffers and kafkajs's own.
      const value = Buffer.alloc(900 * 1024, 'f');
      await producer.send({ topic: 'big', acks: 1, messages: [{ value }] });
      const before = await arrayBufferBytes();
      const SENDS = 120;
      for (let i = 0; i < SENDS; i++) await producer.send({ topic: 'big', acks: 1, messages: [{ value }] });
      // ~200 KB each: 40 such requests kept would be ~10 MB.
      const topics = Array.from({ length: 6000 }, (_, i) => ({ topicId: '00000000-0000-0000-0000-000000000000', name: `no-such-topic-with-a-long-name-${i}` }));
      for (let i = 0; i < 40; i++) {
        const res = await raw.send(MetadataApi, 9, { topics, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        assert.equal(res.topics.length, topics.length);
      }
      const grown = (await arrayBufferBytes()) - before;
      // Kept frames would be ~115 MB; the pool itself keeps at most 32 MiB idle.
      assert.ok(grown < 48 * MB, `ArrayBuffer memory grew ${(grown / MB).toFixed(1)} MB over ${SENDS} produce requests of 900 KB`);
    } finally {
      raw.close();
      await producer.disconnect();
    }
    // The records were all written.
    const admin = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
    try {
      const offsets = await admin.admin().listOffsets([{ topic: 'big', partition: 0 }], 'latest');
      assert.equal(offsets[0]!.offset, 121n);
    } finally {
      await admin.close();
    }
  });
});
