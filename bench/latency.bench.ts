/**
 * Latency at a steady rate, as Kafka's tools measure it, against a `samsa broker` child process:
 *
 * - send-to-ack (kafka-producer-perf-test --throughput 20000 with the Java producer's defaults:
 *   linger.ms=0, a batch per partition drained whenever a request can leave, at most 5 requests in
 *   flight): records of 100 B are due every 50 µs; each one's latency runs from the moment it was
 *   due to the moment its produce response arrived. acks=1 and acks=all, one partition;
 * - produce-to-consume (EndToEndLatency's measure, at the same steady rate): a consumer fetching
 *   as the Java consumer does (incremental session, min 1 byte, max wait 500 ms) reads each record;
 *   latency from due to read.
 *
 * The machine is shared and its scheduling noise lands in every percentile, so the same rate is
 * first sent to an echo server (a child process answering each request at once, no storage): the
 * floor any broker could reach here at that moment, printed beside each figure.
 *
 *   npm run bench -- latency       BENCH_SECONDS per case (default 10), BENCH_RATE (default 20000)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerConnection } from '../src/client/broker-connection.js';
import { systemClock } from '../src/common/clock.js';
import { nodeNetwork } from '../src/network/network.js';
import { FetchApi, ProduceApi } from '../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch, iterateBatches, readBatchHeader } from '../src/protocol/records/index.js';
import { FetchSessionClient } from '../test/helpers/fetch-session-client.js';
import { spawnBroker, stopBroker } from './broker-process.js';
import { cpuSeconds, createTopic, quantile } from './broker-support.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const RATE = Number(process.env['BENCH_RATE'] ?? 20_000);
const RECORD_BYTES = 100;
const MAX_IN_FLIGHT = 5;

interface Percentiles {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  n: number;
}

function percentiles(samples: number[]): Percentiles {
  const s = samples.sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), p999: quantile(s, 0.999), max: s[s.length - 1] ?? NaN, n: s.length };
}

const fmt = (p: Percentiles) => `p50 ${p.p50.toFixed(2)} / p99 ${p.p99.toFixed(2)} / p99.9 ${p.p999.toFixed(2)} / max ${p.max.toFixed(1)} ms`;

/**
 * Records due at RATE/s for SECONDS; whenever fewer than 5 requests are in flight, every record
 * due and not yet sent leaves in one request (Java's sender with linger.ms=0). `send` sends one
 * request of `values` and resolves when it is answered.
 */
async function steadyProducer(send: (values: Buffer[]) => Promise<void>, onAcked: (dueAt: number, now: number) => void): Promise<void> {
  const start = performance.now() + 20;
  const total = Math.floor(RATE * SECONDS);
  let next = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  while (next < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) / 1000) * RATE) + 1);
    if (due > next && inFlight < MAX_IN_FLIGHT) {
      const values: Buffer[] = [];
      const dueAts: number[] = [];
      for (; next < due; next++) {
        const dueAt = start + (next / RATE) * 1000;
        const v = Buffer.alloc(RECORD_BYTES, 'x');
        v.writeDoubleBE(dueAt, 0);
        values.push(v);
        dueAts.push(dueAt);
      }
      inFlight++;
      void send(values).then(() => {
        const t = performance.now();
        for (const d of dueAts) onAcked(d, t);
        inFlight--;
        wake?.();
      });
      continue;
    }
    // Sleep until the next record is due (or a response frees a slot); timers are 1 ms at best.
    const nextDue = start + (next / RATE) * 1000;
    const ms = inFlight >= MAX_IN_FLIGHT ? 1 : Math.max(0, nextDue - performance.now());
    await Promise.race([sleep(ms), new Promise<void>((r) => (wake = r))]);
  }
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
}

async function sendToAck(port: number, topic: string, acks: number): Promise<Percentiles> {
  const conn = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'latency', clock: systemClock, network: nodeNetwork });
  const samples: number[] = [];
  await steadyProducer(
    async (values) => {
      const records = encodeUncompressedRecordBatch({ records: values.map((value) => ({ value })) });
      const res = await conn.send(ProduceApi, { acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }, { version: 9 });
      if (res.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error('produce failed');
    },
    (dueAt, now) => samples.push(now - dueAt),
  );
  conn.close();
  return percentiles(samples);
}

