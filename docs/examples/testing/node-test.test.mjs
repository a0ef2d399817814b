// A test file for the Node test runner (`node --test`), with one in-memory Samsa broker for the
// whole file and a fresh topic per test. Run from the repository: node --test docs/examples/testing/node-test.test.mjs
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApiKey, ErrorCode, SamsaClient, startBroker, stringSerde } from 'samsa';

describe('orders are published', () => {
  let broker;
  let client;
  let topic;
  let n = 0;

  before(async () => {
    broker = await startBroker({ port: 0, storage: 'memory' });
    client = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
  });
  after(async () => {
    await client.close();
    await broker.close();
  });
  beforeEach(async () => {
    topic = `orders-${++n}`;
    await client.admin().createTopics([{ name: topic, partitions: 1 }]);
  });

  it('delivers what the producer sends', async () => {
    await client.producer().send(topic, { key: 'customer-1', value: 'order 1' });
    const consumer = client.consumer({ autoOffsetReset: 'earliest', valueDeserializer: stringSerde });
    consumer.assign([{ topic, partition: 0 }]);
    for await (const record of consumer) {
      assert.equal(record.value, 'order 1');
      break;
    }
    await consumer.close();
  });

  it('survives a leader error: the producer retries and the record lands once', async () => {
    const fault = broker.faults.inject({ apiKey: ApiKey.Produce, topic, times: 1 }, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    const [sent] = await client.producer().send(topic, { value: 'order 2' });
    assert.equal(fault.hits, 1);
    assert.equal(sent.offset, 0n);
  });
});
