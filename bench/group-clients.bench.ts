/**
 * Consumer groups against a `samsa broker` child process, over the wire:
 * - OffsetCommit rate with every commit appended to __consumer_offsets and answered once written,
 *   next to a baseline of one-record Produce requests pipelined the same way (same broker, same run);
 * - time for kafkajs consumers (heartbeat every 100 ms) to be Stable again after one more member
 *   joins a group of 2 and of 10: what a user sees, client round trips and heartbeats included.
 *
 *   npm run bench -- group-clients      BENCH_SECONDS=5 by default per rate case
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { CreateTopicsApi, OffsetCommitApi, ProduceApi } from '../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch } from '../src/protocol/records/index.js';
import { awaitGroupCoordinator } from '../test/helpers/group-coordinator.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { spawnBroker, stopBroker } from './broker-process.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONNECTIONS = 4;
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

/** Starts a kafkajs member; resolves once it has joined, and counts its joins. */
async function member(kafka: Kafka, group: string, joins: Map<Consumer, number>): Promise<Consumer> {
  const c = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
  joins.set(c, 0);
  c.on(c.events.GROUP_JOIN, () => joins.set(c, joins.get(c)! + 1));
  await c.connect();
  await c.subscribe({ topic: 't', fromBeginning: false });
  await c.run({ eachMessage: async () => {} });
  return c;
}

/** Time from one more member's run() until every member has joined the new generation. */
async function joinTime(port: number, size: number): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
  const group = `join-${size}`;
  const joins = new Map<Consumer, number>();
  const members: Consumer[] = [];
  try {
    for (let i = 0; i < size; i++) members.push(await member(kafka, group, joins));
    while ([...joins.values()].some((n) => n === 0)) await sleep(5);
    await sleep(500); // settle: no rebalance in flight
    const before = new Map(joins);
    const t0 = performance.now();
    members.push(await member(kafka, group, joins));
    while ([...joins.entries()].some(([c, n]) => n <= (before.get(c) ?? 0))) await sleep(1);
    return performance.now() - t0;
  } finally {
    await Promise.all(members.map((c) => c.disconnect()));
  }
}

export default async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-groups-'));
  const { child, port } = await spawnBroker(dir, ['-o', 'group.initial.rebalance.delay.ms=0', '-o', 'group.min.session.timeout.ms=1000']);
  try {
    const c = await RawClient.connect(port);
    await c.send(CreateTopicsApi, 7, { topics: [{ name: 't', numPartitions: 8, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
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
    }
  } finally {
    await stopBroker(child);
    await rm(dir, { recursive: true, force: true });
  }
}
