/**
 * Samsa's client against kafkajs, both producing to and consuming from the same `samsa broker`
 * child process in one run: 1 KiB records, one and eight partitions, acks=all (both clients'
 * default; Samsa's producer is then idempotent, kafkajs's is not unless asked), no compression.
 * Each producer is driven the same way (sends of 1,000 records, up to 8 in flight); each consumer
 * joins a fresh group and reads the pre-produced records from the beginning. Both clients are
 * timed from before they connect (Samsa's connect on first use) to the last record. Rounds alternate
 * between the clients and the best of them is kept, so a noisy neighbour hurts both alike. The
 * broker's __consumer_offsets is created before any round (the first FindCoordinator of a broker
 * creates it, and whichever consumer came first would wait out a retry for it). A second table
 * splits each kept consume round into its fixed cost (connect, join, assignment and the first
 * fetch: the time to the first record) and the record stream after it, with the mark-compact
 * collections and minor page faults of the round (what sets a round's speed on a small VM: fresh
 * frames faulted in again after the allocator gave freed ones back; docs/client.md, Performance).
 *
 *   npm run bench -- client         BENCH_RECORDS=200000 per produce case by default
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PerformanceEntry, PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { SamsaClient } from '../src/client/index.js';
import { spawnBroker, stopBroker } from './broker-process.js';

const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 200_000);
const RECORD_BYTES = 1024;
const SEND_RECORDS = 1000;
const IN_FLIGHT = 8;
const ROUNDS = 2;

/**
 * Calls `send` for every slice of RECORDS records, IN_FLIGHT at a time; returns records/s, timed
 * from before `connect` (Samsa's clients connect on first use, inside the timing; kafkajs's ahead).
 */
async function drive(send: (count: number) => Promise<unknown>, connect?: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await connect?.();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < RECORDS) {
        const n = Math.min(SEND_RECORDS, RECORDS - next);
        next += n;
        await send(n);
      }
    }),
  );
  return RECORDS / ((performance.now() - t0) / 1000);
}

async function samsaProduce(bootstrap: string, topic: string): Promise<number> {
  const client = new SamsaClient({ bootstrapServers: [bootstrap] });
  const producer = client.producer();
  const value = Buffer.alloc(RECORD_BYTES, 's');
  try {
    return await drive((n) => producer.send(topic, Array.from({ length: n }, () => ({ value }))));
  } finally {
    await client.close();
  }
}

async function kafkajsProduce(bootstrap: string, topic: string): Promise<number> {
  const producer = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).producer();
  const value = Buffer.alloc(RECORD_BYTES, 'k');
  try {
    return await drive(
      (n) => producer.send({ topic, acks: -1, messages: Array.from({ length: n }, () => ({ value })) }),
      () => producer.connect(),
    );
  } finally {
    await producer.disconnect();
  }
}

/** A consume round: records/s over the whole round, and where its time went. */
interface ConsumeRound {
  rate: number;
  /** From before connecting to the first record handed over: connect, join, assignment, first fetch. */
  firstRecordMs: number;
  /** Records/s from the first record to the last. */
  streamRate: number;
  /** Mark-compact collections during the round. */
  markCompacts: number;
  /** Minor page faults of the process during the round (fresh memory the kernel had to map). */
  pageFaults: number;
}

/** Mark-compact collections so far, counted while `run` runs. */
let markCompacts = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) markCompacts++;
});

/** Counts records handed over from `t0`; `done` once `total` have been. */
function consumeTimer(total: number) {
  const t0 = performance.now();
  const gc0 = markCompacts;
  const faults0 = process.resourceUsage().minorPageFault;
  let n = 0;
  let first = 0;
  return {
    /** Adds a batch's records; true once `total` are in. */
    add(count: number): boolean {
      if (n === 0) first = performance.now();
      n += count;
      return n >= total;
    },
    done(): ConsumeRound {
      const end = performance.now();
      return { rate: n / ((end - t0) / 1000), firstRecordMs: first - t0, streamRate: n / ((end - first) / 1000), markCompacts: markCompacts - gc0, pageFaults: process.resourceUsage().minorPageFault - faults0 };
    },
  };
}

