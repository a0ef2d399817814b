/**
 * Consumer groups with kafkajs against an in-process broker: pub/sub (every group gets every
 * record), queue (members of one group split the partitions: no overlap, nothing missed, nothing
 * twice) and no loss while a group is down (it resumes from its committed offsets).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { type SentinelRecord, awaitSentinels } from '../helpers/sentinels.js';
import { testBroker } from '../helpers/test-broker.js';
import { GROUP_TEST_CONFIG, startConsumer, waitFor } from '../group/kafkajs-helpers.js';

async function produce(producer: Producer, topic: string, prefix: string, n: number): Promise<string[]> {
  const values = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < n; i += 100) await producer.send({ topic, messages: values.slice(i, i + 100).map((value, j) => ({ key: `k${i + j}`, value })) });
  return values;
}

describe('consumer groups with kafkajs', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let kafka: Kafka;
  let producer: Producer;
  before(async () => {
    broker = await testBroker({ config: GROUP_TEST_CONFIG });
    kafka = new Kafka({ clientId: 'groups-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });
  after(async () => {
    await producer.disconnect();
    await broker.stop();
  });

  const sendTo = (topic: string) => (messages: SentinelRecord[]) => producer.send({ topic, messages });

  async function createTopic(topic: string, numPartitions: number): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions }] });
    await admin.disconnect();
  }

  it('pub/sub: consumers in two groups each receive every record', async () => {
    await createTopic('pubsub', 3);
    const sent = await produce(producer, 'pubsub', 'r', 300);
    const a = await startConsumer(kafka, 'pubsub-a', 'pubsub');
    const b = await startConsumer(kafka, 'pubsub-b', 'pubsub');
    try {
      await waitFor('both groups to receive everything', () => a.got.values.length >= 300 && b.got.values.length >= 300);
      const isSentinel = await awaitSentinels('pubsub', 3, sendTo('pubsub'), [() => a.got.values, () => b.got.values]);
      assert.deepEqual(a.got.values.filter((v) => !isSentinel(v)).sort(), [...sent].sort());
      assert.deepEqual(b.got.values.filter((v) => !isSentinel(v)).sort(), [...sent].sort());
    } finally {
      await Promise.all([a.consumer.disconnect(), b.consumer.disconnect()]);
    }
  });

  it('queue: three consumers of one group split six partitions, and a restarted group resumes exactly where it committed', async () => {
    const topic = 'queue';
    await createTopic(topic, 6);
    const members = await Promise.all([0, 1, 2].map(() => startConsumer(kafka, 'workers', topic)));
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor('a stable group of three sharing six partitions', async () => {
        const [g] = (await admin.describeGroups(['workers'])).groups;
        const all = members.flatMap((m) => m.got.assigned);
        return g!.state === 'Stable' && g!.members.length === 3 && all.length === 6 && new Set(all).size === 6 && members.every((m) => m.got.assigned.length > 0);
      });
      const sent = await produce(producer, topic, 'q', 600);
      await waitFor('every record consumed', () => members.reduce((n, m) => n + m.got.values.length, 0) >= 600);
      const isSentinel = await awaitSentinels(topic, 6, sendTo(topic), [() => members.flatMap((m) => m.got.values)]);
      // `seen[i]` is where `values[i]` came from.
      const seen = members.flatMap((m) => m.got.seen.filter((_, i) => !isSentinel(m.got.values[i]!)));
      assert.equal(seen.length, 600, 'no record twice');
      assert.equal(new Set(seen).size, 600);
      assert.deepEqual(members.flatMap((m) => m.got.values.filter((v) => !isSentinel(v))).sort(), [...sent].sort(), 'the union is everything');
      for (const m of members) {
        const partitions = new Set(m.got.seen.map((s) => Number(s.split(':')[0])));
        assert.ok([...partitions].every((p) => m.got.assigned.includes(p)), 'each consumer only reads its own partitions');
      }
    } finally {
      await Promise.all(members.map((m) => m.consumer.disconnect()));
    }

    // The group is down (offsets committed on the way out); records keep coming.
    const [g] = (await admin.describeGroups(['workers'])).groups;
    assert.equal(g!.state, 'Empty');
    const whileDown = await produce(producer, topic, 'down', 1000);
    const back = await startConsumer(kafka, 'workers', topic, { fromBeginning: true });
    try {
      await waitFor('the 1,000 records produced while down', () => back.got.values.length >= 1000);
      const isSentinel = await awaitSentinels(topic, 6, sendTo(topic), [() => back.got.values]);
      const got = back.got.values.filter((v) => !isSentinel(v));
      assert.equal(got.length, 1000, 'exactly those: nothing replayed');
      assert.deepEqual(got.sort(), [...whileDown].sort());
    } finally {
      await back.consumer.disconnect();
      await admin.disconnect();
    }
  });
});
