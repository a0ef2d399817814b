/**
 * KIP-390's `compression.gzip.level` and `compression.zstd.level`: a topic whose `compression.type`
 * differs from the producer's has its batches recompressed at the topic's level. kafkajs sends the
 * same uncompressed records to topics that differ only in their level; the higher level stores
 * fewer bytes, and the records read back intact (kafkajs reads gzip; Samsa's client zstd).
 * Levels out of Kafka's ranges are INVALID_CONFIG.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { SamsaClient } from '../../src/client/index.js';
import { replicaBatchesRaw } from '../helpers/replica-batches.js';
import { readValues } from '../helpers/read-values.js';
import { testBroker } from '../helpers/test-broker.js';

const WORDS = ['order', 'shipped', 'customer', 'invoice', 'pending', 'warehouse', 'parcel', 'refund', 'express', 'standard'];

/** Text that compresses, but better with more effort: words in a seeded pseudo-random order. */
function values(n: number): string[] {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: n }, (_, i) => `${i} ${Array.from({ length: 12 }, () => WORDS[next() % WORDS.length]).join(' ')} ${next() % 1000}`);
}

describe('compression levels of recompressed batches (KIP-390)', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let kafka: Kafka;
  before(async () => {
    broker = await testBroker();
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  after(() => broker.stop());

  /** Bytes the broker stores for the same records in a topic of each level. */
  async function storedBytes(codec: string, levels: number[]): Promise<number[]> {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: levels.map((level) => ({ topic: `${codec}-${level}`, configEntries: [{ name: 'compression.type', value: codec }, { name: `compression.${codec}.level`, value: String(level) }] })) });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const messages = values(2000).map((value) => ({ value }));
    for (const level of levels) await producer.send({ topic: `${codec}-${level}`, messages });
    await producer.disconnect();
    const sizes: number[] = [];
    for (const level of levels) {
      let bytes = 0;
      for await (const { h } of replicaBatchesRaw(broker, `${codec}-${level}`, 0)) bytes += h.batchLength;
      sizes.push(bytes);
    }
    return sizes;
  }

  it('recompresses with compression.gzip.level, and kafkajs reads the records back', async () => {
    const [fast, best] = await storedBytes('gzip', [1, 9]);
    assert.ok(best! < fast!, `gzip level 9 stored ${best} bytes, level 1 ${fast}`);
    const consumer = kafka.consumer({ groupId: 'gzip-levels' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'gzip-9', fromBeginning: true });
    const read: string[] = [];
    await new Promise<void>((resolve) => void consumer.run({ eachMessage: async ({ message }) => void (read.push(String(message.value)) === 2000 && resolve()) }));
    await consumer.disconnect();
    assert.deepEqual(read, values(2000));
  });

  it('recompresses with compression.zstd.level, and the records read back intact', async () => {
    const [fast, best] = await storedBytes('zstd', [1, 19]);
    assert.ok(best! < fast!, `zstd level 19 stored ${best} bytes, level 1 ${fast}`);
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
    try {
      assert.deepEqual(await readValues(client, 'zstd-19', 0, 2000, 20_000), values(2000));
    } finally {
      await client.close();
    }
  });

  it("refuses levels outside Kafka's ranges with INVALID_CONFIG", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const [name, value] of [['compression.gzip.level', '0'], ['compression.gzip.level', '10'], ['compression.zstd.level', '23'], ['compression.lz4.level', '0']]) {
        await assert.rejects(admin.createTopics({ topics: [{ topic: 'bad-level', configEntries: [{ name: name!, value: value! }] }] }), (err: Error & { errors?: { type: string }[] }) => err.errors?.[0]?.type === 'INVALID_CONFIG', `${name}=${value}`);
      }
    } finally {
      await admin.disconnect();
    }
  });
});
