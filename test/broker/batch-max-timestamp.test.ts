/**
 * A batch's maxTimestamp is its largest record's, as Kafka's broker makes it: kafkajs 2.2.4 writes
 * it from the timestamps its caller gave (sorted as strings), leaving out the records it stamps
 * itself, so a batch mixing both says less than its largest record. Looked up by time (kcat -Q,
 * ListOffsets), the record stamped by kafkajs must be found, as against Kafka.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { readBatchHeader } from '../../src/protocol/records/index.js';
import { kcat } from '../helpers/kcat.js';
import { replicaBatchesRaw } from '../helpers/replica-batches.js';
import { testBroker } from '../helpers/test-broker.js';

describe("a produced batch's maxTimestamp", { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => {
    broker = await testBroker();
  });
  after(() => broker.stop());

  it("is its largest record's even when kafkajs wrote less, so lookups by time find the record", async () => {
    const hourAgo = Date.now() - 3_600_000;
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    // One batch: kafkajs writes maxTimestamp = the hour-old timestamp; the second record is stamped now.
    const before = Date.now();
    await producer.send({ topic: 'mixed-times', messages: [{ value: 'old', timestamp: String(hourAgo) }, { value: 'now' }] });
    await producer.disconnect();
    const batches = [];
    for await (const { chunk, pos } of replicaBatchesRaw(broker, 'mixed-times', 0)) batches.push(readBatchHeader(chunk, pos));
    assert.equal(batches.length, 1);
    assert.ok(batches[0]!.maxTimestamp >= BigInt(before), `maxTimestamp ${batches[0]!.maxTimestamp}, the record stamped at ${before} or later`);
    // The first record at or after half an hour ago is offset 1 (kcat prints topic partition offset).
    const found = await kcat(['-b', broker.bootstrap, '-Q', '-t', `mixed-times:0:${hourAgo + 1_800_000}`]);
    assert.match(found, /mixed-times \[0\]\s+offset 1/);
  });

  it('is corrected for records days apart too (timestamp deltas past 2^27 ms, read as varlongs)', async () => {
    const daysAgo = Date.now() - 3 * 86_400_000;
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: 'days-apart', messages: [{ value: 'old', timestamp: String(daysAgo) }, { value: 'now' }] });
    await producer.disconnect();
    const found = await kcat(['-b', broker.bootstrap, '-Q', '-t', `days-apart:0:${Date.now() - 3_600_000}`]);
    assert.match(found, /days-apart \[0\]\s+offset 1/);
  });

  it('is its largest record\'s in a compressed batch recompressed for the topic (gzip from kafkajs, lz4 topic)', async () => {
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'recompressed', configEntries: [{ name: 'compression.type', value: 'lz4' }] }] });
    await admin.disconnect();
    const hourAgo = Date.now() - 3_600_000;
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const before = Date.now();
    await producer.send({ topic: 'recompressed', compression: CompressionTypes.GZIP, messages: [{ value: 'old', timestamp: String(hourAgo) }, { value: 'now' }] });
    await producer.disconnect();
    const batches = [];
    for await (const { chunk, pos } of replicaBatchesRaw(broker, 'recompressed', 0)) batches.push(readBatchHeader(chunk, pos));
    assert.equal(batches.length, 1);
    assert.ok(batches[0]!.maxTimestamp >= BigInt(before), `maxTimestamp ${batches[0]!.maxTimestamp}, the record stamped at ${before} or later`);
    const found = await kcat(['-b', broker.bootstrap, '-Q', '-t', `recompressed:0:${hourAgo + 1_800_000}`]);
    assert.match(found, /recompressed \[0\]\s+offset 1/);
  });
});
