/**
 * Consumer groups against a `samsa broker` child process, over the wire:
 * - OffsetCommit rate with every commit appended to __consumer_offsets and answered once written,
 *   next to a baseline of one-record Produce requests pipelined the same way (same broker, same run);
 * - time for kafkajs consumers (heartbeat every 100 ms) to be Stable again after one more member
 *   joins a group of 2 and of 10: what a user sees, client round trips and heartbeats included;
 * - the same for a KIP-848 consumer group (@platformatic/kafka, groupProtocol 'consumer', told to
 *   heartbeat every 100 ms): time until every member holds its share of the topic's partitions,
 *   with the classic figure of the same size as the baseline (both groups read a topic of 24
 *   partitions, so that the eleventh member gets some);
 * - Kafka 4's online upgrade: a KIP-848 member joining a group of kafkajs members, which becomes
 *   a consumer group with them as classic members: time until every member holds its share.
 *
 *   npm run bench -- group-clients      BENCH_SECONDS=5 by default per rate case
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer as ConsumerProtocolMember, type MessagesStream } from '@platformatic/kafka';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { CreateTopicsApi, OffsetCommitApi, ProduceApi } from '../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch } from '../src/protocol/records/index.js';
import { awaitGroupCoordinator } from '../test/helpers/group-coordinator.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { spawnBroker, stopBroker } from './broker-process.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONNECTIONS = 4;
/** The topic the joining cases' groups read: enough partitions that the eleventh member of a group gets some. */
const GROUP_TOPIC = 'grouped';
const GROUP_TOPIC_PARTITIONS = 24;
const WINDOW = 8;

/** Requests per second from CONNECTIONS connections with WINDOW requests in flight on each. */
async function pipelinedRate(port: number, request: (c: RawClient, i: number) => Promise<void>): Promise<number> {
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawClient.connect(port)));
  let done = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(
    clients.flatMap((c) =>
      Array.from({ length: WINDOW }, async () => {
        while (performance.now() < end) await request(c, done++);
      }),
    ),
  );
  const rate = done / ((performance.now() - t0) / 1000);
  for (const c of clients) c.close();
  return rate;
}

async function commitRate(port: number, partitions: number): Promise<number> {
  return pipelinedRate(port, async (c, i) => {
    const res = await c.send(OffsetCommitApi, 8, {
      groupId: `bench-${i % 64}`,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: 't', partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, committedOffset: BigInt(i), committedMetadata: '' })) }],
    });
    if (res.topics[0]!.partitions.some((p) => p.errorCode !== 0)) throw new Error('commit failed');
  });
}

async function produceRate(port: number): Promise<number> {
  const batch = encodeUncompressedRecordBatch({ records: [{ value: Buffer.alloc(16) }] });
  return pipelinedRate(port, async (c) => {
    const res = await c.send(ProduceApi, 9, { acks: -1, timeoutMs: 30_000, topicData: [{ name: 't', partitionData: [{ index: 0, records: batch }] }] });
    if (res.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error('produce failed');
  });
}

/** Starts a kafkajs member; `onJoin` is told each generation it joins, with the group topic's partitions it was given. */
async function member(kafka: Kafka, group: string, onJoin: (c: Consumer, partitions: number[]) => void): Promise<Consumer> {
  const c = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
  c.on(c.events.GROUP_JOIN, (e) => onJoin(c, e.payload.memberAssignment[GROUP_TOPIC] ?? []));
  await c.connect();
  await c.subscribe({ topic: GROUP_TOPIC, fromBeginning: false });
  await c.run({ eachMessage: async () => {} });
  return c;
}

/** Time from one more member's run() until every member has joined the new generation. */
async function joinTime(port: number, size: number): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
  const group = `join-${size}`;
  const joins = new Map<Consumer, number>();
  const counted = (c: Consumer) => void joins.set(c, (joins.get(c) ?? 0) + 1);
  const members: Consumer[] = [];
  try {
    for (let i = 0; i < size; i++) members.push(await member(kafka, group, counted));
    while (joins.size < size) await sleep(5);
    await sleep(500); // settle: no rebalance in flight
    const before = new Map(joins);
    const t0 = performance.now();
    members.push(await member(kafka, group, counted));
    while (members.some((c) => (joins.get(c) ?? 0) <= (before.get(c) ?? 0))) await sleep(1);
    return performance.now() - t0;
  } finally {
    await Promise.all(members.map((c) => c.disconnect()));
  }
}

/** Every one of the topic's partitions held by exactly one member, the members' counts within one of each other. */
function balanced(held: readonly (readonly number[])[], partitions: number): boolean {
  const counts = held.map((h) => h.length);
  return new Set(held.flat()).size === partitions && counts.reduce((a, b) => a + b, 0) === partitions && Math.max(...counts) - Math.min(...counts) <= 1;
}

const heldBy = (m: ConsumerProtocolMember): number[] => (m.assignments ?? []).flatMap((a) => a.partitions);

