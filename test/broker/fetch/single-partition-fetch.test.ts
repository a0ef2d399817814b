/**
 * A fetch of one partition (the common consumer's, and every long poll of it) is read in one pass
 * (fetch-messages.ts, readSingle) and must answer as a fetch of several does: the first batch whole
 * when it is larger than the partition's limit (KIP-74), whole batches within the smaller of the
 * partition's and the response's limits, the partition's offsets at the log end, an error for an
 * unknown partition, and a held fetch answered with the records that woke it. kafkajs writes the
 * records; a kafkajs consumer reads them all back through the same path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { FetchApi, ProduceApi } from '../../../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch, iterateBatches } from '../../../src/protocol/records/index.js';
import { RawClient } from '../../helpers/raw-client.js';
import { testBroker } from '../../helpers/test-broker.js';

const TOPIC = 'single';
/** Three batches: 10 records of 1,000 B, then 2 of 100 B, then 10 of 1,000 B. */
const BATCHES = [10, 2, 10].map((n, b) => Array.from({ length: n }, (_, i) => `${b}-${i}-`.padEnd(b === 1 ? 100 : 1000, 'v')));

describe('a fetch of one partition', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let kafka: Kafka;
  let c: RawClient;
  const sizes: number[] = [];
  before(async () => {
    broker = await testBroker();
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (const values of BATCHES) await producer.send({ topic: TOPIC, messages: values.map((value) => ({ value })) });
    await producer.disconnect();
    c = await RawClient.connect(broker.port);
    const all = await fetch(0n, 1 << 20, 1 << 20);
    for (const span of iterateBatches(all.records!)) if (span.complete) sizes.push(span.sizeInBytes);
    assert.equal(sizes.length, 3);
  });
  after(async () => {
    c.close();
    await broker.stop();
  });

  const fetch = async (fetchOffset: bigint, partitionMaxBytes: number, maxBytes: number, partition = 0, maxWaitMs = 0, minBytes = 0) => {
    const res = await c.send(FetchApi, 12, { maxWaitMs, minBytes, maxBytes, topics: [{ topic: TOPIC, partitions: [{ partition, fetchOffset, partitionMaxBytes }] }] });
    return res.responses[0]!.partitions[0]!;
  };
  const batchCount = (records: Buffer | null) => (records ? [...iterateBatches(records)].filter((s) => s.complete).length : 0);

  it('returns the first batch whole when it is larger than the partition limit, and only it', async () => {
    const p = await fetch(0n, 100, 1 << 20);
    assert.equal(p.errorCode, 0);
    assert.equal(p.records!.length, sizes[0]);
  });

  it('returns the first batch whole when it is larger than the response limit', async () => {
    const p = await fetch(0n, 1 << 20, 100);
    assert.equal(p.records!.length, sizes[0]);
  });

  it('returns whole batches within the smaller of the partition and response limits', async () => {
    assert.equal(batchCount((await fetch(0n, 1 << 20, sizes[0]! + sizes[1]! + 10)).records), 2);
    assert.equal(batchCount((await fetch(0n, sizes[0]! + sizes[1]! + 10, 1 << 20)).records), 2);
    assert.equal(batchCount((await fetch(0n, 1 << 20, 1 << 20)).records), 3);
  });

  it('answers at the log end with no records and the partition offsets', async () => {
    const p = await fetch(22n, 1 << 20, 1 << 20);
    assert.equal(p.errorCode, 0);
    assert.equal(p.highWatermark, 22n);
    assert.equal(p.logStartOffset, 0n);
    assert.equal(batchCount(p.records), 0);
  });

  it('answers an unknown partition with its error', async () => {
    const p = await fetch(0n, 1 << 20, 1 << 20, 7);
    assert.equal(p.errorCode, 3); // UNKNOWN_TOPIC_OR_PARTITION
  });

  it('answers a held fetch at the log end with the records that woke it', async () => {
    const held = fetch(22n, 1 << 20, 1 << 20, 0, 30_000, 1);
    const res = await c.send(ProduceApi, 9, { acks: 1, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeUncompressedRecordBatch({ records: [{ value: Buffer.from('woke') }] }) }] }] });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
    const p = await held;
    assert.equal(p.highWatermark, 23n);
    assert.equal(batchCount(p.records), 1);
  });

  it('gives a kafkajs consumer every record', async () => {
    const consumer = kafka.consumer({ groupId: 'single-reader', maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const seen: string[] = [];
    const all = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length === 23) resolve();
        },
      });
    });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`only ${seen.length} of 23 records`)), 30_000).unref());
    await Promise.race([all, timeout]);
    await consumer.disconnect();
    assert.deepEqual(seen, [...BATCHES.flat(), 'woke']);
  });
});
