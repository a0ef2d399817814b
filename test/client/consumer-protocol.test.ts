/**
 * Samsa's consumer on Kafka 4's consumer group protocol (groupProtocol 'consumer', KIP-848)
 * against an in-process broker: members split a topic's partitions as the coordinator assigns
 * them, a member gives up only what moves and a leaving member's partitions go to the other, each
 * record is read once; a member fenced out of the group drops its partitions and joins again; and a Samsa KIP-848 member shares one group with another client's KIP-848
 * member (@platformatic/kafka) and with a kafkajs classic member.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer as PlatformaticConsumer, stringDeserializers } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { type Consumer, type ConsumerOptions, type ConsumerRecord, SamsaClient, type TopicPartition } from '../../src/client/index.js';
import { ConsumerGroupHeartbeatApi } from '../../src/protocol/messages/index.js';
import { awaitGroupCoordinator } from '../helpers/group-coordinator.js';
import { RawClient } from '../helpers/raw-client.js';
import { testBroker } from '../helpers/test-broker.js';
import { GROUP_TEST_CONFIG, waitFor } from '../group/kafkajs-helpers.js';

interface Running {
  consumer: Consumer;
  records: ConsumerRecord[];
  revoked: TopicPartition[][];
  done: Promise<void>;
}

const KIP848: ConsumerOptions = { groupProtocol: 'consumer', maxWaitMs: 100, autoOffsetReset: 'earliest', autoCommitIntervalMs: 100 };
const PARTITIONS = 6;

describe('Samsa consumer on the consumer group protocol (KIP-848)', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: SamsaClient;
  before(async () => {
    broker = await testBroker({ config: { ...GROUP_TEST_CONFIG, 'group.consumer.heartbeat.interval.ms': 200, 'group.consumer.session.timeout.ms': 3000 } });
    client = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
  });
  after(async () => {
    await client.close();
    await broker.stop();
  });

  function run(groupId: string, topic: string): Running {
    const r: Running = { records: [], revoked: [], consumer: undefined as unknown as Consumer, done: Promise.resolve() };
    r.consumer = client.consumer({ ...KIP848, groupId, onPartitionsRevoked: (p) => void r.revoked.push(p) });
    r.consumer.subscribe(topic);
    r.done = (async () => {
      for await (const record of r.consumer) r.records.push(record);
    })();
    return r;
  }

  async function produce(topic: string, prefix: string, n: number): Promise<string[]> {
    const vs = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    await client.producer().send(topic, vs.map((value, i) => ({ partition: i % PARTITIONS, value })));
    return vs;
  }

  /** The group's members' partitions of `topic`, once it is Stable with `n` members that all hold some. */
  async function shares(groupId: string, topic: string, n: number): Promise<number[][]> {
    let out: number[][] = [];
    await waitFor(`group ${groupId} Stable with ${n} members`, async () => {
      const g = await client.admin().describeGroup(groupId);
      out = g.members.map((m) => [...(m.assignment[topic] ?? [])].sort((a, b) => a - b));
      return g.state === 'Stable' && g.protocol === 'uniform' && out.length === n && out.every((p) => p.length > 0);
    });
    return out;
  }

  const valuesOf = (rs: ConsumerRecord[]) => rs.map((r) => r.value!.toString());

  /** A new topic with 60 records and a Samsa KIP-848 member of `groupId` that holds its partitions (`held`) and has read them. */
  async function soleMember(groupId: string, topic: string): Promise<{ a: Running; sent: string[]; held: number[][] }> {
    await client.admin().createTopics([{ name: topic, partitions: PARTITIONS }]);
    const sent = await produce(topic, 'a', 60);
    const a = run(groupId, topic);
    const held = await shares(groupId, topic, 1);
    await waitFor('a reads everything', () => a.records.length === 60);
    return { a, sent, held };
  }

  /**
   * A Samsa KIP-848 member joins a group where another client's member (`otherRead`: what it read)
   * has read `sent`: they split the partitions three and three, and after `settleMs` every record
   * produced next is read once by one of them.
   */
  async function joinAndShare(groupId: string, topic: string, otherRead: string[], sent: string[], settleMs: number): Promise<void> {
    const s = run(groupId, topic);
    const [x, y] = await shares(groupId, topic, 2);
    assert.deepEqual([x!.length, y!.length], [3, 3]);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    sent.push(...(await produce(topic, 'b', 120)));
    await waitFor('both read the new records', () => otherRead.length + s.records.length === sent.length);
    assert.ok(s.records.length > 0 && otherRead.length > sent.length - 120, 'both read some');
    assert.deepEqual([...otherRead, ...valuesOf(s.records)].sort(), [...sent].sort(), 'every record once');
    await s.consumer.close();
    await s.done;
  }

  it('splits partitions between members, moves only what changes owner, and reads every record once', async () => {
    const topic = 'kip848-samsa';
    const { a, sent, held } = await soleMember('g-samsa', topic);
    assert.deepEqual(held, [[0, 1, 2, 3, 4, 5]]);

    const b = run('g-samsa', topic);
    const [first, second] = await shares('g-samsa', topic, 2);
    assert.equal(first!.length, 3);
    assert.deepEqual([...first!, ...second!].sort(), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(a.revoked.map((ps) => ps.length), [3], 'a gave up only the three partitions that moved');
    sent.push(...(await produce(topic, 'b', 120)));
    await waitFor('both read the new records', () => a.records.length + b.records.length === 180);
    const partitionsOf = (r: Running) => new Set(r.records.filter((x) => x.value!.toString().startsWith('b-')).map((x) => x.partition));
    assert.ok([...partitionsOf(a)].every((p) => !partitionsOf(b).has(p)), 'no partition read by both');

    await a.consumer.close();
    await a.done;
    assert.deepEqual(await shares('g-samsa', topic, 1), [[0, 1, 2, 3, 4, 5]], 'b holds everything once a left');
    sent.push(...(await produce(topic, 'c', 60)));
    await waitFor('b reads the rest', () => a.records.length + b.records.length === 240);
    assert.deepEqual([...valuesOf(a.records), ...valuesOf(b.records)].sort(), [...sent].sort(), 'every record once');
    await b.consumer.close();
    await b.done;
  });

  it('drops its partitions when fenced out of the group, joins again with its member id, and reads on', async () => {
    const topic = 'kip848-samsa-fenced';
    const { a, sent } = await soleMember('g-fenced', topic);
    const { memberId } = (await client.admin().describeGroup('g-fenced')).members[0]!;
    // Another party leaves the group in a's name: a's next heartbeat is answered UNKNOWN_MEMBER_ID.
    const raw = await RawClient.connect(broker.port);
    try {
      await awaitGroupCoordinator(raw, 'g-fenced');
      const left = (await raw.send(ConsumerGroupHeartbeatApi, 0, { groupId: 'g-fenced', memberId, memberEpoch: -1, topicPartitions: null })).errorCode;
      assert.equal(left, 0);
    } finally {
      raw.close();
    }
    await waitFor('a gave up its partitions', () => a.revoked.some((ps) => ps.length === PARTITIONS));
    const [back] = await shares('g-fenced', topic, 1);
    assert.deepEqual(back, [0, 1, 2, 3, 4, 5]);
    assert.equal((await client.admin().describeGroup('g-fenced')).members[0]!.memberId, memberId, 'the same member id');
    sent.push(...(await produce(topic, 'b', 60)));
    await waitFor('a reads on', () => valuesOf(a.records).filter((v) => v.startsWith('b-')).length === 60);
    assert.deepEqual([...new Set(valuesOf(a.records))].sort(), [...sent].sort(), 'nothing lost');
    await a.consumer.close();
    await a.done;
  });

  it('shares one group with a @platformatic/kafka KIP-848 member', async () => {
    const topic = 'kip848-samsa-platformatic';
    await client.admin().createTopics([{ name: topic, partitions: PARTITIONS }]);
    const sent = await produce(topic, 'a', 60);
    const p = new PlatformaticConsumer({ groupId: 'g-platformatic', clientId: 'platformatic', bootstrapBrokers: [broker.bootstrap], deserializers: stringDeserializers, groupProtocol: 'consumer', maxWaitTime: 100 });
    const pRead: string[] = [];
    const stream = await p.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: 100 });
    stream.on('data', (m) => void pRead.push(m.value));
    try {
      await waitFor('platformatic reads everything', () => pRead.length === 60);
      // @platformatic/kafka 1.35 delivers what a fetch in flight at a revocation returns: such fetches end first.
      await joinAndShare('g-platformatic', topic, pRead, sent, 1000);
    } finally {
      await stream.close();
      await p.close();
    }
  });

  it('shares one group with a kafkajs classic member (the group migrates as Kafka 4 does)', async () => {
    const topic = 'kip848-samsa-mixed';
    await client.admin().createTopics([{ name: topic, partitions: PARTITIONS }]);
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const k = kafka.consumer({ groupId: 'g-mixed', heartbeatInterval: 200, sessionTimeout: 6000 });
    const kRead: string[] = [];
    await k.connect();
    await k.subscribe({ topics: [topic], fromBeginning: true });
    await k.run({ eachMessage: async ({ message }) => void kRead.push(String(message.value)) });
    try {
      const sent = await produce(topic, 'a', 60);
      await waitFor('kafkajs reads everything', () => kRead.length === 60);
      await joinAndShare('g-mixed', topic, kRead, sent, 0);
    } finally {
      await k.disconnect();
    }
  });
});