async function endToEnd(port: number, topic: string): Promise<{ produce: Percentiles; e2e: Percentiles }> {
  const producer = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'e2e-producer', clock: systemClock, network: nodeNetwork });
  const consumer = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'e2e-consumer', clock: systemClock, network: nodeNetwork });
  const session = new FetchSessionClient();
  // Start at the log end.
  const ends = await consumer.send(FetchApi, { maxWaitMs: 0, minBytes: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 0 }] }] }, { version: 12 });
  let offset = ends.responses[0]!.partitions[0]!.highWatermark;
  const e2e: number[] = [];
  const produce: number[] = [];
  let stop = false;
  const reading = (async () => {
    while (!stop) {
      const built = session.build([{ topic, partition: 0, fetchOffset: offset, maxBytes: 1 << 20 }], { maxWaitMs: 500, minBytes: 1 });
      const res = await consumer.send(FetchApi, built.request, { version: 12 });
      const now = performance.now();
      session.handleResponse(res.errorCode, res.sessionId);
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const records = p.records;
          if (!records) continue;
          for (const span of iterateBatches(records)) {
            if (!span.complete) break;
            const h = readBatchHeader(records, span.position);
            // Each record: length, attributes, timestamp and offset deltas, key -1, value length, value (its first 8 bytes the due time).
            let pos = span.position + 61;
            for (let i = 0; i < h.recordCount; i++) {
              const start = pos;
              const [len, n] = varint(records, pos);
              pos += n;
              const valueAt = pos + len - RECORD_BYTES - 1;
              const dueAt = records.readDoubleBE(valueAt);
              // (The zero-filled record sent at the end only ends the last long poll.)
              if (h.baseOffset + BigInt(i) >= offset && dueAt > 0) e2e.push(now - dueAt);
              pos = start + n + len;
            }
            offset = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
          }
        }
      }
    }
  })();
  await steadyProducer(
    async (values) => {
      const records = encodeUncompressedRecordBatch({ records: values.map((value) => ({ value })) });
      await producer.send(ProduceApi, { acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }, { version: 9 });
    },
    (dueAt, now) => produce.push(now - dueAt),
  );
  await sleep(50);
  stop = true;
  // One more record ends the last long poll.
  await producer.send(ProduceApi, { acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeUncompressedRecordBatch({ records: [{ value: Buffer.alloc(RECORD_BYTES) }] }) }] }] }, { version: 9 });
  await reading;
  producer.close();
  consumer.close();
  return { produce: percentiles(produce), e2e: percentiles(e2e) };
}

/** A zigzag varint at `pos`: [value, bytes]. */
function varint(buf: Buffer, pos: number): [number, number] {
  let v = 0;
  let shift = 0;
  let n = 0;
  for (;;) {
    const b = buf[pos + n++]!;
    v |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return [(v >>> 1) ^ -(v & 1), n];
}

/** The floor: the same steady sends to a child process answering each frame at once. */
async function echoFloor(): Promise<Percentiles> {
  const server = spawn(
    process.execPath,
    [
      '-e',
      // Answers each size-prefixed frame with a frame holding its correlation id (a bare response header).
      "require('net').createServer({noDelay:true},s=>{let a=Buffer.alloc(0);s.on('data',d=>{a=a.length?Buffer.concat([a,d]):d;while(a.length>=4&&a.length>=4+a.readInt32BE(0)){const n=a.readInt32BE(0);const r=Buffer.alloc(8);r.writeInt32BE(4,0);r.writeInt32BE(a.readInt32BE(8),4);s.write(r);a=a.subarray(4+n)}})}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  const { connect } = await import('node:net');
  const s = connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise((r) => s.once('connect', r));
  const waiting = new Map<number, () => void>();
  let acc: Buffer = Buffer.alloc(0);
  s.on('data', (d: Buffer) => {
    acc = acc.length ? Buffer.concat([acc, d]) : d;
    while (acc.length >= 8) {
      waiting.get(acc.readInt32BE(4))?.();
      waiting.delete(acc.readInt32BE(4));
      acc = acc.subarray(8);
    }
  });
  let id = 0;
  const samples: number[] = [];
  await steadyProducer(
    (values) =>
      new Promise<void>((resolve) => {
        const records = encodeUncompressedRecordBatch({ records: values.map((value) => ({ value })) });
        const head = Buffer.alloc(12);
        head.writeInt32BE(8 + records.length, 0);
        head.writeInt32BE(0, 4);
        head.writeInt32BE(++id, 8);
        waiting.set(id, resolve);
        s.write(Buffer.concat([head, records]));
      }),
    (dueAt, now) => samples.push(now - dueAt),
  );
  s.destroy();
  server.kill();
  return percentiles(samples);
}

export default async function run(): Promise<void> {
  console.log(`\n## Latency at a steady ${RATE.toLocaleString('en-US')} records/s of ${RECORD_BYTES} B, one partition (${SECONDS} s per case; due time to answer, as kafka-producer-perf-test measures)`);
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-latency-'));
  const { child, port } = await spawnBroker(dir);
  const pid = child.pid!;
  try {
    await createTopic(port, 'latency-warmup', 1);
    await sendToAck(port, 'latency-warmup', 1);
    for (let round = 0; round < 2; round++) {
      const floor = await echoFloor();
      console.log(`floor     echo server, same sends                 ${fmt(floor)}`);
      for (const [label, acks] of [['acks=1', 1], ['acks=all', -1]] as const) {
        const topic = `latency-${round}-${acks}`;
        await createTopic(port, topic, 1);
        const cpu0 = cpuSeconds(pid);
        const p = await sendToAck(port, topic, acks);
        const cpu = cpuSeconds(pid) - cpu0;
        console.log(`produce   send-to-ack, ${label.padEnd(8)}               ${fmt(p)}  (p99 ${(p.p99 / floor.p99).toFixed(1)}x the floor's; broker ${((cpu / p.n) * 1e6).toFixed(2)} CPU-s per million)`);
      }
      const topic = `latency-${round}-e2e`;
      await createTopic(port, topic, 1);
      const { produce, e2e } = await endToEnd(port, topic);
      console.log(`e2e       produce-to-consume, acks=1             ${fmt(e2e)}  (send-to-ack meanwhile ${fmt(produce)})`);
    }
  } finally {
    await stopBroker(child);
    await rm(dir, { recursive: true, force: true });
  }
}
