/**
 * The Java consumer's fetch pattern on the raw protocol, against a `samsa broker` child process:
 * what kafka-clients 2.1-3.x does with its defaults, reproduced so that it runs without a JVM.
 *
 * - Fetch v12 (BENCH_FETCH_VERSION; the Java client 2.1 sends v10, 3.x v12-v13), with an
 *   incremental fetch session (KIP-227) as Java's FetchSessionHandler keeps it: a full request
 *   opens the session; later requests send only the partitions that are new or whose fetch offset
 *   moved, and forget the session's partitions that are not fetchable now;
 * - fetch.min.bytes=1, fetch.max.wait.ms=500, max.partition.fetch.bytes=1 MiB,
 *   fetch.max.bytes=50 MiB, one fetch in flight;
 * - a partition is fetchable only once the records of the previous response for it have all
 *   been returned by poll (max.poll.records=500 each, records decoded and their CRC checked as
 *   the Java consumer does), so with one partition the next fetch leaves only once the previous
 *   response is parsed, and with eight the fetches carry the partitions drained so far.
 *
 * Printed for 1 and 8 partitions of 100 B records: records/s and MB/s; fetch round trips (p50,
 * p99, max); broker CPU-seconds per million records; how busy the broker was while the consumer
 * waited on it; and two checks of "the broker is never idle while a fetch waits with data
 * available": fetches answered with no records although every partition they named had records
 * at that offset, and fetches that took longer than 100 ms (the broker held them in its purgatory).
 * Baselines measured in the same run: the same pattern without a session (full fetches), and a
 * bare 1 MiB request/response ping-pong over loopback TCP (the transfer ceiling of the pattern).
 *
 *   npm run bench -- java-consumer-fetch       BENCH_RECORDS (per partition of the 1-partition topic, default 2,000,000)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { BrokerConnection } from '../src/client/broker-connection.js';
import { systemClock } from '../src/common/clock.js';
import { nodeNetwork } from '../src/network/network.js';
import { ErrorCode } from '../src/protocol/error-codes.js';
import { FetchApi } from '../src/protocol/messages/index.js';
import { computeBatchCrc, decodeRecordBatch, iterateBatches, readBatchHeader } from '../src/protocol/records/index.js';
import { FetchSessionClient } from '../test/helpers/fetch-session-client.js';
import { spawnBroker, stopBroker } from './broker-process.js';
import { cpuSeconds, createTopic, fillTopic, quantile } from './broker-support.js';

const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 2_000_000);
const VERSION = Number(process.env['BENCH_FETCH_VERSION'] ?? 12);
const RECORD_BYTES = 100;
const PARTITION_MAX_BYTES = 1 << 20;
const MAX_POLL_RECORDS = 500;
const SLOW_FETCH_MS = 100;

interface ConsumeResult {
  records: number;
  bytes: number;
  seconds: number;
  fetches: number;
  rtts: number[];
  brokerCpu: number;
  emptyWithData: number;
  slowWithData: number;
  forgotten: number;
}

/** Records a response brought for one partition, consumed 500 at a time by poll. */
interface Buffered {
  records: Buffer;
  spans: { position: number; size: number }[];
  next: number;
  fromOffset: bigint;
}

