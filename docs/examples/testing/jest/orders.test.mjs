// A Jest test file with one in-memory Samsa broker for the whole file and a fresh topic per test,
// testing code written with kafkajs. Jest runs ES modules with Node's VM modules flag:
//   node --experimental-vm-modules node_modules/jest/bin/jest.js --rootDir docs/examples/testing/jest
import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
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

test('a consumer group receives what was produced', async () => {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'customer-1', value: 'order 1' }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `billing-${n}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const value = await new Promise((resolve) => consumer.run({ eachMessage: async ({ message }) => resolve(message.value.toString()) }));
  await consumer.disconnect();
  expect(value).toBe('order 1');
});

test('a retriable error is retried by kafkajs and the record is written once', async () => {
  const fault = broker.faults.inject({ apiKey: ApiKey.Produce, topic, times: 2 }, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  const producer = kafka.producer();
  await producer.connect();
  const [result] = await producer.send({ topic, messages: [{ value: 'order 2' }] });
  await producer.disconnect();
  expect(fault.hits).toBe(2);
  expect(result.baseOffset).toBe('0');
});