/** Waits (bounded: 60 s) until `done` holds, checking every `everyMs`. */
async function until(what: string, done: () => boolean, everyMs: number): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${what} not within 60 s`);
    await sleep(everyMs);
  }
}

/** A KIP-848 member of `group` reading the group topic; `close` stops it. */
async function consumerProtocolMember(port: number, group: string, clientId: string): Promise<{ member: ConsumerProtocolMember; close(): Promise<void> }> {
  const member = new ConsumerProtocolMember({ groupId: group, clientId, bootstrapBrokers: [`127.0.0.1:${port}`], groupProtocol: 'consumer', maxWaitTime: 100 });
  const stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> = await member.consume({ topics: [GROUP_TOPIC], mode: 'latest' });
  stream.on('error', () => {});
  return {
    member,
    async close() {
      await stream.close();
      await member.close();
    },
  };
}

/** Time from one more KIP-848 member's consume() until every member holds its share of the group topic's partitions. */
async function consumerProtocolJoinTime(port: number, size: number): Promise<number> {
  const group = `kip848-join-${size}`;
  const members: Awaited<ReturnType<typeof consumerProtocolMember>>[] = [];
  const shares = () => members.map((m) => heldBy(m.member));
  try {
    for (let i = 0; i < size; i++) members.push(await consumerProtocolMember(port, group, `m${i}`));
    await until(`a KIP-848 group of ${size}`, () => balanced(shares(), GROUP_TOPIC_PARTITIONS), 5);
    await sleep(500); // settle: no reconciliation in flight
    const t0 = performance.now();
    members.push(await consumerProtocolMember(port, group, `m${size}`));
    await until(`a KIP-848 group of ${size + 1}`, () => balanced(shares(), GROUP_TOPIC_PARTITIONS), 1);
    return performance.now() - t0;
  } finally {
    for (const m of members) await m.close();
  }
}

/**
 * Kafka 4's online upgrade: time from a KIP-848 member's consume() into a group of `size` kafkajs
 * members until every member holds its share. The group becomes a consumer group; each kafkajs
 * member (eager) is told to rejoin, gives everything up, is left its share, and rejoins once more
 * to say it revoked the rest, which the newcomer then gets at its next heartbeat.
 */
async function upgradeJoinTime(port: number, size: number): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
  const group = `upgrade-${size}`;
  const held = new Map<Consumer, number[]>();
  const classic: Consumer[] = [];
  let joiner: Awaited<ReturnType<typeof consumerProtocolMember>> | undefined;
  try {
    for (let i = 0; i < size; i++) classic.push(await member(kafka, group, (c, partitions) => void held.set(c, partitions)));
    await until(`a kafkajs group of ${size}`, () => held.size === size && balanced([...held.values()], GROUP_TOPIC_PARTITIONS), 5);
    await sleep(500); // settle: no rebalance in flight
    const t0 = performance.now();
    joiner = await consumerProtocolMember(port, group, 'upgrader');
    await until(`the upgraded group of ${size + 1}`, () => balanced([...held.values(), heldBy(joiner!.member)], GROUP_TOPIC_PARTITIONS), 1);
    return performance.now() - t0;
  } finally {
    await joiner?.close();
    await Promise.all(classic.map((c) => c.disconnect()));
  }
}

export default async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-groups-'));
  const { child, port } = await spawnBroker(dir, ['-o', 'group.initial.rebalance.delay.ms=0', '-o', 'group.min.session.timeout.ms=1000', '-o', 'group.consumer.heartbeat.interval.ms=100']);
  try {
    const c = await RawClient.connect(port);
    await c.send(CreateTopicsApi, 7, {
      topics: [
        { name: 't', numPartitions: 8, replicationFactor: 1, assignments: [], configs: [] },
        { name: GROUP_TOPIC, numPartitions: GROUP_TOPIC_PARTITIONS, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    // __consumer_offsets is created on the first FindCoordinator: ask for every group the commits use.
    for (let g = 0; g < 64; g++) await awaitGroupCoordinator(c, `bench-${g}`);
    c.close();
    await produceRate(port); // warm-up
    const produce = await produceRate(port);
    console.log(`\n## Groups over the wire (samsa broker child process, ${CONNECTIONS} connections x ${WINDOW} in flight, ${SECONDS} s per rate)`);
    console.log(`baseline  Produce, 1 record, acks=all                 ${Math.round(produce).toLocaleString('en-US')} requests/s`);
    for (const partitions of [1, 8]) {
      const r = await commitRate(port, partitions);
      console.log(`commit    OffsetCommit, ${partitions} partition(s), persisted    ${Math.round(r).toLocaleString('en-US')} requests/s (${(r / produce).toFixed(2)}x Produce)`);
    }
    for (const size of [2, 10]) {
      const ms = await joinTime(port, size);
      console.log(`rebalance kafkajs: a member joins a group of ${String(size).padEnd(2)}        Stable again in ${ms.toFixed(0)} ms`);
      const kip848 = await consumerProtocolJoinTime(port, size);
      console.log(`kip-848   @platformatic/kafka: a member joins a group of ${String(size).padEnd(2)} every share held in ${kip848.toFixed(0)} ms (${(kip848 / ms).toFixed(2)}x kafkajs's classic rebalance)`);
      const upgrade = await upgradeJoinTime(port, size);
      console.log(`upgrade   a KIP-848 member joins ${String(size).padEnd(2)} kafkajs members   every share held in ${upgrade.toFixed(0)} ms (${(upgrade / ms).toFixed(2)}x kafkajs's classic rebalance)`);
    }
  } finally {
    await stopBroker(child);
    await rm(dir, { recursive: true, force: true });
  }
}
