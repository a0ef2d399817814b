/**
 * Fault injection on an in-memory broker, seen through real clients (kafkajs, the Samsa client)
 * and raw requests: errors on chosen partitions without handling them, dropped connections,
 * answers from a function, delays on the broker's clock, counts, removal, and the observed
 * requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { type RunningBroker, startBroker } from '../../src/broker/broker.js';
import { SamsaClient } from '../../src/client/index.js';
import { ManualClock } from '../../src/common/clock.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ApiKey, ListOffsetsApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch } from '../../src/protocol/records/record-batch.js';
import { ZERO_UUID } from '../../src/protocol/primitives/codec-support.js';
import { RawClient } from '../helpers/raw-client.js';

const batch = (value: string) => encodeUncompressedRecordBatch({ records: [{ value: Buffer.from(value), timestamp: BigInt(Date.now()) }] });

describe('fault injection', { timeout: 60_000 }, () => {
  let broker: RunningBroker;
  let kafka: Kafka;

  before(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0, storage: 'memory', logLevel: 'silent', config: { 'num.partitions': 2 } });
    kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'faults-test', logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 5 } });
  });
  after(() => broker.close());

  async function offsets(topic: string): Promise<string[]> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((o) => o.high);
    } finally {
      await admin.disconnect();
    }
  }

  it('answers a kafkajs produce with an injected retriable error, without writing it; the retry lands once', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: 'injected', messages: [{ value: 'warm-up', partition: 0 }] });
    const fault = broker.faults.inject({ apiKey: ApiKey.Produce, topic: 'injected', partition: 0, times: 2 }, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    await producer.send({ topic: 'injected', messages: [{ value: 'once', partition: 0 }] });
    await producer.disconnect();
    assert.equal(fault.hits, 2);
    assert.equal(fault.active, false, 'removed itself after two');
    assert.deepEqual(await offsets('injected'), ['2', '0'], 'the two failed attempts wrote nothing');
  });

  it('fails only the matching partition of a request; the others are handled', async () => {
    const raw = await RawClient.connect(broker.port);
    try {
      await raw.send(MetadataApi, 12, { topics: [{ topicId: ZERO_UUID, name: 'split' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
      const fault = broker.faults.inject({ apiKey: ApiKey.Produce, topic: 'split', partition: 1 }, { errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
      const r = await raw.send(ProduceApi, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'split', partitionData: [0, 1].map((index) => ({ index, records: batch(`p${index}`) })) }],
      });
      fault.remove();
      const byPartition = new Map(r.responses.flatMap((t) => t.partitionResponses.map((p) => [p.index, p.errorCode])));
      assert.deepEqual([...byPartition].sort(), [
        [0, ErrorCode.NONE],
        [1, ErrorCode.KAFKA_STORAGE_ERROR],
      ]);
      assert.deepEqual(await offsets('split'), ['1', '0']);
    } finally {
      raw.close();
    }
  });

  it('drops the connection, and the Samsa client reconnects and goes on', async () => {
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap], clientId: 'faults-samsa' });
    try {
      await client.admin().createTopics([{ name: 'dropped', partitions: 1 }]);
      const fault = broker.faults.inject({ apiKey: ApiKey.Produce, times: 1 }, { drop: true });
      const [meta] = await client.producer().send('dropped', { value: 'after a drop' });
      assert.equal(fault.hits, 1);
      assert.equal(meta!.offset, 0n);
    } finally {
      await client.close();
    }
  });

  it('answers with a function of the request, and observes every request', async () => {
    broker.faults.observe();
    const fault = broker.faults.inject({ apiKey: ApiKey.ListOffsets }, { respond: (req) => ({ topics: (req as { topics: { name: string }[] }).topics.map((t) => ({ name: t.name, partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1n, offset: 42n, leaderEpoch: 0 }] })) }) });
    const raw = await RawClient.connect(broker.port);
    try {
      const r = await raw.send(ListOffsetsApi, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'anything', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
      assert.equal(r.topics[0]!.partitions[0]!.offset, 42n);
    } finally {
      raw.close();
      fault.remove();
    }
    const seen = broker.faults.seen.filter((s) => s.apiKey === ApiKey.ListOffsets);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.apiName, 'ListOffsets');
    assert.equal(seen[0]!.apiVersion, 7);
    assert.equal(seen[0]!.clientId, 'samsa-test');
    broker.faults.clear();
    assert.equal(broker.faults.seen.length, 0);
    assert.equal(broker.faults.active, false);
  });

  it('refuses rules it cannot carry out, with the reason', () => {
    assert.throws(() => broker.faults.inject({ apiKey: ApiKey.Metadata, topic: 'x' }, { errorCode: 3 }), /topic filter needs a partitioned API/);
    assert.throws(() => broker.faults.inject({ apiKey: ApiKey.DescribeConfigs }, { errorCode: 3 }), /give a respond function/);
    assert.throws(() => broker.faults.inject({ apiKey: 9999 }, {}), /unknown API key/);
  });

  it('delays on the broker clock', async () => {
    const clock = new ManualClock(Date.now());
    const slow = await startBroker({ host: '127.0.0.1', port: 0, storage: 'memory', clock, logLevel: 'silent' });
    const raw = await RawClient.connect(slow.port);
    try {
      slow.faults.inject({ apiKey: ApiKey.Metadata }, { delayMs: 10_000 });
      let answered = false;
      const r = raw.send(MetadataApi, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }).then((x) => ((answered = true), x));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(answered, false);
      clock.advance(10_000);
      assert.equal((await r).brokers.length, 1);
    } finally {
      raw.close();
      await slow.close();
    }
  });
});
