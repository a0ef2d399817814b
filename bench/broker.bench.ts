/**
 * The single-node broker under load from a lean, pipelined protocol client (no batching cost on
 * the client side: batches are encoded once, requests are pipelined on several connections).
 * The broker runs as a `samsa broker` child process, so it has a core of its own.
 *
 * Printed next to two baselines measured in the same run: loopback TCP to a sink process, and
 * the storage engine's own append rate for the same batches. Also produce-to-consume latency at a
 * fixed moderate rate, startup time to ready, and idle memory.
 *
 *   npm run bench -- broker          BENCH_SECONDS=5 by default per throughput case
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_LOG_CONFIG, LogManager } from '../src/log/index.js';
import { CreateTopicsApi, DeleteTopicsApi, FetchApi, ProduceApi } from '../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch, iterateBatches } from '../src/protocol/records/index.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { spawnBroker, stopBroker } from './broker-process.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const RECORD_BYTES = 1024;
const RECORDS_PER_BATCH = 64;
const CONNECTIONS = 4;
const WINDOW = 8;

interface Rate {
  mbps: number;
  recordsPerSec: number;
}

const fmt = (r: Rate) => `${r.mbps.toFixed(1)} MB/s, ${Math.round(r.recordsPerSec).toLocaleString('en-US')} records/s`;

function batch(): Buffer {
  const value = Buffer.alloc(RECORD_BYTES, 'x');
  return encodeUncompressedRecordBatch({ records: Array.from({ length: RECORDS_PER_BATCH }, () => ({ value })) });
}

/** Loopback TCP: one connection writing 1 MiB chunks into a sink process. */
async function loopbackRate(): Promise<number> {
  const sink = spawn(process.execPath, ['-e', "require('net').createServer(s=>s.on('data',()=>{})).listen(0,'127.0.0.1',function(){console.log(this.address().port)})"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((r) => sink.stdout!.once('data', (d) => r(Number(String(d).trim()))));
  const s = connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const chunk = Buffer.alloc(1 << 20, 1);
  let bytes = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  while (performance.now() < end) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
    bytes += chunk.length;
  }
  const elapsed = (performance.now() - t0) / 1000;
  s.destroy();
  sink.kill();
  return bytes / elapsed / 1e6;
}

/** The storage engine alone: the same batches appended to one partition log, 8 in flight. */
async function storageRate(fsync: boolean): Promise<Rate> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-log-'));
  const logs = await LogManager.open({ dataDir: dir, defaults: { ...DEFAULT_LOG_CONFIG, fsyncBeforeAck: fsync }, cleaner: false });
  const log = await logs.createLog('bench', 0);
  const b = batch();
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (performance.now() < end) {
        await log.append(Buffer.from(b));
        n++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  await logs.close();
  await rm(dir, { recursive: true, force: true });
  return { mbps: (n * b.length) / elapsed / 1e6, recordsPerSec: (n * RECORDS_PER_BATCH) / elapsed };
}

async function createTopic(port: number, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const c = await RawClient.connect(port);
  const res = await c.send(CreateTopicsApi, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }], timeoutMs: 5000, validateOnly: false });
  c.close();
  if (res.topics[0]!.errorCode !== 0) throw new Error(`create ${name}: ${res.topics[0]!.errorMessage}`);
}

async function deleteTopic(port: number, name: string): Promise<void> {
  const c = await RawClient.connect(port);
  const res = await c.send(DeleteTopicsApi, 4, { topicNames: [name], timeoutMs: 30000 });
  c.close();
  if (res.responses[0]!.errorCode !== 0) throw new Error(`delete ${name}: ${res.responses[0]!.errorMessage}`);
}

/** CONNECTIONS connections, WINDOW requests in flight on each, one batch per partition per request. */
async function produceRate(port: number, topic: string, partitions: number, acks: number, seconds = SECONDS): Promise<Rate> {
  const b = batch();
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawClient.connect(port)));
  let batches = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const request = () => ({ acks, timeoutMs: 30000, topicData: [{ name: topic, partitionData: Array.from({ length: partitions }, (_, index) => ({ index, records: b })) }] });
  await Promise.all(
    clients.flatMap((c) =>
      Array.from({ length: WINDOW }, async () => {
        while (performance.now() < end) {
          const res = await c.send(ProduceApi, 9, request());
          for (const p of res.responses[0]!.partitionResponses) if (p.errorCode !== 0) throw new Error(`produce error ${p.errorCode}`);
          batches += partitions;
        }
      }),
    ),
  );
  const elapsed = (performance.now() - t0) / 1000;
  for (const c of clients) c.close();
  return { mbps: (batches * b.length) / elapsed / 1e6, recordsPerSec: (batches * RECORDS_PER_BATCH) / elapsed };
}

/** One consumer connection reading every partition from offset 0 to the end. */
async function fetchRate(port: number, topic: string, partitions: number): Promise<Rate> {
  const c = await RawClient.connect(port);
  const offsets = new Array<bigint>(partitions).fill(0n);
  let bytes = 0;
  let records = 0;
  const t0 = performance.now();
  for (let more = true; more; ) {
    const res = await c.send(FetchApi, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 32 << 20, topics: [{ topic, partitions: offsets.map((fetchOffset, partition) => ({ partition, fetchOffset, partitionMaxBytes: 4 << 20 })) }] });
    more = false;
    for (const p of res.responses[0]!.partitions) {
      if (!p.records || p.records.length === 0) continue;
      more = true;
      for (const span of iterateBatches(p.records)) {
        if (!span.complete) break;
        offsets[p.partitionIndex] = span.header.baseOffset + BigInt(span.header.lastOffsetDelta) + 1n;
        bytes += span.sizeInBytes;
        records += span.header.recordCount;
      }
    }
  }
  const elapsed = (performance.now() - t0) / 1000;
  c.close();
  return { mbps: bytes / elapsed / 1e6, recordsPerSec: records / elapsed };
}