async function consume(port: number, pid: number, topic: string, partitions: number, ends: bigint[], useSessions: boolean): Promise<ConsumeResult> {
  const conn = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'java-pattern', clock: systemClock, network: nodeNetwork });
  const session = new FetchSessionClient(useSessions);
  const position = ends.map(() => 0n);
  const buffered = new Map<number, Buffered>();
  const total = ends.reduce((n, e) => n + Number(e), 0);
  const r: ConsumeResult = { records: 0, bytes: 0, seconds: 0, fetches: 0, rtts: [], brokerCpu: 0, emptyWithData: 0, slowWithData: 0, forgotten: 0 };
  let inFlight: Promise<void> | undefined;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();

  const sendFetch = (next: Map<number, bigint>) => {
    const targets = [...next].map(([partition, fetchOffset]) => ({ topic, partition, fetchOffset, maxBytes: PARTITION_MAX_BYTES }));
    const { request, forgotten } = session.build(targets, { maxWaitMs: 500, minBytes: 1, maxBytes: 50 << 20 });
    r.forgotten += forgotten.length;
    const sentAt = performance.now();
    inFlight = conn.send(FetchApi, request, { version: VERSION }).then((res) => {
      const rtt = performance.now() - sentAt;
      r.fetches++;
      r.rtts.push(rtt);
      session.handleResponse(res.errorCode, res.sessionId);
      if (res.errorCode !== ErrorCode.NONE) throw new Error(`fetch error ${res.errorCode}`);
      let gotRecords = false;
      for (const t of res.responses) {
        for (const p of t.partitions) {
          if (p.errorCode !== ErrorCode.NONE) throw new Error(`partition ${p.partitionIndex}: error ${p.errorCode}`);
          const records = p.records;
          if (!records || records.length === 0) continue;
          const spans: Buffered['spans'] = [];
          for (const s of iterateBatches(records)) if (s.complete) spans.push({ position: s.position, size: s.sizeInBytes });
          if (spans.length === 0) continue;
          gotRecords = true;
          buffered.set(p.partitionIndex, { records, spans, next: 0, fromOffset: position[p.partitionIndex]! });
        }
      }
      const withData = [...next].every(([p, o]) => o < ends[p]!);
      if (withData && !gotRecords) r.emptyWithData++;
      if (withData && rtt > SLOW_FETCH_MS) r.slowWithData++;
      inFlight = undefined;
    });
  };

  // The poll loop: return up to 500 records, then send a fetch for the partitions with nothing buffered.
  while (r.records < total) {
    let budget = MAX_POLL_RECORDS;
    for (const [p, b] of buffered) {
      while (budget > 0 && b.next < b.spans.length) {
        const { position: pos, size } = b.spans[b.next++]!;
        if (computeBatchCrc(b.records, pos, size) !== readBatchHeader(b.records, pos).crc) throw new Error('CRC mismatch');
        const batch = await decodeRecordBatch(b.records, pos, { maxUncompressedBytes: 1 << 24 });
        for (const rec of batch.records) {
          if (rec.offset < position[p]!) continue;
          position[p] = rec.offset + 1n;
          r.records++;
          r.bytes += rec.value?.length ?? 0;
          budget--;
        }
      }
      if (b.next >= b.spans.length) buffered.delete(p);
      if (budget <= 0) break;
    }
    if (!inFlight) {
      const next = new Map<number, bigint>();
      for (let p = 0; p < partitions; p++) if (!buffered.has(p) && position[p]! < ends[p]!) next.set(p, position[p]!);
      if (next.size > 0) sendFetch(next);
    }
    // Java's poll runs the network client between rounds: let the socket be read.
    if (buffered.size === 0 && inFlight) await inFlight;
    else await yieldToIo();
  }
  r.seconds = (performance.now() - t0) / 1000;
  r.brokerCpu = cpuSeconds(pid) - cpu0;
  conn.close();
  return r;
}

