/**
 * Without idempotence (acks 0 or 1) batches that must wait for the one in flight queue up behind
 * it (producer.ts closeOpen). Many small batches behind one in flight must still reach the log
 * whole, in order, with their timestamps and offsets: read back by kafkajs, an independent client,
 * and checked against the metadata each send resolved with.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { SamsaClient } from '../../src/client/index.js';
import { testBroker } from '../helpers/test-broker.js';

describe('producer batches waiting behind the flight', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: SamsaClient;
  before(async () => {
    broker = await testBroker();
    client = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
  });
  after(async () => {
    await client.close();
    await broker.stop();
  });

  for (const acks of [1, 0] as const) {
    it(`acks=${acks}: 4,000 records in batches of ~2 KB, one in flight, arrive whole and in order`, async () => {
      const topic = `waiting-${acks}`;
      await client.admin().createTopics([{ name: topic, partitions: 1 }]);
      const producer = client.producer({ acks, batchSize: 2048, lingerMs: 1 });
      const calls: Promise<{ offset: bigint }[]>[] = [];
      for (let c = 0; c < 40; c++) {
        calls.push(producer.send(topic, Array.from({ length: 100 }, (_, k) => ({ key: `k${c * 100 + k}`, value: `value ${c * 100 + k}`.padEnd(60, '.'), timestamp: 1_700_000_000_000 + c }))));
      }
      const metas = (await Promise.all(calls)).flat();
      if (acks === 1) assert.deepEqual(metas.map((m) => m.offset), metas.map((_, i) => BigInt(i)));
      const consumer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: `g-${topic}`, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const got: { offset: string; key: string; value: string; timestamp: string }[] = [];
      // Bounded: a lost record ends the wait after 30 s, and the count below fails.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 30_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            got.push({ offset: message.offset, key: message.key!.toString(), value: message.value!.toString(), timestamp: message.timestamp });
            if (got.length === 4000) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      await consumer.disconnect();
      assert.equal(got.length, 4000);
      got.forEach((m, i) => {
        assert.equal(m.offset, String(i));
        assert.equal(m.key, `k${i}`);
        assert.equal(m.value, `value ${i}`.padEnd(60, '.'));
        assert.equal(m.timestamp, String(1_700_000_000_000 + Math.floor(i / 100)));
      });
    });
  }
});