/** One record every millisecond; a long-poll consumer; latency from send to fetch. */
async function latency(port: number, topic: string): Promise<{ p50: number; p99: number; n: number }> {
  const producer = await RawClient.connect(port);
  const consumer = await RawClient.connect(port);
  const sentAt = new Map<number, number>();
  const samples: number[] = [];
  let stop = false;
  const consume = (async () => {
    let offset = 0n;
    while (!stop) {
      const res = await consumer.send(FetchApi, 12, { maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }] });
      const now = performance.now();
      const p = res.responses[0]!.partitions[0]!;
      if (!p.records) continue;
      for (const span of iterateBatches(p.records)) {
        if (!span.complete) break;
        // The record's value ends 1 byte before the batch (its header count, a 0 varint, follows).
        const seq = p.records.readUInt32BE(span.position + span.sizeInBytes - 5);
        const t = sentAt.get(seq);
        if (t !== undefined) samples.push(now - t);
        offset = span.header.baseOffset + BigInt(span.header.lastOffsetDelta) + 1n;
      }
    }
  })();
  const end = performance.now() + SECONDS * 1000;
  for (let seq = 0; performance.now() < end; seq++) {
    const value = Buffer.alloc(100);
    value.writeUInt32BE(seq, 96);
    const records = encodeUncompressedRecordBatch({ records: [{ value }] });
    sentAt.set(seq, performance.now());
    void producer.send(ProduceApi, 9, { acks: 1, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    await sleep(1);
  }
  stop = true;
  await consume;
  producer.close();
  consumer.close();
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), n: samples.length };
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

export default async function run(): Promise<void> {
  console.log(`\n## Broker (1 KiB records, ${RECORDS_PER_BATCH}-record batches, ${CONNECTIONS} connections x ${WINDOW} in flight, ${SECONDS} s per case)`);
  const loopback = await loopbackRate();
  const storage = await storageRate(false);
  const storageFsync = await storageRate(true);
  console.log(`baseline  loopback TCP                  ${loopback.toFixed(1)} MB/s`);
  console.log(`baseline  storage engine append         ${fmt(storage)}`);
  console.log(`baseline  storage engine append, fsync  ${fmt(storageFsync)}`);

  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-broker-'));
  const { child, port } = await spawnBroker(dir);
  try {
    // Warm up the broker's JIT so the first case does not pay for it.
    await createTopic(port, 'warmup', 1);
    await produceRate(port, 'warmup', 1, 1);
    await deleteTopic(port, 'warmup');
    for (const partitions of [1, 8]) {
      // Each case writes gigabytes: a fresh topic per case, deleted after it, so that no case runs
      // behind the page cache writeback of the one before (the storage baseline starts fresh too).
      for (const [label, acks, configs] of [['acks=1', 1, {}], ['acks=all', -1, {}], ['acks=all, fsync before ack', -1, { 'samsa.fsync.before.ack': 'true' }]] as const) {
        const topic = `p${partitions}-${acks}-${Object.keys(configs).length}`;
        await createTopic(port, topic, partitions, configs);
        const r = await produceRate(port, topic, partitions, acks);
        const base = label.includes('fsync') ? storageFsync : storage;
        console.log(`produce   ${partitions} partition(s), ${label.padEnd(26)} ${fmt(r)}  (${((r.mbps / base.mbps) * 100).toFixed(0)}% of storage append, ${((r.mbps / loopback) * 100).toFixed(0)}% of loopback)`);
        if (label === 'acks=1') {
          const f = await fetchRate(port, topic, partitions);
          console.log(`fetch     ${partitions} partition(s)                            ${fmt(f)}  (${((f.mbps / loopback) * 100).toFixed(0)}% of loopback)`);
        }
        await deleteTopic(port, topic);
      }
    }
    await createTopic(port, 'latency', 1);
    const l = await latency(port, 'latency');
    console.log(`latency   produce -> consume at 1,000 records/s: p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms (${l.n} samples)`);
  } finally {
    await stopBroker(child);
    await rm(dir, { recursive: true, force: true });
  }

  const starts: number[] = [];
  let idleRss = 0;
  for (let i = 0; i < 5; i++) {
    const d = await mkdtemp(join(tmpdir(), 'samsa-bench-start-'));
    const b = await spawnBroker(d);
    starts.push(b.readyMs);
    if (i === 4) {
      await sleep(1000);
      idleRss = rssMb(b.child.pid!);
    }
    await stopBroker(b.child);
    await rm(d, { recursive: true, force: true });
  }
  starts.sort((a, b) => a - b);
  console.log(`startup   process spawn to ready line, fresh data dir: median ${starts[2]!.toFixed(0)} ms (min ${starts[0]!.toFixed(0)}, max ${starts[4]!.toFixed(0)})`);
  console.log(`memory    idle broker RSS ${idleRss.toFixed(1)} MB`);
}
