/**
 * Samsa's client against kafkajs, both producing to and consuming from the same `samsa broker`
 * child process in one run: 1 KiB records, one and eight partitions, acks=all (both clients'
 * default; Samsa's producer is then idempotent, kafkajs's is not unless asked), no compression.
 * Each producer is driven the same way (sends of 1,000 records, up to 8 in flight); each consumer
 * joins a fresh group and reads the pre-produced records from the beginning. Both clients are
 * timed from before they connect (Samsa's connect on first use) to the last record. Rounds alternate
 * between the clients and the best of them is kept, so a noisy neighbour hurts both alike.
 *
 *   npm run bench -- client         BENCH_RECORDS=200000 per produce case by default
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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

/** Reads `total` records from the beginning in a new group; returns records/s. */
async function samsaConsume(bootstrap: string, topic: string, total: number, group: string): Promise<number> {
  const client = new SamsaClient({ bootstrapServers: [bootstrap] });
  const consumer = client.consumer({ groupId: group, autoOffsetReset: 'earliest', maxWaitMs: 100, heartbeatIntervalMs: 1000 });
  consumer.subscribe(topic);
  const t0 = performance.now();
  let n = 0;
  try {
    for await (const batch of consumer.batches()) if ((n += batch.length) >= total) break;
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await client.close();
  }
}

async function kafkajsConsume(bootstrap: string, topic: string, total: number, group: string): Promise<number> {
  const consumer = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: group, maxWaitTimeInMs: 100 });
  // Timed from before connecting, as Samsa's consumer is (it connects on its first use, inside its timing).
  const t0 = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let n = 0;
  try {
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          n += batch.messages.length;
          if (n >= total) resolve();
        },
      });
    });
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await consumer.disconnect();
  }
}

const row = (label: string, samsa: number, kafkajs: number) =>
  console.log(`| ${label} | ${Math.round(samsa).toLocaleString('en-US')} | ${Math.round(kafkajs).toLocaleString('en-US')} | ${(samsa / kafkajs).toFixed(2)}x |`);

export default async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-client-'));
  const { child, port } = await spawnBroker(dir, ['-o', 'group.initial.rebalance.delay.ms=0']);
  const bootstrap = `127.0.0.1:${port}`;
  const admin = new SamsaClient({ bootstrapServers: [bootstrap] });
  try {
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
      s = 0;
      k = 0;
      for (let r = 0; r < ROUNDS; r++) {
        s = Math.max(s, await samsaConsume(bootstrap, topic, total, `samsa-${partitions}-${r}`));
        k = Math.max(k, await kafkajsConsume(bootstrap, topic, total, `kafkajs-${partitions}-${r}`));
      }
      row(`consume ${total.toLocaleString('en-US')} records, ${partitions} partition(s)`, s, k);
    }
  } finally {
    await admin.close();
    await stopBroker(child);
    await rm(dir, { recursive: true, force: true });
  }
}
