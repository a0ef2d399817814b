/**
 * Transactional produce against idempotent (non-transactional) produce, with Samsa's client and
 * one `samsa broker` child process in the same run: 1 KiB records to an 8-partition topic,
 * acks=all, no compression, sends of 100 records. The baseline is one idempotent producer with up
 * to 8 sends in flight (each waits for the producer's linger of 5 ms, Kafka 4's default, unless
 * more is queued). A transactional producer runs one transaction after the other (as one
 * transactional.id must) of 100 or 1,000 records: its sends are queued without waiting for each,
 * then `commit()` flushes them at once (no linger) and commits, as an application with Java's
 * send() futures does. A transaction of 100 records is one send, so one producer cannot keep 8
 * in flight; the same concurrency is 8 transactional producers (8 transactional ids, as an
 * application with one per input partition has). Rounds alternate between the cases and the best
 * of each is kept, so a noisy neighbour hurts all alike. Commit latency is the time `commit()`
 * takes (the flush of the queued sends, then EndTxn, answered once PrepareCommit is durable; the
 * markers follow), over the transactions of the best round.
 *
 *   npm run bench -- transactions     BENCH_RECORDS=100000 per case by default
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SamsaClient } from '../src/client/index.js';
import { spawnBroker, stopBroker } from './broker-process.js';

const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 100_000);
const RECORD_BYTES = 1024;
const SEND_RECORDS = 100;
const IN_FLIGHT = 8;
const ROUNDS = 2;
const PARTITIONS = 8;

/** Sends `count` records as sends of SEND_RECORDS, IN_FLIGHT at a time. */
async function sendAll(send: (n: number) => Promise<unknown>, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(IN_FLIGHT, Math.ceil(count / SEND_RECORDS)) }, async () => {
      while (next < count) {
        const n = Math.min(SEND_RECORDS, count - next);
        next += n;
        await send(n);
      }
    }),
  );
}

async function idempotent(bootstrap: string, topic: string): Promise<number> {
  const client = new SamsaClient({ bootstrapServers: [bootstrap] });
  const producer = client.producer();
  const value = Buffer.alloc(RECORD_BYTES, 'i');
  try {
    const t0 = performance.now();
    await sendAll((n) => producer.send(topic, Array.from({ length: n }, () => ({ value }))), RECORDS);
    return RECORDS / ((performance.now() - t0) / 1000);
  } finally {
    await client.close();
  }
}

/** `producers` transactional producers, together RECORDS records in transactions of `perTxn`. */
async function transactional(bootstrap: string, topic: string, perTxn: number, producers: number, id: string): Promise<{ rate: number; commitMs: number[] }> {
  const client = new SamsaClient({ bootstrapServers: [bootstrap] });
  const value = Buffer.alloc(RECORD_BYTES, 't');
  const commitMs: number[] = [];
  try {
    const all = Array.from({ length: producers }, (_, i) => client.producer({ transactionalId: `${id}-${i}` }));
    // The first transaction initializes the transactional id: not timed.
    for (const producer of all) {
      const first = await producer.transaction();
      await first.send(topic, [{ value }]);
      await first.commit();
    }
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      all.map(async (producer) => {
        while (next < RECORDS) {
          const count = Math.min(perTxn, RECORDS - next);
          next += count;
          const txn = await producer.transaction();
          // As an application does (Java's send() returns a future): sends queued, then commit, which flushes them at once.
          const sends = Array.from({ length: Math.ceil(count / SEND_RECORDS) }, (_, i) => txn.send(topic, Array.from({ length: Math.min(SEND_RECORDS, count - i * SEND_RECORDS) }, () => ({ value }))));
          const c0 = performance.now();
          await txn.commit();
          commitMs.push(performance.now() - c0);
          await Promise.all(sends);
        }
      }),
    );
    return { rate: RECORDS / ((performance.now() - t0) / 1000), commitMs };
  } finally {
    await client.close();
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const CASES = [
  { perTxn: 100, producers: 1 },
  { perTxn: 100, producers: 8 },
  { perTxn: 1000, producers: 1 },
];

export default async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-txn-'));
  const { child, port } = await spawnBroker(dir);
  const bootstrap = `127.0.0.1:${port}`;
  const admin = new SamsaClient({ bootstrapServers: [bootstrap] });
  try {
    await admin.admin().createTopics([{ name: 'bench-idempotent', partitions: PARTITIONS }, ...CASES.map((c) => ({ name: `bench-txn-${c.perTxn}-${c.producers}`, partitions: PARTITIONS }))]);
    let base = 0;
    const best = new Map<(typeof CASES)[number], { rate: number; commitMs: number[] }>();
    for (let r = 0; r < ROUNDS; r++) {
      base = Math.max(base, await idempotent(bootstrap, 'bench-idempotent'));
      for (const c of CASES) {
        const m = await transactional(bootstrap, `bench-txn-${c.perTxn}-${c.producers}`, c.perTxn, c.producers, `bench-${c.perTxn}-${c.producers}-${r}`);
        if (m.rate > (best.get(c)?.rate ?? 0)) best.set(c, m);
      }
    }
    console.log(`\n## Transactional vs idempotent produce (Samsa client, 1 KiB records, acks=all, ${PARTITIONS} partitions, sends of ${SEND_RECORDS} records up to ${IN_FLIGHT} in flight (idempotent) or queued and flushed by commit() (transactional), ${fmt(RECORDS)} records per case, best of ${ROUNDS} alternating rounds)`);
    console.log('| case | records/s | MB/s | vs idempotent | commit() median | commit() p99 |');
    console.log('|---|---|---|---|---|---|');
    console.log(`| idempotent, 1 producer, no transactions | ${fmt(base)} | ${((base * RECORD_BYTES) / 1e6).toFixed(1)} | 1.00x | - | - |`);
    for (const c of CASES) {
      const m = best.get(c)!;
      const sorted = [...m.commitMs].sort((a, b) => a - b);
      console.log(`| transactions of ${fmt(c.perTxn)} records, ${c.producers} producer(s) | ${fmt(m.rate)} | ${((m.rate * RECORD_BYTES) / 1e6).toFixed(1)} | ${(m.rate / base).toFixed(2)}x | ${pct(sorted, 0.5).toFixed(2)} ms | ${pct(sorted, 0.99).toFixed(2)} ms |`);
    }
  } finally {
    await admin.close();
    await stopBroker(child);
    await rm(dir, { recursive: true, force: true });
  }
}
