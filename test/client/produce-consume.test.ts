/**
 * Samsa's producer and consumer against an in-process broker, checked against independent clients:
 * every codec round trip (read back by Samsa's consumer and by kcat), kafkajs and kcat producing to
 * Samsa's consumer, Samsa's producer read by kafkajs, keys placed on the partitions kafkajs places
 * them on, acks 0/1/all, the buffer bound, and clear errors for unknown topics and absent brokers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { type Compression, type ConsumerRecord, KafkaProtocolError, SamsaClient, SamsaClientError, jsonSerde, stringSerde } from '../../src/client/index.js';
import { kcat } from '../helpers/kcat.js';
import { testBroker } from '../helpers/test-broker.js';

const CODECS: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

describe('Samsa producer and consumer', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: SamsaClient;
  let kafka: Kafka;
  before(async () => {
    broker = await testBroker({ config: { 'auto.create.topics.enable': 'false' } });
    client = new SamsaClient({ bootstrapServers: [broker.bootstrap], clientId: 'samsa-test' });
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  after(async () => {
    await client.close();
    await broker.stop();
  });

  /** Reads `n` records of a topic from the beginning with a group-less Samsa consumer. */
  async function readAll(topic: string, n: number, partitions = 1): Promise<ConsumerRecord[]> {
    const c = client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 100 });
    c.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
    const out: ConsumerRecord[] = [];
    try {
      for await (const r of c) if (out.push(r) >= n) break;
    } finally {
      await c.close();
    }
    return out;
  }

  for (const codec of CODECS) {
    it(`round-trips 500 records with ${codec}: keys, headers, null values, timestamps; kcat reads them too`, async () => {
      const topic = `codec-${codec}`;
      await client.admin().createTopics([{ name: topic, partitions: 1 }]);
      const producer = client.producer({ compression: codec, lingerMs: 2 });
      const sent = Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: i % 50 === 7 ? null : `${codec} value ${i} ${'x'.repeat(i % 40)}`, headers: { n: String(i), empty: '' }, timestamp: 1_700_000_000_000 + i }));
      const meta = await producer.send(topic, sent);
      assert.deepEqual(meta.map((m) => m.offset), sent.map((_, i) => BigInt(i)));
      const got = await readAll(topic, 500);
      got.forEach((r, i) => {
        assert.equal(r.offset, BigInt(i));
        assert.equal(r.key?.toString(), `k${i}`);
        assert.equal(r.value?.toString() ?? null, sent[i]!.value);
        assert.deepEqual(r.headers.map((h) => [h.key, h.value?.toString()]), [['n', String(i)], ['empty', '']]);
        assert.equal(r.timestamp, BigInt(sent[i]!.timestamp));
      });
      const lines = (await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-Z', '-f', '%k|%s\n'])).split('\n').filter(Boolean);
      assert.deepEqual(lines, sent.map((s) => `${s.key}|${s.value ?? 'NULL'}`));
    });
  }

  it('compresses at compressionLevel (KIP-390): gzip 9 and zstd 19 write fewer bytes than level 1, kcat reads them, bad levels are refused', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => ({ value: `${i} ${['order', 'parcel', 'refund', 'invoice', 'express'][(i * 7919) % 5]} ${['paid', 'shipped', 'pending'][(i * 104729) % 3]} ${(i * 2654435761) % 997}` }));
    const bytes: Record<string, number> = {};
    for (const [codec, level] of [['gzip', 1], ['gzip', 9], ['zstd', 1], ['zstd', 19]] as const) {
      const topic = `level-${codec}-${level}`;
      await client.admin().createTopics([{ name: topic, partitions: 1 }]);
      await client.producer({ compression: codec, compressionLevel: level, batchSize: 1 << 22, lingerMs: 50 }).send(topic, text);
      bytes[topic] = Number((await client.admin().describeLogDirs(broker.nodeId, [topic]))[0]!.partitions[0]!.size);
      const read = (await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n'])).split('\n').filter(Boolean);
      assert.deepEqual(read, text.map((t) => t.value), topic);
    }
    assert.ok(bytes['level-gzip-9']! < bytes['level-gzip-1']!, JSON.stringify(bytes));
    assert.ok(bytes['level-zstd-19']! < bytes['level-zstd-1']!, JSON.stringify(bytes));
    assert.throws(() => client.producer({ compression: 'gzip', compressionLevel: 0 }), (err: Error) => err instanceof SamsaClientError && /outside gzip's levels/.test(err.message));
    assert.throws(() => client.producer({ compression: 'snappy', compressionLevel: 3 }), /snappy has no level/);
  });

  it('reads what kafkajs (gzip) and kcat (snappy, lz4, zstd) produce', async () => {
    await client.admin().createTopics([{ name: 'foreign', partitions: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'foreign', compression: 1, messages: Array.from({ length: 100 }, (_, i) => ({ key: `j${i}`, value: `kafkajs ${i}`, headers: { from: 'kafkajs' } })) });
    await producer.disconnect();
    for (const codec of ['snappy', 'lz4', 'zstd']) await kcat(['-b', broker.bootstrap, '-P', '-t', 'foreign', '-p', '0', '-z', codec, '-K', ':'], Array.from({ length: 100 }, (_, i) => `${codec}${i}:kcat ${codec} ${i}`).join('\n') + '\n');
    const got = await readAll('foreign', 400);
    assert.deepEqual(got.slice(0, 100).map((r) => [r.key?.toString(), r.value?.toString(), r.headers[0]?.value?.toString()]), Array.from({ length: 100 }, (_, i) => [`j${i}`, `kafkajs ${i}`, 'kafkajs']));
    for (const [j, codec] of ['snappy', 'lz4', 'zstd'].entries()) {
      assert.deepEqual(got.slice(100 * (j + 1), 100 * (j + 2)).map((r) => `${r.key}:${r.value}`), Array.from({ length: 100 }, (_, i) => `${codec}${i}:kcat ${codec} ${i}`));
    }
  });

  it('writes what kafkajs reads, and puts each key on the partition kafkajs puts it on', async () => {
    await client.admin().createTopics([{ name: 'keyed', partitions: 7 }]);
    const keys = Array.from({ length: 200 }, (_, i) => `customer-${i * 31}`);
    await client.producer({ compression: 'gzip' }).send('keyed', keys.map((key) => ({ key, value: `samsa:${key}` })));
    const p = kafka.producer();
    await p.connect();
    await p.send({ topic: 'keyed', messages: keys.map((key) => ({ key, value: `kafkajs:${key}` })) });
    await p.disconnect();
    const consumer = kafka.consumer({ groupId: 'kafkajs-reader', maxWaitTimeInMs: 100 });
    const seen = new Map<string, number[]>();
    let count = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: 'keyed', fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const key = message.key!.toString();
          seen.set(key, [...(seen.get(key) ?? []), partition]);
          assert.ok(['samsa', 'kafkajs'].includes(message.value!.toString().split(':')[0]!));
          if (++count === 400) resolve();
        },
      });
    });
    await consumer.disconnect();
    for (const key of keys) {
      const parts = seen.get(key)!;
      assert.equal(parts.length, 2, key);
      assert.equal(parts[0], parts[1], `${key}: Samsa and kafkajs chose the same partition`);
    }
    assert.ok(new Set([...seen.values()].map((p) => p[0])).size > 3, 'keys spread over partitions');
  });

  it('serializers: JSON values with string keys that kafkajs reads as text, kafkajs JSON read back typed, a bad value named by its offset', async () => {
    await client.admin().createTopics([{ name: 'typed', partitions: 1 }]);
    const orders = Array.from({ length: 50 }, (_, i) => ({ id: i, items: ['a', 'b'].slice(0, 1 + (i % 2)), note: i % 10 === 3 ? null : `order ${i}` }));
    const producer = client.producer({ keySerializer: stringSerde, valueSerializer: jsonSerde });
    await producer.send('typed', orders.map((o) => ({ key: `order-${o.id}`, value: o })));
    await assert.rejects(producer.send('typed', { value: 10n }), (err: unknown) => err instanceof SamsaClientError && err.code === 'SAMSA_SERIALIZATION');

    const seen: [string, unknown][] = [];
    const k = kafka.consumer({ groupId: 'typed-kafkajs', maxWaitTimeInMs: 100 });
    await k.connect();
    await k.subscribe({ topic: 'typed', fromBeginning: true });
    await new Promise<void>((resolve) => {
      void k.run({
        eachMessage: async ({ message }) => {
          if (seen.push([message.key!.toString(), JSON.parse(message.value!.toString())]) === 50) resolve();
        },
      });
    });
    await k.disconnect();
    assert.deepEqual(seen, orders.map((o) => [`order-${o.id}`, o]));

    const kp = kafka.producer();
    await kp.connect();
    await kp.send({ topic: 'typed', messages: [{ key: 'from-kafkajs', value: JSON.stringify({ id: 50, items: [], note: 'kafkajs' }) }, { key: 'broken', value: '{not json' }, { key: 'after', value: '"fine"' }] });
    await kp.disconnect();
    const c = client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 100, keyDeserializer: stringSerde, valueDeserializer: jsonSerde });
    c.assign([{ topic: 'typed', partition: 0 }]);
    try {
      const got: ConsumerRecord<string | null, unknown>[] = [];
      await assert.rejects(
        (async () => {
          for await (const r of c) got.push(r);
        })(),
        (err: unknown) => err instanceof SamsaClientError && err.code === 'SAMSA_DESERIALIZATION' && /typed-0 offset 51/.test(err.message),
      );
      // Everything before the bad record was delivered, typed; it fails again until sought past.
      assert.deepEqual(got.map((r) => [r.key, r.value]), [...orders.map((o) => [`order-${o.id}`, o]), ['from-kafkajs', { id: 50, items: [], note: 'kafkajs' }]]);
      await assert.rejects(c[Symbol.asyncIterator]().next(), (err: unknown) => err instanceof SamsaClientError && err.code === 'SAMSA_DESERIALIZATION');
      await c.seek('typed', 0, 52n);
      for await (const batch of c.batches()) {
        assert.deepEqual(batch.map((r) => [r.offset, r.key, r.value]), [[52n, 'after', 'fine']]);
        break;
      }
    } finally {
      await c.close();
    }
  });

  it('acks=0, acks=1 and acks=all all deliver', async () => {
    await client.admin().createTopics([{ name: 'acks', partitions: 1 }]);
    for (const acks of [0, 1, 'all'] as const) {
      const meta = await client.producer({ acks }).send('acks', Array.from({ length: 10 }, (_, i) => ({ value: `${acks}-${i}` })));
      assert.equal(meta[0]!.offset < 0n, acks === 0, `acks=${acks}: offsets only when answered`);
      await client.producer({ acks }).flush();
    }
    const got = await readAll('acks', 30);
    assert.deepEqual(got.map((r) => r.value?.toString()).sort(), [0, 1, 'all'].flatMap((a) => Array.from({ length: 10 }, (_, i) => `${a}-${i}`)).sort());
  });

  it('holds at most bufferMemory bytes waiting, and sends everything', async () => {
    await client.admin().createTopics([{ name: 'pressure', partitions: 2 }]);
    const bufferMemory = 64 * 1024;
    const producer = client.producer({ bufferMemory, batchSize: 16 * 1024, lingerMs: 1 });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, producer.buffered)), 0);
    const value = Buffer.alloc(1000, 'p');
    await Promise.all(Array.from({ length: 20 }, (_, j) => producer.send('pressure', Array.from({ length: 100 }, (_, i) => ({ key: `${j}-${i}`, value })))));
    clearInterval(sampler);
    assert.ok(peak > 0 && peak <= bufferMemory + 1100, `peak ${peak}`);
    const offsets = await client.admin().listOffsets([{ topic: 'pressure', partition: 0 }, { topic: 'pressure', partition: 1 }], 'latest');
    assert.equal(offsets.reduce((n, o) => n + Number(o.offset), 0), 2000);
  });

  it('names the problem: an unknown topic, and no broker at the address', async () => {
    await assert.rejects(client.producer().send('no-such-topic', { value: 'x' }), (err: unknown) => err instanceof KafkaProtocolError && err.type === 'UNKNOWN_TOPIC_OR_PARTITION');
    const lonely = new SamsaClient({ bootstrapServers: ['127.0.0.1:1'], retry: { retries: 1, initialBackoffMs: 10 } });
    await assert.rejects(lonely.admin().listTopics(), (err: unknown) => err instanceof SamsaClientError && err.code === 'SAMSA_CONNECTION' && /127\.0\.0\.1:1/.test(err.message));
    await lonely.close();
  });
});
