/**
 * What depends on record timestamps, checked with real clients against what Kafka does: the
 * time-based segment roll (segment.ms) measured between batch timestamps, not from a batch's
 * timestamp to now; message.timestamp.before.max.ms checked on every record of an uncompressed
 * batch, not only on its first (librdkafka batches records as produced, out of order); records
 * past retention.ms deleted even from the active segment.
 */
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { tempDir, testBroker } from '../helpers/test-broker.js';

const run = promisify(execFile);

/** confluent-kafka-python produces records stamped now and `age` ms ago in one batch; prints each record's error (null when acknowledged). */
const PRODUCE_OUT_OF_ORDER = `
import json, sys, time
from confluent_kafka import Producer
bootstrap, topic, age = sys.argv[1], sys.argv[2], int(sys.argv[3])
now = int(time.time() * 1000)
p = Producer({'bootstrap.servers': bootstrap, 'compression.type': 'none', 'linger.ms': 5000})
p.list_topics(topic, timeout=10)  # the leader known first, so that both records wait in one batch
errors = []
for ts in [now, now - age]:
    p.produce(topic, value=b'v', timestamp=ts, on_delivery=lambda err, m: errors.append(err.name() if err else None))
p.flush(30)
print(json.dumps(errors))
`;

describe('record timestamps', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let dataDir: string;
  let kafka: Kafka;
  before(async () => {
    dataDir = await tempDir();
    broker = await testBroker({ dataDir, config: { 'log.retention.check.interval.ms': 200 } });
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

  it('message.timestamp.before.max.ms refuses a batch whose later record is too old, as Kafka does (confluent-kafka)', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bounded', configEntries: [{ name: 'message.timestamp.before.max.ms', value: '3600000' }] }] });
    await admin.disconnect();
    for (const age of [2 * 3_600_000, 3 * 86_400_000]) {
      const { stdout } = await run('/usr/bin/python3', ['-c', PRODUCE_OUT_OF_ORDER, broker.bootstrap, 'bounded', String(age)], { timeout: 60_000 });
      assert.deepEqual(JSON.parse(stdout), ['INVALID_TIMESTAMP', 'INVALID_TIMESTAMP'], `a record ${age} ms old after one stamped now`);
    }
    const { stdout } = await run('/usr/bin/python3', ['-c', PRODUCE_OUT_OF_ORDER, broker.bootstrap, 'bounded', '60000'], { timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), [null, null], 'a minute old is within the bound');
  });

  it('retention.ms deletes records stamped long ago though they are all in the active segment, and keeps a record stamped now (kafkajs)', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const retention = [{ name: 'retention.ms', value: '60000' }];
    await admin.createTopics({ topics: [{ topic: 'expired', configEntries: retention }, { topic: 'fresh', configEntries: retention }] });
    const producer = kafka.producer();
    await producer.connect();
    const tenMinutesAgo = String(Date.now() - 600_000);
    await producer.send({ topic: 'expired', messages: [{ value: 'a', timestamp: tenMinutesAgo }, { value: 'b', timestamp: tenMinutesAgo }] });
    await producer.send({ topic: 'fresh', messages: [{ value: 'a', timestamp: tenMinutesAgo }, { value: 'b' }] });
    await producer.disconnect();
    const low = async (topic: string) => (await admin.fetchTopicOffsets(topic))[0]!.low;
    for (let i = 0; i < 100 && (await low('expired')) !== '2'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await low('expired'), '2', 'Kafka rolls the active segment and deletes it once retention.ms has passed all of it');
    assert.equal(await low('fresh'), '0');
    await admin.disconnect();
  });
});
