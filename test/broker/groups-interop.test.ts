/**
 * Consumer groups with librdkafka (kcat -G) and kafka-python against an in-process broker:
 * a kcat and a kafka-python member share one `range` group (the protocol both name alike), two kcat
 * members rebalance incrementally with `cooperative-sticky`, and a kafkajs member, whose assignor
 * has a name no other client uses, is refused from a group that already agreed on `range`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { decodeAssignment } from '../../src/client/consumer/group-membership.js';
import { type Member, kcatMember, member } from '../helpers/group-member-process.js';
import { awaitSentinels } from '../helpers/sentinels.js';
import { testBroker } from '../helpers/test-broker.js';
import { GROUP_TEST_CONFIG, waitFor } from '../group/kafkajs-helpers.js';

const PYTHON_MEMBER = `
import sys
from kafka import KafkaConsumer
from kafka.coordinator.assignors.range import RangePartitionAssignor
bootstrap, group, topic = sys.argv[1:4]
c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset='earliest',
                  partition_assignment_strategy=[RangePartitionAssignor], session_timeout_ms=6000,
                  heartbeat_interval_ms=300, fetch_max_wait_ms=100, auto_commit_interval_ms=200)
import signal
signal.signal(signal.SIGTERM, lambda *a: (c.close(), sys.exit(0)))
for m in c:
    print('%d:%d:%s' % (m.partition, m.offset, m.value.decode()), flush=True)
`;

function pythonMember(bootstrap: string, group: string, topic: string): Member {
  return member('/usr/bin/python3', ['-c', PYTHON_MEMBER, bootstrap, group, topic]);
}

describe('consumer groups with kcat (librdkafka) and kafka-python', { timeout: 180_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const members: Member[] = [];

  before(async () => {
    broker = await testBroker({ config: GROUP_TEST_CONFIG });
    kafka = new Kafka({ clientId: 'interop-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
  });
  after(async () => {
    await Promise.all(members.map((m) => m.stop()));
    await producer.disconnect();
    await admin.disconnect();
    await broker.stop();
  });

  async function produce(topic: string, prefix: string, n: number): Promise<string[]> {
    const values = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    await producer.send({ topic, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
    return values;
  }

  /** Each member's partitions, from DescribeGroups, once the group is Stable with `n` members. */
  async function stableAssignment(group: string, topic: string, n: number): Promise<{ protocol: string; partitions: number[][] }> {
    let result: { protocol: string; partitions: number[][] } | undefined;
    await waitFor(`group ${group} Stable with ${n} members sharing every partition`, async () => {
      const [g] = (await admin.describeGroups([group])).groups;
      if (g?.state !== 'Stable' || g.members.length !== n) return false;
      const partitions = g.members.map((m) => partitionsOf(m.memberAssignment, topic));
      if (partitions.some((p) => p.length === 0)) return false;
      result = { protocol: g.protocol, partitions };
      return true;
    }, 60_000);
    return result!;
  }

  const partitionsOf = (assignment: Buffer, topic: string) => decodeAssignment(assignment).get(topic) ?? [];

  const valuesOf = (m: Member) => m.lines.map((l) => l.split(':').slice(2).join(':'));
  const partitionsRead = (m: Member) => new Set(m.lines.map((l) => Number(l.split(':')[0])));

  it('a kcat and a kafka-python member share a range group: disjoint partitions, every record once; a kafkajs member is refused', async () => {
    const topic = 'interop-range';
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const k = kcatMember(broker.bootstrap, 'mixed', topic, 'range');
    const p = pythonMember(broker.bootstrap, 'mixed', topic);
    members.push(k, p);
    const { protocol, partitions } = await stableAssignment('mixed', topic, 2);
    assert.equal(protocol, 'range');
    assert.deepEqual(partitions.flat().sort(), [0, 1, 2, 3]);

    const sent = await produce(topic, 'r', 400);
    await waitFor('all 400 records', () => k.lines.length + p.lines.length >= 400, 60_000);
    const delivered = () => [...valuesOf(k), ...valuesOf(p)];
    const isSentinel = await awaitSentinels(topic, 4, (messages) => producer.send({ topic, messages }), [delivered]);
    const got = delivered().filter((v) => !isSentinel(v));
    assert.equal(got.length, 400, 'nothing twice');
    assert.deepEqual(got.sort(), [...sent].sort(), 'nothing missed');
    assert.ok(k.lines.length > 0 && p.lines.length > 0, 'both members consumed');
    const [a, b] = [partitionsRead(k), partitionsRead(p)];
    assert.ok([...a].every((x) => !b.has(x)), 'no partition read by both');

    // kafkajs names its assignor RoundRobinAssigner, which neither member supports: refused.
    const consumer = kafka.consumer({ groupId: 'mixed', sessionTimeout: 6000, retry: { retries: 0 } });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const crashed = new Promise<Error>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)));
      await consumer.run({ eachMessage: async () => {} });
      const error = (await crashed) as Error & { type?: string };
      assert.equal(error.type, 'INCONSISTENT_GROUP_PROTOCOL');
    } finally {
      await consumer.disconnect();
    }
    const still = await stableAssignment('mixed', topic, 2);
    assert.equal(still.protocol, 'range');
    assert.deepEqual(still.partitions, partitions, 'the group kept its members and assignment');
  });

  it('two kcat members rebalance with cooperative-sticky and lose nothing', async () => {
    const topic = 'interop-coop';
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const first = kcatMember(broker.bootstrap, 'coop', topic, 'cooperative-sticky');
    members.push(first);
    const alone = await stableAssignment('coop', topic, 1);
    assert.equal(alone.protocol, 'cooperative-sticky');
    assert.deepEqual(alone.partitions, [[0, 1, 2, 3]]);
    const before = await produce(topic, 'a', 200);
    await waitFor('the first member to read 200', () => first.lines.length >= 200, 60_000);

    const second = kcatMember(broker.bootstrap, 'coop', topic, 'cooperative-sticky');
    members.push(second);
    const shared = await stableAssignment('coop', topic, 2);
    assert.deepEqual(shared.partitions.map((x) => x.length), [2, 2]);
    const afterJoin = await produce(topic, 'b', 200);
    await waitFor('every record', () => new Set([...valuesOf(first), ...valuesOf(second)]).size >= 400, 60_000);
    assert.deepEqual([...new Set([...valuesOf(first), ...valuesOf(second)])].sort(), [...before, ...afterJoin].sort());
    assert.ok(second.lines.length > 0, 'the newcomer consumed its share');
  });
});
