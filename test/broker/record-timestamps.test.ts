/**
 * What depends on record timestamps, checked with real clients against what Kafka does: the
 * time-based segment roll (segment.ms) measured between batch timestamps, not from a batch's
 * timestamp to now.
 */
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { tempDir, testBroker } from '../helpers/test-broker.js';

describe('record timestamps', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let dataDir: string;
  let kafka: Kafka;
  before(async () => {
    dataDir = await tempDir();
    broker = await testBroker({ dataDir });
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  after(async () => {
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('records stamped an hour ago, a second apart, stay in one segment under segment.ms=1 minute (kafkajs)', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'replayed', configEntries: [{ name: 'segment.ms', value: '60000' }] }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const hourAgo = Date.now() - 3_600_000;
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'replayed', messages: [{ value: `v${i}`, timestamp: String(hourAgo + i * 1000) }] });
    await producer.disconnect();
    const logs = (await readdir(join(dataDir, 'replayed-0'))).filter((n) => n.endsWith('.log'));
    assert.deepEqual(logs, ['00000000000000000000.log'], 'Kafka rolls when the batches span segment.ms, not when they are older than it');
  });
});
