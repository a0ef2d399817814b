/**
 * `samsa broker` start-up and memory, as a child process: spawn to the ready line on a fresh data
 * directory and on one holding 1,000 partitions (one record each), the idle RSS and open file
 * descriptors one second after ready in both, and the RSS under a sustained produce load.
 *
 * With BENCH_STARTUP_COMPARE=<another build's dist/> both builds are started alternately in the
 * same run (the machine's load then weighs on both alike) and each figure is printed for both.
 *
 *   npm run bench -- startup         BENCH_STARTUP_RUNS=7 starts per case and build
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProduceApi } from '../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch } from '../src/protocol/records/index.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { repoRoot } from '../test/helpers/repo-root.js';
import { createTopic, rssMb } from './broker-support.js';
import { spawnBroker, stopBroker } from './broker-process.js';

const RUNS = Number(process.env['BENCH_STARTUP_RUNS'] ?? 7);
const PARTITIONS = 1000;
const LOAD_SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);

interface Build {
  label: string;
  dist: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, ${xs.length} starts)`;
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** Writes one record into each of `partitions` partitions of `topic`, in one request. */
async function oneRecordEach(port: number, topic: string, partitions: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const records = encodeUncompressedRecordBatch({ records: [{ value: Buffer.alloc(100, 'x') }] });
    const res = await c.send(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: Array.from({ length: partitions }, (_, index) => ({ index, records })) }] });
    const failed = res.responses[0]!.partitionResponses.filter((p) => p.errorCode !== 0);
    if (failed.length > 0) throw new Error(`produce to ${topic}: ${failed.length} partitions failed (error ${failed[0]!.errorCode})`);
  } finally {
    c.close();
  }
}

/** Produces 64 x 1 KiB batches, 8 requests in flight, for `seconds`, sampling the broker's RSS; returns the largest sample. */
async function rssUnderLoad(port: number, pid: number, seconds: number): Promise<{ maxRss: number; mbps: number }> {
  await createTopic(port, 'load', 1);
  const records = encodeUncompressedRecordBatch({ records: Array.from({ length: 64 }, () => ({ value: Buffer.alloc(1024, 'x') })) });
  const c = await RawClient.connect(port);
  let maxRss = 0;
  let bytes = 0;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb(pid))), 100);
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  try {
    const one = async () => {
      while (performance.now() < end) {
        await c.send(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: 'load', partitionData: [{ index: 0, records }] }] });
        bytes += records.length;
      }
    };
    await Promise.all(Array.from({ length: 8 }, one));
  } finally {
    clearInterval(sampler);
    c.close();
  }
  maxRss = Math.max(maxRss, rssMb(pid));
  return { maxRss, mbps: bytes / 1e6 / ((performance.now() - t0) / 1000) };
}

export default async function startupBench(): Promise<void> {
  const builds: Build[] = [{ label: 'this build', dist: join(repoRoot(), 'dist') }];
  const other = process.env['BENCH_STARTUP_COMPARE'];
  if (other) builds.push({ label: `${other}`, dist: other });
  const fresh = new Map<Build, number[]>(builds.map((b) => [b, []]));
  const many = new Map<Build, number[]>(builds.map((b) => [b, []]));
  const idle = new Map<Build, string>();
  const idleMany = new Map<Build, string>();
  const dirs = new Map<Build, string>();
  try {
    // Fresh data directories, the builds alternating.
    for (let i = 0; i < RUNS; i++) {
      for (const b of builds) {
        const d = await mkdtemp(join(tmpdir(), 'samsa-bench-start-'));
        const s = await spawnBroker(d, [], b.dist);
        fresh.get(b)!.push(s.readyMs);
        if (i === RUNS - 1) {
          await sleep(1000);
          idle.set(b, `RSS ${rssMb(s.child.pid!).toFixed(1)} MB, ${fds(s.child.pid!)} open fds`);
        }
        await stopBroker(s.child);
        await rm(d, { recursive: true, force: true });
      }
    }
    // A data directory of 1,000 partitions per build (each written by its own build).
    for (const b of builds) {
      const d = await mkdtemp(join(tmpdir(), 'samsa-bench-many-'));
      dirs.set(b, d);
      const s = await spawnBroker(d, [], b.dist);
      await createTopic(s.port, 'many', PARTITIONS);
      await oneRecordEach(s.port, 'many', PARTITIONS);
      await stopBroker(s.child);
    }
    for (let i = 0; i < RUNS; i++) {
      for (const b of builds) {
        const s = await spawnBroker(dirs.get(b)!, [], b.dist);
        many.get(b)!.push(s.readyMs);
        if (i === RUNS - 1) {
          await sleep(1000);
          idleMany.set(b, `RSS ${rssMb(s.child.pid!).toFixed(1)} MB, ${fds(s.child.pid!)} open fds`);
        }
        await stopBroker(s.child);
      }
    }
    for (const b of builds) {
      console.log(`startup   ${b.label}: spawn to ready, fresh data dir:           ${range(fresh.get(b)!)}`);
      console.log(`startup   ${b.label}: spawn to ready, ${PARTITIONS.toLocaleString('en-US')} partitions:        ${range(many.get(b)!)}`);
      console.log(`memory    ${b.label}: idle 1 s after ready, fresh:             ${idle.get(b)}`);
      console.log(`memory    ${b.label}: idle 1 s after ready, ${PARTITIONS.toLocaleString('en-US')} partitions:   ${idleMany.get(b)}`);
    }
    // RSS under a sustained load (this build only: it is a bound, not a comparison).
    const d = await mkdtemp(join(tmpdir(), 'samsa-bench-load-'));
    const s = await spawnBroker(d);
    try {
      const r = await rssUnderLoad(s.port, s.child.pid!, LOAD_SECONDS);
      console.log(`memory    under ${LOAD_SECONDS} s of produce (1 KiB records, 64 a batch, 8 in flight, ${r.mbps.toFixed(0)} MB/s): RSS at most ${r.maxRss.toFixed(1)} MB`);
    } finally {
      await stopBroker(s.child);
      await rm(d, { recursive: true, force: true });
    }
  } finally {
    for (const d of dirs.values()) await rm(d, { recursive: true, force: true });
  }
}
