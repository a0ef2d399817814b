/**
 * KIP-848 consumer groups (ConsumerGroupHeartbeat) through @platformatic/kafka with
 * groupProtocol 'consumer': members share a topic's partitions, a joining member gets its share
 * once the holder has revoked it, a member that goes silent loses its partitions after
 * group.consumer.session.timeout.ms, the group outlives a broker killed and restarted under its
 * members, and a kafkajs group migrates to the consumer protocol and back while its members
 * read (Kafka 4's online upgrade and downgrade).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Consumer, type Message, type MessagesStream, stringDeserializers } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { SamsaClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ConsumerGroupDescribeApi, ConsumerGroupHeartbeatApi } from '../../src/protocol/messages/index.js';
import { eventually } from '../helpers/eventually.js';
import { kcatMember } from '../helpers/group-member-process.js';
import { awaitGroupCoordinator } from '../helpers/group-coordinator.js';
import { RawClient } from '../helpers/raw-client.js';
import { childBroker, freePort, tempDir, testBroker } from '../helpers/test-broker.js';

const PARTITIONS = 6;

describe('KIP-848 consumer groups with @platformatic/kafka', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  const kafka = () => new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  before(async () => {
    broker = await testBroker({ config: { 'group.consumer.heartbeat.interval.ms': 200, 'group.consumer.session.timeout.ms': 3000, 'group.initial.rebalance.delay.ms': 0 } });
  });
  after(() => broker.stop());

  async function createTopic(topic: string): Promise<void> {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    await admin.disconnect();
  }

  /** Produces `n` records spread over the partitions, plus one "end" record per partition (a barrier: a reader has everything once it has every end). */
  async function produce(topic: string, n: number, tag: string): Promise<void> {
    const producer = kafka().producer();
    await producer.connect();
    const messages = Array.from({ length: n }, (_, i) => ({ partition: i % PARTITIONS, value: `${tag}-${i}` }));
    for (let p = 0; p < PARTITIONS; p++) messages.push({ partition: p, value: `${tag}-end` });
    await producer.send({ topic, messages });
    await producer.disconnect();
  }

  /** A platformatic member reading `topic`, recording what it reads. */
  async function member(groupId: string, topic: string, clientId: string, bootstrap = broker.bootstrap) {
    const consumer = new Consumer({ groupId, clientId, bootstrapBrokers: [bootstrap], deserializers: stringDeserializers, groupProtocol: 'consumer', maxWaitTime: 100, retries: 50, retryDelay: 100 });
    const read: Message<string, string, string, string>[] = [];
    const stream: MessagesStream<string, string, string, string> = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: 100 });
    stream.on('data', (m) => read.push(m));
    const partitions = () => (consumer.assignments ?? []).flatMap((a) => a.partitions).sort((a, b) => a - b);
    return {
      consumer,
      read,
      partitions,
      async close() {
        await stream.close();
        await consumer.close();
      },
    };
  }
  type Member = Awaited<ReturnType<typeof member>>;
  /**
   * @platformatic/kafka hands over what a fetch in flight at a revocation returns, even records of
   * the partition it gave up (its fetch loop does not drop them): before records are produced to
   * check who reads them, such fetches (maxWaitTime 100 ms) are let end.
   */
  const fetchesInFlightEnd = () => new Promise((resolve) => setTimeout(resolve, 1000));
  const ends = (m: Member, tag: string) => m.read.filter((r) => r.value === `${tag}-end`).length;
  const key = (r: { partition: number; offset: bigint }) => `${r.partition}:${r.offset}`;

  it('shares partitions between members, hands them over on join and leave, and reads each record once', async () => {
    const topic = 'kip848-share';
    await createTopic(topic);
    await produce(topic, 120, 'a');
    const m1 = await member('g-share', topic, 'm1');
    await eventually('m1 reads every partition', 15_000, () => ends(m1, 'a') === PARTITIONS);
    assert.deepEqual(m1.partitions(), [0, 1, 2, 3, 4, 5]);

    const m2 = await member('g-share', topic, 'm2');
    await eventually('the partitions split three and three', 15_000, () => m1.partitions().length === 3 && m2.partitions().length === 3);
    assert.deepEqual([...m1.partitions(), ...m2.partitions()].sort(), [0, 1, 2, 3, 4, 5]);
    await fetchesInFlightEnd();
    await produce(topic, 120, 'b');
    await eventually('both members read their ends', 15_000, () => ends(m1, 'b') + ends(m2, 'b') === PARTITIONS);
    for (const m of [m1, m2]) {
      const theirs = new Set(m.partitions());
      assert.ok(m.read.filter((r) => r.value.startsWith('b-')).every((r) => theirs.has(r.partition)), 'each reads only its own partitions');
    }

    await m1.close();
    await eventually('m2 holds every partition once m1 left', 15_000, () => m2.partitions().length === PARTITIONS);
    await produce(topic, 60, 'c');
    await eventually('m2 reads every end', 15_000, () => ends(m2, 'c') === PARTITIONS);
    const all = [...m1.read, ...m2.read];
    assert.equal(all.length, 300 + 3 * PARTITIONS, 'every record read');
    assert.equal(new Set(all.map(key)).size, all.length, 'none twice');
    await m2.close();
  });

  it('gives a silent member’s partitions to the others after the session timeout, and describes the group', async () => {
    const topic = 'kip848-silent';
    await createTopic(topic);
    const raw = await RawClient.connect(broker.port);
    try {
      // A member that joins, takes every partition, and never heartbeats again.
      await awaitGroupCoordinator(raw, 'g-silent');
      const silent = await raw.send(ConsumerGroupHeartbeatApi, 0, { groupId: 'g-silent', memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 60_000, subscribedTopicNames: [topic], topicPartitions: [] });
      assert.equal(silent.errorCode, ErrorCode.NONE);
      assert.equal(silent.assignment?.topicPartitions[0]?.partitions.length, PARTITIONS);
      await produce(topic, 60, 'a');
      const m = await member('g-silent', topic, 'live');
      const described = (await raw.send(ConsumerGroupDescribeApi, 0, { groupIds: ['g-silent', 'nope'], includeAuthorizedOperations: false })).groups;
      assert.equal(described[0]!.groupState, 'Reconciling');
      assert.equal(described[0]!.members.length, 2);
      assert.ok(described[0]!.members.some((x) => x.clientId === 'live' && x.memberEpoch === described[0]!.groupEpoch));
      assert.equal(described[1]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
      assert.equal(m.read.length, 0, 'nothing while the silent member holds every partition');
      await eventually('the live member gets every partition', 10_000, () => m.partitions().length === PARTITIONS);
      await eventually('and reads every record', 10_000, () => ends(m, 'a') === PARTITIONS);
      const after = (await raw.send(ConsumerGroupDescribeApi, 0, { groupIds: ['g-silent'], includeAuthorizedOperations: false })).groups[0]!;
      assert.equal(after.groupState, 'Stable');
      assert.deepEqual(after.members.map((x) => x.clientId), ['live']);
      assert.equal(after.members[0]!.assignment.topicPartitions[0]!.topicName, topic);
      // Samsa's admin (`samsa groups describe`) describes it through ConsumerGroupDescribe.
      const client = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
      try {
        const d = await client.admin().describeGroup('g-silent');
        assert.deepEqual([d.state, d.protocolType, d.protocol], ['Stable', 'consumer', 'uniform']);
        assert.deepEqual(d.members.map((x) => [x.clientId, x.assignment]), [['live', { [topic]: [0, 1, 2, 3, 4, 5] }]]);
      } finally {
        await client.close();
      }
      const late = await raw.send(ConsumerGroupHeartbeatApi, 0, { groupId: 'g-silent', memberId: silent.memberId!, memberEpoch: silent.memberEpoch, topicPartitions: null });
      assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      await m.close();
    } finally {
      raw.close();
    }
  });

  it('keeps its members across a broker killed and restarted: they heartbeat on, and a new member shares with them', async () => {
    const dir = await tempDir();
    const port = await freePort();
    const args = ['--port', String(port), '--override', 'group.consumer.heartbeat.interval.ms=200', '--override', 'group.initial.rebalance.delay.ms=0'];
    let child = await childBroker(dir, args);
    const bootstrap = `127.0.0.1:${port}`;
    const k = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const members: Member[] = [];
    try {
      const admin = k.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'kip848-restart', numPartitions: 2 }] });
      await admin.disconnect();
      const m1 = await member('g-restart', 'kip848-restart', 'm1', bootstrap);
      members.push(m1);
      await eventually('m1 holds both partitions', 10_000, () => m1.partitions().length === 2);
      // The group's state was durable before m1 was answered: the kill loses none of it.
      await child.kill('SIGKILL');
      child = await childBroker(dir, args);
      const m2 = await member('g-restart', 'kip848-restart', 'm2', bootstrap);
      members.push(m2);
      await eventually('m1 gives one partition to m2', 15_000, () => m1.partitions().length === 1 && m2.partitions().length === 1);
      await fetchesInFlightEnd();
      const producer = k.producer();
      await producer.connect();
      await producer.send({ topic: 'kip848-restart', messages: [{ partition: 0, value: 'x' }, { partition: 1, value: 'y' }] });
      await producer.disconnect();
      await eventually('both records read', 15_000, () => m1.read.length + m2.read.length === 2);
      assert.deepEqual([m1.read.length, m2.read.length], [1, 1], 'each member read its own partition, nothing twice');
    } finally {
      for (const m of members.reverse()) await m.close().catch(() => {});
      await child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('migrates a kcat group (librdkafka, cooperative-sticky) to KIP-848 and back: kcat names the partitions it still owns; nothing lost or read twice', async () => {
    const topic = 'kip848-kcat';
    const groupId = 'g-kcat';
    await createTopic(topic);
    await produce(topic, 60, 'a');
    const admin = kafka().admin();
    await admin.connect();
    const committedAt = (offset: string) => async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.every((p) => p.offset === offset);
    const k = kcatMember(broker.bootstrap, groupId, topic, 'cooperative-sticky', ['auto.commit.interval.ms=100']);
    const kRead = () => k.lines.map((l) => ({ partition: Number(l.split(':')[0]), offset: BigInt(l.split(':')[1]!), value: l.split(':').slice(2).join(':') }));
    const raw = await RawClient.connect(broker.port);
    let m: Member | undefined;
    let mClosed = false;
    try {
      await eventually('kcat reads and commits every partition', 20_000, committedAt('11'));
      m = await member(groupId, topic, 'm');
      const kcatPartitions = async () => {
        const g = (await raw.send(ConsumerGroupDescribeApi, 0, { groupIds: [groupId], includeAuthorizedOperations: false })).groups[0]!;
        return g.groupState === 'Stable' ? (g.members.find((x) => x.clientId === 'rdkafka')?.assignment.topicPartitions[0]?.partitions ?? []) : [];
      };
      let held: number[] = [];
      await eventually('kcat and m hold three partitions each, the group Stable', 20_000, async () => (held = await kcatPartitions()).length === 3 && m!.partitions().length === 3);
      assert.deepEqual([...held, ...m.partitions()].sort(), [0, 1, 2, 3, 4, 5]);
      await fetchesInFlightEnd();
      await produce(topic, 120, 'b');
      await eventually('both read their ends', 15_000, () => ends(m!, 'b') + kRead().filter((r) => r.value === 'b-end').length === PARTITIONS);
      assert.ok(kRead().filter((r) => r.value.startsWith('b-')).every((r) => held.includes(r.partition)), 'kcat reads only its partitions');

      await eventually('both commit what they read', 15_000, committedAt('32'));
      await m.close();
      mClosed = true;
      await eventually('a classic group again, kcat holding every partition', 20_000, async () => {
        const g = (await admin.describeGroups([groupId])).groups[0]!;
        return g.state === 'Stable' && g.members.length === 1 && g.members[0]!.clientId === 'rdkafka';
      });
      await produce(topic, 60, 'c');
      await eventually('kcat reads every end', 15_000, () => kRead().filter((r) => r.value === 'c-end').length === PARTITIONS);
      const all = [...m.read, ...kRead()];
      assert.equal(all.length, 240 + 3 * PARTITIONS, 'every record read');
      assert.equal(new Set(all.map(key)).size, all.length, 'none twice');
    } finally {
      raw.close();
      await k.stop();
      if (!mClosed) await m?.close();
      await admin.disconnect();
    }
  });

  it('migrates a kafkajs group to KIP-848 and back with its members reading: upgrade when a member joins, downgrade when it leaves; nothing lost or read twice', async () => {
    const topic = 'kip848-migrate';
    const groupId = 'g-migrate';
    await createTopic(topic);
    await produce(topic, 60, 'a');
    const admin = kafka().admin();
    await admin.connect();
    const committedAt = (offset: string) => async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.every((p) => p.offset === offset);

    // A classic group: one kafkajs member (eager, subscription v1, no owned partitions).
    const k = kafka().consumer({ groupId, heartbeatInterval: 200 });
    const kRead: { partition: number; offset: bigint; value: string }[] = [];
    let kPartitions: number[] = [];
    k.on(k.events.GROUP_JOIN, (e) => void (kPartitions = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b)));
    await k.connect();
    await k.subscribe({ topics: [topic], fromBeginning: true });
    await k.run({ eachMessage: async ({ partition, message }) => void kRead.push({ partition, offset: BigInt(message.offset), value: String(message.value) }) });
    try {
      await eventually('kafkajs reads and commits every partition', 15_000, committedAt('11'));
      assert.deepEqual(kPartitions, [0, 1, 2, 3, 4, 5]);

      // A KIP-848 member joins: the group becomes a consumer group, and kafkajs gives up half when told to rejoin.
      const m = await member(groupId, topic, 'm');
      await eventually('the partitions split three and three', 15_000, () => m.partitions().length === 3 && kPartitions.length === 3);
      assert.deepEqual([...m.partitions(), ...kPartitions].sort(), [0, 1, 2, 3, 4, 5]);
      const raw = await RawClient.connect(broker.port);
      try {
        const described = (await raw.send(ConsumerGroupDescribeApi, 0, { groupIds: [groupId], includeAuthorizedOperations: false })).groups[0]!;
        assert.deepEqual([described.errorCode, described.members.length], [ErrorCode.NONE, 2], 'one consumer group, a member of each protocol');
      } finally {
        raw.close();
      }
      await fetchesInFlightEnd();
      await produce(topic, 120, 'b');
      await eventually('both members read their ends', 15_000, () => ends(m, 'b') + kRead.filter((r) => r.value === 'b-end').length === PARTITIONS);
      const mine = new Set(m.partitions());
      assert.ok(m.read.every((r) => mine.has(r.partition)), 'the KIP-848 member reads only its partitions');
      assert.ok(kRead.filter((r) => r.value.startsWith('b-')).every((r) => kPartitions.includes(r.partition)), 'kafkajs reads only its partitions');

      // The KIP-848 member leaves: a classic group again, kafkajs rebalances and takes everything from the committed offsets.
      await eventually('both commit what they read', 15_000, committedAt('32'));
      await m.close();
      await eventually('kafkajs holds every partition', 15_000, () => kPartitions.length === PARTITIONS);
      const classic = (await admin.describeGroups([groupId])).groups[0]!;
      assert.deepEqual([classic.state, classic.protocolType, classic.members.length], ['Stable', 'consumer', 1]);
      await produce(topic, 60, 'c');
      await eventually('kafkajs reads every end', 15_000, () => kRead.filter((r) => r.value === 'c-end').length === PARTITIONS);
      const all = [...kRead, ...m.read];
      assert.equal(all.length, 240 + 3 * PARTITIONS, 'every record read');
      assert.equal(new Set(all.map(key)).size, all.length, 'none twice');
    } finally {
      await k.disconnect();
      await admin.disconnect();
    }
  });
});
