/**
 * kafkajs produces (keys, headers, null keys and values, 1 MiB values, gzip and no compression)
 * and consumes, against an in-process broker and against a `samsa broker` child process; kcat,
 * an independent client, reads the records back too. Oversized batches are refused with
 * MESSAGE_TOO_LARGE and the broker keeps serving.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { CompressionTypes, Kafka, type KafkaMessage, logLevel, type Producer } from 'kafkajs';
import { awaitGroupCoordinator } from '../helpers/group-coordinator.js';
import { RawClient } from '../helpers/raw-client.js';
import { childBroker, tempDir, testBroker } from '../helpers/test-broker.js';

interface KcatRecord {
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** Reads a partition with kcat -J: one JSON object per record. */
function readWithKcat(bootstrap: string, topic: string, partition = 0): Promise<KcatRecord[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', bootstrap, '-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-J', '-X', 'fetch.message.max.bytes=4194304']);
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as KcatRecord)) : reject(new Error(`kcat exited ${code}`))));
  });
}

/**
 * Consumes `count` messages of a topic from the beginning with a kafkajs consumer group, once the
 * group's coordinator answers: the first FindCoordinator creates `__consumer_offsets` (as Kafka
 * does), which on a loaded machine can outlast the one retry this test gives kafkajs.
 */
async function consumeWithKafkajs(kafka: Kafka, bootstrap: string, topic: string, count: number): Promise<KafkaMessage[]> {
  const raw = await RawClient.connect(Number(bootstrap.split(':').pop()));
  try {
    await awaitGroupCoordinator(raw, `reader-${topic}`);
  } finally {
    raw.close();
  }
  const consumer = kafka.consumer({ groupId: `reader-${topic}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 4 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: KafkaMessage[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${got.length} of ${count}`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message);
        if (got.length === count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return got;
}

interface Target {
  bootstrap: string;
  stop(): Promise<void>;
}

const TARGETS: [string, () => Promise<Target>][] = [
  ['in-process broker', () => testBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } })],
  [
    'samsa broker child process',
    async () => {
      const dir = await tempDir();
      const b = await childBroker(dir, ['-o', 'group.initial.rebalance.delay.ms=0']);
      return { bootstrap: b.bootstrap, stop: async () => void (await b.kill('SIGTERM'), await rm(dir, { recursive: true, force: true })) };
    },
  ],
];

for (const [where, start] of TARGETS) describe(`kafkajs producer and consumer, ${where}`, { timeout: 180_000 }, () => {
  let broker: Target;
  let kafka: Kafka;
  let producer: Producer;
  before(async () => {
    broker = await start();
    kafka = new Kafka({ clientId: 'produce-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1 } });
    producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
  });
  after(async () => {
    await producer.disconnect();
    await broker.stop();
  });

  for (const [name, compression] of [['none', CompressionTypes.None], ['gzip', CompressionTypes.GZIP]] as const) {
    it(`sends keys, headers, null keys and null values (${name})`, async () => {
      const topic = `kafkajs-${name}`;
      const messages = [
        { key: 'k1', value: 'v1', headers: { trace: 'abc', n: '1' } },
        { key: null, value: 'no key' },
        { key: 'k3', value: null },
        { key: 'ünï', value: '🙂 utf-8' },
      ];
      const meta = await producer.send({ topic, compression, acks: -1, messages: messages.map((m) => ({ ...m, partition: 0 })) });
      assert.equal(meta[0]!.errorCode, 0);
      const got = await readWithKcat(broker.bootstrap, topic);
      assert.deepEqual(
        got.map((r) => [r.offset, r.key, r.payload]),
        messages.map((m, i) => [i, m.key, m.value]),
      );
      assert.deepEqual(got[0]!.headers, ['trace', 'abc', 'n', '1']);
      const consumed = await consumeWithKafkajs(kafka, broker.bootstrap, topic, messages.length);
      assert.deepEqual(
        consumed.map((m) => [m.offset, m.key?.toString() ?? null, m.value?.toString() ?? null]),
        messages.map((m, i) => [String(i), m.key, m.value]),
      );
      assert.deepEqual(Object.fromEntries(Object.entries(consumed[0]!.headers ?? {}).map(([k, v]) => [k, String(v)])), { trace: 'abc', n: '1' });
    });
  }

  it('sends 1 MiB values to a topic that allows them, and MESSAGE_TOO_LARGE by default', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'big', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(3 << 20) }] }, { topic: 'small', numPartitions: 1 }] });
    await admin.disconnect();
    const value = Buffer.alloc(1 << 20, 'x');
    value.write('start', 0);
    await producer.send({ topic: 'big', acks: -1, messages: [{ value }, { value }] });
    const got = await readWithKcat(broker.bootstrap, 'big');
    assert.equal(got.length, 2);
    assert.equal(got[1]!.payload!.length, 1 << 20);
    assert.ok(got[1]!.payload!.startsWith('start'));
    const consumed = await consumeWithKafkajs(kafka, broker.bootstrap, 'big', 2);
    assert.ok(consumed.every((m) => m.value!.equals(value)));
    await assert.rejects(producer.send({ topic: 'small', acks: -1, messages: [{ value }] }), (err: Error & { type?: string; cause?: { type?: string } }) => /MESSAGE_TOO_LARGE|too large/i.test(`${err.type} ${err.cause?.type} ${err.message}`));
    const after = await producer.send({ topic: 'small', acks: 1, messages: [{ value: 'still serving' }] });
    assert.equal(after[0]!.errorCode, 0);
  });
});
