/**
 * Bytes the broker allocates per request on the small-request paths of the latency benchmark
 * (bench/latency.bench.ts), measured rather than timed: a `samsa broker` child runs with
 * `--trace-gc-nvp`, and the `allocated=` of its scavenges summed over a phase, divided by the
 * phase's requests, is what one request costs the young generation (fewer bytes: fewer
 * scavenges, fewer requests that meet one). Requests are sent one at a time, so nothing else runs
 * in the broker meanwhile. A phase's edges are known to one scavenge (~1 MiB over thousands of
 * requests).
 *
 * Phases: produce of 60 records of 100 B (acks=1), of 1 record; a caught-up consumer's fetch
 * answered at once (incremental session, max wait 0); and the produce-to-consume pattern: a
 * consumer's long poll (incremental session, min 1 byte, max wait 500 ms) woken by a produce of 60
 * records, per pair — minus the produce alone, the fetch's share.
 *
 *   npm run bench -- request-alloc      BENCH_ALLOC_REQUESTS (default 4000 per phase);
 *   BENCH_COMPARE_DIST=<other build's dist/> measures that build's broker too, alternating.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerConnection } from '../src/client/broker-connection.js';
import { systemClock } from '../src/common/clock.js';
import { nodeNetwork } from '../src/network/network.js';
import { FetchApi, ProduceApi } from '../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch } from '../src/protocol/records/index.js';
import { FetchSessionClient } from '../test/helpers/fetch-session-client.js';
import { spawnBroker, stopBroker } from './broker-process.js';
import { createTopic } from './broker-support.js';

const REQUESTS = Number(process.env['BENCH_ALLOC_REQUESTS'] ?? 4000);
const COMPARE_DIST = process.env['BENCH_COMPARE_DIST'];

interface Traced {
  /** Bytes allocated before the last scavenge seen so far. */
  allocated: number;
  scavenges: number;
}

/** Bytes allocated in the young generation (and scavenges) while `f` runs; waits for the trailing scavenge. */
async function during(traced: Traced, f: () => Promise<number>): Promise<{ bytesPerRequest: number; scavengesPer1000: number }> {
  const a0 = traced.allocated;
  const s0 = traced.scavenges;
  const requests = await f();
  // The phase's last bytes are counted by the next scavenge: wait for one (bounded).
  const s1 = traced.scavenges;
  for (let i = 0; i < 200 && traced.scavenges === s1; i++) await sleep(5);
  return { bytesPerRequest: (traced.allocated - a0) / requests, scavengesPer1000: ((traced.scavenges - s0) / requests) * 1000 };
}

const batchOf = (n: number) => encodeUncompressedRecordBatch({ records: Array.from({ length: n }, () => ({ value: Buffer.alloc(100, 'x') })) });

async function produceOnly(port: number, topic: string, records: number, n: number): Promise<number> {
  const conn = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'alloc', clock: systemClock, network: nodeNetwork });
  const batch = batchOf(records);
  for (let i = 0; i < n; i++) await conn.send(ProduceApi, { acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }, { version: 9 });
  conn.close();
  return n;
}

/** A consumer's fetches at the log end, each answered at once (max wait 0). */
async function caughtUpFetches(port: number, topic: string, n: number): Promise<number> {
  const conn = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'alloc', clock: systemClock, network: nodeNetwork });
  const session = new FetchSessionClient();
  const ends = await conn.send(FetchApi, { maxWaitMs: 0, minBytes: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 0 }] }] }, { version: 12 });
  const offset = ends.responses[0]!.partitions[0]!.highWatermark;
  for (let i = 0; i < n; i++) {
    const built = session.build([{ topic, partition: 0, fetchOffset: offset, maxBytes: 1 << 20 }], { maxWaitMs: 0, minBytes: 1 });
    const res = await conn.send(FetchApi, built.request, { version: 12 });
    session.handleResponse(res.errorCode, res.sessionId);
  }
  conn.close();
  return n;
}

/** Pairs of a held long poll and the produce (60 records) that wakes it; returns the pairs. */
async function wokenFetches(port: number, topic: string, n: number): Promise<number> {
  const producer = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'alloc-p', clock: systemClock, network: nodeNetwork });
  const consumer = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'alloc-c', clock: systemClock, network: nodeNetwork });
  const session = new FetchSessionClient();
  const ends = await consumer.send(FetchApi, { maxWaitMs: 0, minBytes: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 0 }] }] }, { version: 12 });
  let offset = ends.responses[0]!.partitions[0]!.highWatermark;
  const batch = batchOf(60);
  for (let i = 0; i < n; i++) {
    const built = session.build([{ topic, partition: 0, fetchOffset: offset, maxBytes: 1 << 20 }], { maxWaitMs: 500, minBytes: 1 });
    const fetched = consumer.send(FetchApi, built.request, { version: 12 });
    // Let the fetch reach the broker and wait there (its first read finds nothing).
    await sleep(0);
    await producer.send(ProduceApi, { acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }, { version: 9 });
    const res = await fetched;
    session.handleResponse(res.errorCode, res.sessionId);
    const p = res.responses[0]?.partitions[0];
    if (p) offset = p.highWatermark;
  }
  producer.close();
  consumer.close();
  return n;
}

export default async function run(): Promise<void> {
  console.log(`\n## Broker bytes allocated per request (young generation, --trace-gc-nvp), ${REQUESTS} requests per phase, one at a time`);
  const builds = [{ label: 'this build', dist: undefined as string | undefined }, ...(COMPARE_DIST ? [{ label: 'compared', dist: COMPARE_DIST }] : [])];
  const rows = new Map<string, string[]>();
  for (let round = 0; round < 2; round++) {
    for (const build of builds) {
      const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-alloc-'));
      const { child, port } = await spawnBroker(dir, [], build.dist, ['--trace-gc-nvp']);
      const traced: Traced = { allocated: 0, scavenges: 0 };
      let partial = '';
      child.stdout!.on('data', (d: Buffer) => {
        const text = partial + String(d);
        const cut = text.lastIndexOf('\n') + 1;
        partial = text.slice(cut);
        for (const m of text.slice(0, cut).matchAll(/gc=s\b.*?allocated=(\d+)/g)) {
          traced.allocated += Number(m[1]);
          traced.scavenges++;
        }
      });
      try {
        await createTopic(port, 'alloc', 1);
        // Warm-up: V8 optimizes the paths first.
        await produceOnly(port, 'alloc', 60, 2000);
        await caughtUpFetches(port, 'alloc', 2000);
        await wokenFetches(port, 'alloc', 2000);
        const phases: [string, () => Promise<number>][] = [
          ['produce 60 records, acks=1', () => produceOnly(port, 'alloc', 60, REQUESTS)],
          ['produce 1 record, acks=1', () => produceOnly(port, 'alloc', 1, REQUESTS)],
          ['fetch at the log end, answered at once', () => caughtUpFetches(port, 'alloc', REQUESTS)],
          ['long poll woken by a produce of 60 (per pair)', () => wokenFetches(port, 'alloc', REQUESTS)],
        ];
        for (const [name, f] of phases) {
          const r = await during(traced, f);
          const key = `${name} [${build.label}]`;
          const cells = rows.get(key) ?? [];
          cells.push(`${(r.bytesPerRequest / 1024).toFixed(1)} KiB (${r.scavengesPer1000.toFixed(1)} scavenges per 1,000)`);
          rows.set(key, cells);
        }
      } finally {
        await stopBroker(child);
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  for (const [key, cells] of rows) console.log(`${key.padEnd(60)} ${cells.join('; ')}`);
}
