// A Vitest test file with one in-memory Samsa broker for the whole file and a fresh topic per
// test, testing code written with kafkajs:  npx vitest run --root docs/examples/testing/vitest
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey, ErrorCode, startBroker } from 'samsa';

let broker;
let kafka;
let topic;
let n = 0;

beforeAll(async () => {
  broker = await startBroker({ port: 0, storage: 'memory' });
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50 } });
});
afterAll(() => broker.close());
beforeEach(async () => {
  topic = `orders-${++n}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
});

test('what is produced can be read back', async () => {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'order 1' }] });
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const [offsets] = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  expect(offsets.high).toBe('1');
});

test('a slow broker: the produce request waits on an injected delay', async () => {
  const fault = broker.faults.inject({ apiKey: ApiKey.Produce, topic, times: 1 }, { delayMs: 200 });
  const producer = kafka.producer();
  await producer.connect();
  const started = Date.now();
  await producer.send({ topic, messages: [{ value: 'order 2' }] });
  await producer.disconnect();
  expect(fault.hits).toBe(1);
  expect(Date.now() - started).toBeGreaterThanOrEqual(200);
});

test('a dropped connection: kafkajs reconnects and the send succeeds', async () => {
  const fault = broker.faults.inject({ apiKey: ApiKey.Produce, times: 1 }, { drop: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'order 3' }] });
  await producer.disconnect();
  expect(fault.hits).toBe(1);
});

test('an error on one partition only: the fault says how often it answered', async () => {
  const fault = broker.faults.inject({ apiKey: ApiKey.Produce, topic, partition: 0, times: 1 }, { errorCode: ErrorCode.REQUEST_TIMED_OUT });
  const producer = kafka.producer();
  await producer.connect();
  const [result] = await producer.send({ topic, messages: [{ value: 'order 4', partition: 0 }] });
  await producer.disconnect();
  expect(fault.hits).toBe(1);
  expect(result.errorCode).toBe(0);
});