/** Reads `total` records from the beginning in a new group. */
async function samsaConsume(bootstrap: string, topic: string, total: number, group: string): Promise<ConsumeRound> {
  const client = new SamsaClient({ bootstrapServers: [bootstrap] });
  const consumer = client.consumer({ groupId: group, autoOffsetReset: 'earliest', maxWaitMs: 100, heartbeatIntervalMs: 1000 });
  consumer.subscribe(topic);
  const timer = consumeTimer(total);
  try {
    for await (const batch of consumer.batches()) if (timer.add(batch.length)) break;
    return timer.done();
  } finally {
    await client.close();
  }
}

async function kafkajsConsume(bootstrap: string, topic: string, total: number, group: string): Promise<ConsumeRound> {
  const consumer = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: group, maxWaitTimeInMs: 100 });
  // Timed from before connecting, as Samsa's consumer is (it connects on its first use, inside its timing).
  const timer = consumeTimer(total);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          if (timer.add(batch.messages.length)) resolve();
        },
      });
    });
    return timer.done();
  } finally {
    await consumer.disconnect();
  }
}

const best = (a: ConsumeRound | undefined, b: ConsumeRound): ConsumeRound => (a && a.rate >= b.rate ? a : b);

const row = (label: string, samsa: number, kafkajs: number) =>
  console.log(`| ${label} | ${Math.round(samsa).toLocaleString('en-US')} | ${Math.round(kafkajs).toLocaleString('en-US')} | ${(samsa / kafkajs).toFixed(2)}x |`);

export default async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-client-'));
  const { child, port } = await spawnBroker(dir, ['-o', 'group.initial.rebalance.delay.ms=0']);
  const bootstrap = `127.0.0.1:${port}`;
  const admin = new SamsaClient({ bootstrapServers: [bootstrap] });
  const split: string[] = [];
  gcObserver.observe({ entryTypes: ['gc'] });
  try {
    // The broker creates __consumer_offsets on its first FindCoordinator: here, not in a timed round.
    await admin.admin().describeGroup('bench-setup');
    console.log(`\n## Samsa client vs kafkajs (1 KiB records, acks=all, ${RECORDS.toLocaleString('en-US')} records per produce round, best of ${ROUNDS} alternating rounds)`);
    console.log('| case | Samsa records/s | kafkajs records/s | Samsa / kafkajs |');
    console.log('|---|---|---|---|');
    for (const partitions of [1, 8]) {
      const topic = `bench-${partitions}`;
      await admin.admin().createTopics([{ name: topic, partitions }]);
      let s = 0;
      let k = 0;
      for (let r = 0; r < ROUNDS; r++) {
        s = Math.max(s, await samsaProduce(bootstrap, topic));
        k = Math.max(k, await kafkajsProduce(bootstrap, topic));
      }
      row(`produce, ${partitions} partition(s)`, s, k);
      const total = RECORDS * ROUNDS * 2;
      let sc: ConsumeRound | undefined;
      let kc: ConsumeRound | undefined;
      for (let r = 0; r < ROUNDS; r++) {
        sc = best(sc, await samsaConsume(bootstrap, topic, total, `samsa-${partitions}-${r}`));
        kc = best(kc, await kafkajsConsume(bootstrap, topic, total, `kafkajs-${partitions}-${r}`));
      }
      row(`consume ${total.toLocaleString('en-US')} records, ${partitions} partition(s)`, sc!.rate, kc!.rate);
      const ms = (c: ConsumeRound) => c.firstRecordMs.toFixed(1);
      const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
      const rate = (c: ConsumeRound) => thousands(c.streamRate);
      split.push(`| consume, ${partitions} partition(s) | ${ms(sc!)} / ${ms(kc!)} | ${rate(sc!)} / ${rate(kc!)} | ${(sc!.streamRate / kc!.streamRate).toFixed(2)}x | ${sc!.markCompacts} / ${kc!.markCompacts} | ${thousands(sc!.pageFaults)} / ${thousands(kc!.pageFaults)} |`);
    }
    console.log('\n### The kept consume rounds split: fixed cost, then the record stream (Samsa / kafkajs)');
    console.log('| case | ms to the first record | records/s after it | ratio after it | mark-compacts in the round | minor page faults in the round |');
    console.log('|---|---|---|---|---|---|');
    for (const line of split) console.log(line);
  } finally {
    gcObserver.disconnect();
    await admin.close();
    await stopBroker(child);
    await rm(dir, { recursive: true, force: true });
  }
}