/** A sink that answers each 4-byte request with that many MiB: the loopback ceiling of ping-pong fetching. */
async function pingPongMbps(rounds: number): Promise<number> {
  const server = spawn(
    process.execPath,
    ['-e', "const b=Buffer.alloc(1<<20,7);require('net').createServer({noDelay:true},s=>{let a=Buffer.alloc(0);s.on('data',d=>{a=Buffer.concat([a,d]);while(a.length>=4){const n=a.readInt32BE(0);a=a.subarray(4);for(let i=0;i<n;i++)s.write(b)}})}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  const s = connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise((resolve) => s.once('connect', resolve));
  let want = 0;
  let waiter: (() => void) | undefined;
  s.on('data', (d: Buffer) => {
    want -= d.length;
    if (want <= 0 && waiter) waiter();
  });
  const req = Buffer.alloc(4);
  req.writeInt32BE(1);
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    want = 1 << 20;
    await new Promise<void>((resolve) => {
      waiter = resolve;
      s.write(req);
    });
  }
  const seconds = (performance.now() - t0) / 1000;
  s.destroy();
  server.kill();
  return (rounds * (1 << 20)) / seconds / 1e6;
}

function line(label: string, r: ConsumeResult): string {
  const rtts = [...r.rtts].sort((a, b) => a - b);
  const busy = (r.brokerCpu / r.seconds) * 100;
  return (
    `${label.padEnd(34)} ${Math.round(r.records / r.seconds).toLocaleString('en-US').padStart(10)} records/s ${(r.bytes / r.seconds / 1e6).toFixed(1).padStart(6)} MB/s | ` +
    `${r.fetches} fetches, round trip p50 ${quantile(rtts, 0.5).toFixed(2)} p99 ${quantile(rtts, 0.99).toFixed(2)} max ${rtts[rtts.length - 1]!.toFixed(1)} ms | ` +
    `broker ${((r.brokerCpu / r.records) * 1e6).toFixed(3)} CPU-s/M records, busy ${busy.toFixed(0)}% | ` +
    `empty with data ${r.emptyWithData}, >${SLOW_FETCH_MS} ms with data ${r.slowWithData}${r.forgotten ? `, forgotten ${r.forgotten}` : ''}`
  );
}

export default async function run(): Promise<void> {
  console.log(`\n## The Java consumer's fetch pattern (Fetch v${VERSION}, 1 MiB per partition, min 1 byte, max wait 500 ms, one fetch in flight; ${RECORD_BYTES} B records)`);
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-jfetch-'));
  const { child, port } = await spawnBroker(dir);
  const pid = child.pid!;
  try {
    const loopback = await pingPongMbps(300);
    console.log(`baseline  1 MiB request/response ping-pong over loopback TCP: ${loopback.toFixed(1)} MB/s (${Math.round((loopback * 1e6) / (RECORD_BYTES + 8)).toLocaleString('en-US')} records/s of ${RECORD_BYTES} B at the same bytes)`);
    for (const partitions of [1, 8]) {
      const topic = `jfetch-${partitions}`;
      const perPartition = Math.ceil(RECORDS / partitions);
      await createTopic(port, topic, partitions);
      await fillTopic(port, topic, partitions, perPartition, RECORD_BYTES);
      const ends = Array.from({ length: partitions }, () => BigInt(perPartition));
      // Warm-up: one pass with sessions, not reported.
      await consume(port, pid, topic, partitions, ends, true);
      const rounds: { session: ConsumeResult; sessionless: ConsumeResult }[] = [];
      for (let i = 0; i < 3; i++) {
        const session = await consume(port, pid, topic, partitions, ends, true);
        const sessionless = await consume(port, pid, topic, partitions, ends, false);
        rounds.push({ session, sessionless });
      }
      // The median round by session throughput.
      rounds.sort((a, b) => a.session.records / a.session.seconds - b.session.records / b.session.seconds);
      const mid = rounds[1]!;
      console.log(line(`${partitions} partition(s), session`, mid.session));
      console.log(line(`${partitions} partition(s), no session`, mid.sessionless));
      const ratio = mid.session.records / mid.session.seconds / (mid.sessionless.records / mid.sessionless.seconds);
      console.log(`  session / no session: ${ratio.toFixed(2)}x; session MB/s / loopback ping-pong: ${(mid.session.bytes / mid.session.seconds / 1e6 / loopback).toFixed(2)}x`);
    }
  } finally {
    await stopBroker(child);
    await rm(dir, { recursive: true, force: true });
  }
}
