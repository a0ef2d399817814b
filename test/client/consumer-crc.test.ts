/**
 * The consumer checks every batch's CRC-32C before it hands out a record of it: a batch corrupted
 * on the broker's disk (the broker serves segment bytes as they are) is reported, again on the
 * next read, and none of its records is delivered; a seek past it goes on; with checkCrcs off (Kafka's
 * check.crcs=false) it is delivered as it is. Records are produced by kafkajs and by Samsa's producer.
 */
import assert from 'node:assert/strict';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { type ConsumerRecord, SamsaClient } from '../../src/client/index.js';
import { iterateBatches } from '../../src/protocol/records/index.js';
import { testBroker } from '../helpers/test-broker.js';

const VALUE = 1024;
const PER_BATCH = 100;

describe('consumer CRC-32C checks', { timeout: 120_000 }, () => {
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

  /** Three batches of PER_BATCH 1 KiB records: Samsa's, kafkajs's, Samsa's. */
  async function fill(topic: string): Promise<void> {
    await client.admin().createTopics([{ name: topic, partitions: 1 }]);
    const producer = client.producer();
    const kafkajs = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await kafkajs.connect();
    const values = (b: number) => Array.from({ length: PER_BATCH }, (_, i) => Buffer.alloc(VALUE, (b * PER_BATCH + i) % 251));
    await producer.send(topic, values(0).map((value) => ({ value })));
    await kafkajs.send({ topic, messages: values(1).map((value) => ({ value })) });
    await producer.send(topic, values(2).map((value) => ({ value })));
    await kafkajs.disconnect();
  }

  /** Flips one byte inside a record of the topic's `index`th batch in the broker's segment file. */
  async function corruptBatch(topic: string, index: number): Promise<void> {
    const file = join(broker.dataDir, `${topic}-0`, '00000000000000000000.log');
    const spans = [...iterateBatches(await readFile(file))];
    assert.equal(spans.length, 3, 'three batches on disk');
    const at = spans[index]!.position + 61 + 500;
    const fh = await open(file, 'r+');
    try {
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, at);
      b[0] = b[0]! ^ 0xff;
      await fh.write(b, 0, 1, at);
    } finally {
      await fh.close();
    }
  }

  it('a batch whose CRC does not match is reported and none of its records delivered', async () => {
    const topic = 'crc-bad';
    await fill(topic);
    await corruptBatch(topic, 1);
    // One batch per answer (the first batch is always whole), so each is a chunk of its own.
    const consumer = client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 50, maxPartitionBytes: 1 });
    consumer.assign([{ topic, partition: 0 }]);
    const delivered: ConsumerRecord[] = [];
    const it = consumer[Symbol.asyncIterator]();
    try {
      for (let i = 0; i < PER_BATCH; i++) {
        const next = await it.next();
        assert.equal(next.done, false);
        delivered.push(next.value as ConsumerRecord);
      }
      await assert.rejects(it.next(), (err: Error) => /crc/i.test(err.message) && /computed/.test(err.message));
      // Reported again, not skipped: the bad batch is never delivered.
      await assert.rejects(it.next(), /crc/i);
      await consumer.seek(topic, 0, BigInt(2 * PER_BATCH));
      for (let i = 0; i < PER_BATCH; i++) {
        const next = await it.next();
        assert.equal(next.done, false);
        delivered.push(next.value as ConsumerRecord);
      }
    } finally {
      await consumer.close();
    }
    assert.deepEqual(
      delivered.map((r) => r.offset),
      [...Array.from({ length: PER_BATCH }, (_, i) => BigInt(i)), ...Array.from({ length: PER_BATCH }, (_, i) => BigInt(2 * PER_BATCH + i))],
    );
    for (const r of delivered) assert.ok(r.value!.equals(Buffer.alloc(VALUE, Number(r.offset) % 251)), `value of offset ${r.offset}`);
  });

  it('with checkCrcs off (Kafka\'s check.crcs=false) the corrupted batch is delivered as it is', async () => {
    const topic = 'crc-unchecked';
    await fill(topic);
    await corruptBatch(topic, 1);
    const consumer = client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 50, checkCrcs: false });
    consumer.assign([{ topic, partition: 0 }]);
    const delivered: ConsumerRecord[] = [];
    try {
      for await (const r of consumer) if (delivered.push(r) === 3 * PER_BATCH) break;
    } finally {
      await consumer.close();
    }
    assert.deepEqual(delivered.map((r) => r.offset), Array.from({ length: 3 * PER_BATCH }, (_, i) => BigInt(i)));
    const damaged = delivered.filter((r) => !r.value!.equals(Buffer.alloc(VALUE, Number(r.offset) % 251)));
    assert.deepEqual(damaged.map((r) => r.offset), [BigInt(PER_BATCH)], 'the flipped byte, in the second batch\'s first record, unnoticed');
  });
});
