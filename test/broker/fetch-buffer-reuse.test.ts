/**
 * Fetch responses are read into pooled buffers that return to the pool once the socket has
 * written them. Many fetches in flight at once, on several connections, pipelined, with small and
 * large limits, must each get exactly the bytes of the log: every batch's CRC checks and every
 * record is the one kafkajs wrote at that offset. kafkajs consumers in two groups read everything
 * meanwhile, and a connection dropped with fetches in flight does not disturb the others.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { FetchApi } from '../../src/protocol/messages/index.js';
import { decodeRecordBatch, iterateBatches } from '../../src/protocol/records/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { testBroker } from '../helpers/test-broker.js';

const TOPIC = 'reuse';
const RECORDS = 6000;
const valueOf = (i: number) => `record ${i} `.padEnd(200 + ((i * 37) % 1800), String.fromCharCode(97 + (i % 26)));

describe('fetch buffer reuse', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let kafka: Kafka;
  before(async () => {
    broker = await testBroker();
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < RECORDS; i += 200) await producer.send({ topic: TOPIC, messages: Array.from({ length: 200 }, (_, j) => ({ value: valueOf(i + j) })) });
    await producer.disconnect();
  });
  after(() => broker.stop());

  /** Fetches from `offset`; checks each returned batch's CRC and records; returns the next offset. */
  async function fetchAndCheck(c: RawClient, offset: bigint, maxBytes: number): Promise<bigint> {
    const res = await c.send(FetchApi, 12, { maxWaitMs: 0, minBytes: 0, maxBytes, topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: maxBytes }] }] });
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    let next = offset;
    for (const span of iterateBatches(p.records!)) {
      if (!span.complete) break;
      const batch = await decodeRecordBatch(p.records!, span.position, { maxUncompressedBytes: 1 << 24 });
      for (const r of batch.records) {
        if (r.offset < offset) continue;
        assert.equal(r.value?.toString(), valueOf(Number(r.offset)), `record at offset ${r.offset}`);
        next = r.offset + 1n;
      }
    }
    if (offset < BigInt(RECORDS)) assert.ok(next > offset, `a fetch at ${offset} returned no whole record`);
    return next;
  }

  it('gives every pipelined fetch on every connection the log bytes, while consumers read and a connection drops', async () => {
    const consumers = ['reuse-a', 'reuse-b'].map((groupId) => kafka.consumer({ groupId, maxWaitTimeInMs: 50, maxBytesPerPartition: 65536, retry: { retries: 2, restartOnFailure: async () => false } }));
    const groups = consumers.map(async (consumer) => {
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => void (seen.push(message.value!.toString()) === RECORDS && resolve()) });
      });
      await consumer.disconnect();
      return seen;
    });
    const dropped = await RawClient.connect(broker.port);
    for (let i = 0; i < 8; i++) void dropped.send(FetchApi, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: BigInt(i * 500), partitionMaxBytes: 1 << 20 }] }] }).catch(() => undefined);
    dropped.close();

    const readers = Array.from({ length: 4 }, async (_, k) => {
      const c = await RawClient.connect(broker.port);
      try {
        // Four fetches in flight at different offsets, each followed to the end of the log.
        await Promise.all(
          Array.from({ length: 4 }, async (_, lane) => {
            let offset = BigInt(((k * 4 + lane) * 397) % RECORDS);
            const maxBytes = [16_384, 65_536, 300_000, 2_000_000][lane]!;
            for (let fetches = 0; offset < BigInt(RECORDS) && fetches < 2000; fetches++) offset = await fetchAndCheck(c, offset, maxBytes);
            assert.equal(offset, BigInt(RECORDS));
          }),
        );
      } finally {
        c.close();
      }
    });
    try {
      await Promise.all(readers);
      for (const seen of await Promise.all(groups)) assert.deepEqual(seen, Array.from({ length: RECORDS }, (_, i) => valueOf(i)));
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
    }
  });
});
