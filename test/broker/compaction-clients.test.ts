/**
 * Compacted topics as Kafka users meet them, against a `samsa broker` child process: kafkajs
 * creates the topics and produces, kcat (librdkafka) reads what the cleaner left. The broker runs
 * with log.cleaner.backoff.ms=100 so the cleaner looks for work ten times a second.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually.js';
import { kcat } from '../helpers/kcat.js';
import { type ChildBroker, childBroker, tempDir } from '../helpers/test-broker.js';

describe('compacted topics through real clients', { timeout: 120_000 }, () => {
  let dir: string;
  let broker: ChildBroker;
  let kafka: Kafka;
  before(async () => {
    dir = await tempDir();
    broker = await childBroker(dir, ['-o', 'log.cleaner.backoff.ms=100']);
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  after(async () => {
    await broker.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  async function createCompacted(topic: string, configs: Record<string, string>): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: Object.entries({ 'cleanup.policy': 'compact', ...configs }).map(([name, value]) => ({ name, value })) }] });
    } finally {
      await admin.disconnect();
    }
  }

  async function produce(topic: string, records: [string, string | null][]): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    try {
      for (const [key, value] of records) await producer.send({ topic, messages: [{ key, value }] });
    } finally {
      await producer.disconnect();
    }
  }

  /** `offset key=value` lines of the whole partition, read by kcat. */
  async function readAll(topic: string): Promise<string[]> {
    const out = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %k=%s\n']);
    return out.split('\n').filter((l) => l !== '');
  }

  it('rolls a compacted topic\'s active segment at max.compaction.lag.ms, so old values go within that lag (KIP-354)', async () => {
    // segment.ms stays at its default (7 days): only max.compaction.lag.ms can roll the segment.
    const topic = 'lag-roll';
    await createCompacted(topic, { 'max.compaction.lag.ms': '1000' });
    await produce(topic, [['k', 'v1'], ['k', 'v2']]);
    await sleep(1500);
    // This append finds the active segment older than the lag: it goes to a new segment, and the
    // old one, now cleanable, keeps only the latest value of k.
    await produce(topic, [['j', 'x']]);
    let seen: string[] = [];
    await eventually('the old value of k compacted away', 10_000, async () => {
      seen = await readAll(topic);
      return seen.length === 2;
    }).catch((err: Error) => assert.fail(`${err.message}: read ${JSON.stringify(seen)}`));
    assert.deepEqual(seen, ['1 k=v2', '2 j=x']);
  });

  it('refuses DeleteRecords on a compacted topic (POLICY_VIOLATION, as Kafka) and allows it with compact,delete', async () => {
    for (const [topic, policy] of [['delete-records-compact', 'compact'], ['delete-records-compact-delete', 'compact,delete']] as const) {
      await createCompacted(topic, { 'cleanup.policy': policy });
      await produce(topic, [['k', 'v1'], ['j', 'w1']]);
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs finds the leader in its metadata cache
        const deleting = admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '-1' }] });
        if (policy === 'compact') {
          // kafkajs wraps the partition's error (a KafkaJSDeleteTopicRecordsError) in a non-retriable one.
          await assert.rejects(deleting, (err: { cause?: { partitions?: { error: { type: string } }[] } }) => err.cause?.partitions?.[0]?.error.type === 'POLICY_VIOLATION');
          assert.deepEqual(await readAll(topic), ['0 k=v1', '1 j=w1'], 'the latest value of every key is still there');
        } else {
          await deleting;
          assert.deepEqual(await readAll(topic), []);
        }
      } finally {
        await admin.disconnect();
      }
    }
  });
});
