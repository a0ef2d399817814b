/**
 * Latency at a steady rate, as Kafka's tools measure it, against a `samsa broker` child process.
 *
 * The driver is kafka-producer-perf-test's (`--throughput 20000`, the Java producer's defaults):
 * the send loop calls send() for one record after another and, whenever it is ahead of the
 * target rate, sleeps as Kafka's ThroughputThrottler does (a sleep deficit of 1/rate per record,
 * slept once it reaches 2 ms), so it does not spin a core. send() only adds the record to the
 * accumulator; the sender drains every record accumulated into one request as soon as it runs
 * and fewer than 5 requests are in flight (linger.ms=0, max.in.flight 5). Two latencies for each
 * record, both printed:
 *
 * - **from send()** — Kafka's: from the send() call to the acknowledgement (a record that waited
 *   in the accumulator for a free in-flight slot counts that wait);
 * - **from due** — stricter, corrected for coordinated omission: from the record's due time on
 *   the steady schedule (start + i/rate), or its send() call if that came first.
 *
 * Cases: send-to-ack with acks=1 and acks=all; produce-to-consume at the same steady rate (a
 * consumer fetching as the Java consumer does: incremental session, min 1 byte, max wait 500 ms;
 * latency to the record's arrival in a fetch response); and Kafka's EndToEndLatency tool itself
 * (one record at a time: send, wait for its ack, then until it arrives at the consumer).
 *
 * The machine is shared and its scheduling noise lands in every percentile, so the same driver
 * first sends to an echo server (a child process answering each request at once, no storage):
 * the floor any broker could reach here at that moment, printed beside each figure. Each case
 * also prints requests/s, records per request and the broker's CPU µs per request; a last line
 * gives the broker's CPU per produce request when requests come back to back (1 or 60 records).
 * And what else happened meanwhile, which is most of a p99 on a shared machine: how long the
 * broker's (or echo server's) main thread and this process were runnable but waiting for a core
 * (/proc/<pid>/schedstat), and this process's GC pauses (with BENCH_LATENCY_GC=1 the brokers run
 * with --trace-gc and theirs are counted too).
 *
 *   npm run bench -- latency       BENCH_SECONDS per case (default 10), BENCH_RATE (default 20000), BENCH_LATENCY_GC=1;
 *   BENCH_COMPARE_DIST=<other build's dist/> runs every case against that build's broker too,
 *   alternating, in the same run; BENCH_COMPARE_NODE_FLAGS='<node flags>' does the same with a
 *   broker of this build started with those node flags (e.g. `--single-threaded-gc`), and
 *   BENCH_COMPARE_NODE_FLAGS_2 with a third.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerConnection } from '../src/client/broker-connection.js';
import { systemClock } from '../src/common/clock.js';
import { nodeNetwork } from '../src/network/network.js';
import { FetchApi, ProduceApi } from '../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch, iterateBatches, readBatchHeader } from '../src/protocol/records/index.js';
import { FetchSessionClient } from '../test/helpers/fetch-session-client.js';
import { spawnBroker, stopBroker } from './broker-process.js';
import { cpuSeconds, createTopic, quantile } from './broker-support.js';
import { runQueueWaitMs, tracedGcPauses } from './machine-load.js';
import { type Run, type Sent, newRun, perfProducer as perfLoop, recordLatency as record } from './perf-producer.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const RATE = Number(process.env['BENCH_RATE'] ?? 20_000);
const COMPARE_DIST = process.env['BENCH_COMPARE_DIST'];
/** Node flags of a second (and third) broker of this build, each run beside the first, alternating case by case. */
const COMPARE_FLAGS = [process.env['BENCH_COMPARE_NODE_FLAGS'], process.env['BENCH_COMPARE_NODE_FLAGS_2']].filter((f): f is string => f !== undefined);
/** BENCH_LATENCY_GC=1: the brokers run with --trace-gc, and each case also reports the broker's GC pauses. */
const BROKER_GC = process.env['BENCH_LATENCY_GC'] === '1';
const RECORD_BYTES = 100;

/** kafka-producer-perf-test's sends at RATE/s for SECONDS (bench/perf-producer.ts). */
const perfProducer = (run: Run, send: (values: Buffer[]) => Promise<void>, onAcked: (sent: Sent, now: number) => void): Promise<void> =>
  perfLoop(run, { rate: RATE, records: Math.floor(RATE * SECONDS), send, onAcked });

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

export async function sendToAck(port: number, topic: string, acks: number): Promise<Run> {
  const conn = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'latency', clock: systemClock, network: nodeNetwork });
  const run = newRun();
  await perfProducer(
    run,
    async (values) => {
      const records = encodeUncompressedRecordBatch({ records: values.map((value) => ({ value })) });
      const res = await conn.send(ProduceApi, { acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }, { version: 9 });
      const errorCode = res.responses[0]!.partitionResponses[0]!.errorCode;
      if (errorCode !== 0) throw new Error(`produce to ${topic} failed: error code ${errorCode}`);
    },
    (sent, now) => record(run, sent, now),
  );
  conn.close();
  return run;
}

/**
 * A consumer reading `topic`'s partition 0 from its end as the Java consumer fetches (incremental
 * session, min 1 byte, max wait 500 ms): `onRecord` gets each record's start times (from its value)
 * and the time the response holding it arrived. `stop` ends it once the fetch in flight returns.
 */
async function consumer(port: number, topic: string, onRecord: (sent: Sent, now: number) => void): Promise<{ stop: () => Promise<void>; fetches: () => number }> {
  const conn = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'e2e-consumer', clock: systemClock, network: nodeNetwork });
  const session = new FetchSessionClient();
  const ends = await conn.send(FetchApi, { maxWaitMs: 0, minBytes: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 0 }] }] }, { version: 12 });
  let offset = ends.responses[0]!.partitions[0]!.highWatermark;
  let stopping = false;
  let fetches = 0;
  const reading = (async () => {
    while (!stopping) {
      const built = session.build([{ topic, partition: 0, fetchOffset: offset, maxBytes: 1 << 20 }], { maxWaitMs: 500, minBytes: 1 });
      fetches++;
      const res = await conn.send(FetchApi, built.request, { version: 12 });
      const now = performance.now();
      session.handleResponse(res.errorCode, res.sessionId);
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const records = p.records;
          if (!records) continue;
          for (const span of iterateBatches(records)) {
            if (!span.complete) break;
            const h = readBatchHeader(records, span.position);
            // Each record: length, attributes, timestamp and offset deltas, key -1, value length, value (its first 16 bytes the start times).
            let pos = span.position + 61;
            for (let i = 0; i < h.recordCount; i++) {
              const start = pos;
              const [len, n] = varint(records, pos);
              pos += n;
              const valueAt = pos + len - RECORD_BYTES - 1;
              const sent = { sendAt: records.readDoubleBE(valueAt), dueAt: records.readDoubleBE(valueAt + 8) };
              // (A zero-filled record only ends the last long poll.)
              if (h.baseOffset + BigInt(i) >= offset && sent.sendAt > 0) onRecord(sent, now);
              pos = start + n + len;
            }
            offset = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
          }
        }
      }
    }
  })();
  return {
    fetches: () => fetches,
    stop: async () => {
      stopping = true;
      // One zero-filled record ends the long poll in flight.
      const producer = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'e2e-stop', clock: systemClock, network: nodeNetwork });
      await producer.send(ProduceApi, { acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeUncompressedRecordBatch({ records: [{ value: Buffer.alloc(RECORD_BYTES) }] }) }] }] }, { version: 9 });
      await reading;
      producer.close();
      conn.close();
    },
  };
}

/** Produce-to-consume at the steady rate: kafka-producer-perf-test's sends (acks=1) read by a consumer. */
export async function steadyEndToEnd(port: number, topic: string): Promise<{ produce: Run; e2e: Run }> {
  const producer = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'e2e-producer', clock: systemClock, network: nodeNetwork });
  const produce = newRun();
  const e2e = newRun();
  const reader = await consumer(port, topic, (sent, now) => record(e2e, sent, now));
  await perfProducer(
    produce,
    async (values) => {
      const records = encodeUncompressedRecordBatch({ records: values.map((value) => ({ value })) });
      await producer.send(ProduceApi, { acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }, { version: 9 });
    },
    (sent, now) => record(produce, sent, now),
  );
  // Until the consumer has read every record (bounded: 5 s).
  for (let i = 0; i < 500 && e2e.fromSend.length < produce.records; i++) await sleep(10);
  await reader.stop();
  producer.close();
  e2e.requests = reader.fetches();
  e2e.records = e2e.fromSend.length;
  return { produce, e2e };
}

/**
 * Kafka's EndToEndLatency tool: one record at a time, sent (acks=1) and waited for until the
 * consumer has it; latency from the send to its arrival. `count` records.
 */
export async function sequentialEndToEnd(port: number, topic: string, count: number): Promise<Run> {
  const producer = await BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'e2e-tool', clock: systemClock, network: nodeNetwork });
  const run = newRun();
  let arrived: (() => void) | undefined;
  const reader = await consumer(port, topic, (sent, now) => {
    run.fromSend.push(now - sent.sendAt);
    arrived?.();
  });
  for (let i = 0; i < count; i++) {
    const seen = new Promise<void>((r) => (arrived = r));
    const value = Buffer.alloc(RECORD_BYTES, 'x');
    const sendAt = performance.now();
    value.writeDoubleBE(sendAt, 0);
    value.writeDoubleBE(sendAt, 8);
    const res = await producer.send(ProduceApi, { acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeUncompressedRecordBatch({ records: [{ value }] }) }] }] }, { version: 9 });
    const errorCode = res.responses[0]!.partitionResponses[0]!.errorCode;
    if (errorCode !== 0) throw new Error(`produce to ${topic} failed: error code ${errorCode}`);
    await seen;
  }
  await reader.stop();
  producer.close();
  // Produce requests: each record also took one fetch (the long poll it ended) and the next one's start.
  run.requests = count;
  run.records = count;
  return run;
}

/**
 * Broker CPU per produce request when requests come back to back: `records` records of 100 B per
 * request, 5 in flight, for `seconds`. (At the steady rate a request arrives every ~3 ms, to a
 * core whose caches the machine's other processes have emptied meanwhile.)
 */
async function backToBack(broker: Broker, topic: string, records: number, acks: number, seconds: number): Promise<{ requests: number; cpuUs: number }> {
  const conn = await BrokerConnection.connect({ host: '127.0.0.1', port: broker.port, clientId: 'back-to-back', clock: systemClock, network: nodeNetwork });
  const batch = encodeUncompressedRecordBatch({ records: Array.from({ length: records }, () => ({ value: Buffer.alloc(RECORD_BYTES, 'x') })) });
  let requests = 0;
  const cpu0 = cpuSeconds(broker.pid);
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 5 }, async () => {
      while (performance.now() < end) {
        await conn.send(ProduceApi, { acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }, { version: 9 });
        requests++;
      }
    }),
  );
  const cpu = cpuSeconds(broker.pid) - cpu0;
  conn.close();
  return { requests, cpuUs: (cpu / requests) * 1e6 };
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

/** The floor: the same driver's sends to a child process answering each frame at once. */
async function echoFloor(): Promise<{ run: Run; machine: Machine }> {
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
  const run = newRun();
  const waits0 = [runQueueWaitMs(server.pid!), runQueueWaitMs('self')] as const;
  const gc0 = benchGcPauses.length;
  await perfProducer(
    run,
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
    (sent, now) => record(run, sent, now),
  );
  const machine: Machine = { brokerWaitMs: runQueueWaitMs(server.pid!) - waits0[0], benchWaitMs: runQueueWaitMs('self') - waits0[1], benchGc: benchGcPauses.slice(gc0), brokerGc: undefined };
  s.destroy();
  server.kill();
  return { run, machine };
}

interface Broker {
  label: string;
  port: number;
  pid: number;
  /** The broker's GC pauses so far (ms), when it runs with --trace-gc. */
  gcPauses: number[];
}

/** This process's GC pauses (ms) since it started observing. */
const benchGcPauses: number[] = [];
let gcObserver: PerformanceObserver | undefined;

/** What else happened during a case: run-queue waits (broker main thread, this process) and GC pauses. */
interface Machine {
  brokerWaitMs: number;
  benchWaitMs: number;
  benchGc: number[];
  brokerGc: number[] | undefined;
}

/** One case's line: both latencies against the floor's, the request pattern, the broker's CPU per request. */
function report(name: string, run: Run, floor: Run, cpuS?: number, seconds = SECONDS, machine?: Machine): void {
  const send = percentiles(run.fromSend);
  const due = percentiles(run.fromDue);
  const fs = percentiles([...floor.fromSend]);
  const fd = percentiles([...floor.fromDue]);
  const cpu = cpuS === undefined ? '' : `; broker ${((cpuS / run.requests) * 1e6).toFixed(0)} CPU-µs per request, ${((cpuS / Math.max(1, run.records)) * 1e6).toFixed(1)} per record`;
  console.log(`${name}`);
  console.log(`    from send(): ${fmt(send)}  (p99 ${(send.p99 / fs.p99).toFixed(1)}x the floor's)`);
  if (due.n > 0) console.log(`    from due:    ${fmt(due)}  (p99 ${(due.p99 / fd.p99).toFixed(1)}x the floor's)`);
  console.log(`    ${(run.requests / seconds).toFixed(0)} requests/s, ${(run.records / Math.max(1, run.requests)).toFixed(1)} records per request${cpu}`);
  if (machine) {
    const gc = (label: string, pauses: number[]) => `${label} ${pauses.length} GC pauses, ${pauses.reduce((a, b) => a + b, 0).toFixed(0)} ms in all, longest ${Math.max(0, ...pauses).toFixed(1)} ms`;
    const gcs = [gc('bench', machine.benchGc), ...(machine.brokerGc ? [gc('broker', machine.brokerGc)] : [])].join('; ');
    console.log(`    waiting for a core: server thread ${machine.brokerWaitMs.toFixed(0)} ms, bench ${machine.benchWaitMs.toFixed(0)} ms (${((machine.brokerWaitMs / 1000 / seconds) * 100).toFixed(1)}% / ${((machine.benchWaitMs / 1000 / seconds) * 100).toFixed(1)}% of the case); ${gcs}`);
  }
}

/** `f`'s result, the broker's CPU-seconds meanwhile, the seconds it took, and what else happened meanwhile. */
async function measured<T>(broker: Broker, f: () => Promise<T>): Promise<{ result: T; cpu: number; seconds: number; machine: Machine }> {
  const cpu0 = cpuSeconds(broker.pid);
  const waits0 = [runQueueWaitMs(broker.pid), runQueueWaitMs('self')] as const;
  const gc0 = [benchGcPauses.length, broker.gcPauses.length] as const;
  const t0 = performance.now();
  const result = await f();
  const machine: Machine = {
    brokerWaitMs: runQueueWaitMs(broker.pid) - waits0[0],
    benchWaitMs: runQueueWaitMs('self') - waits0[1],
    benchGc: benchGcPauses.slice(gc0[0]),
    brokerGc: BROKER_GC ? broker.gcPauses.slice(gc0[1]) : undefined,
  };
  return { result, cpu: cpuSeconds(broker.pid) - cpu0, seconds: (performance.now() - t0) / 1000, machine };
}

export default async function run(): Promise<void> {
  console.log(`\n## Latency at a steady ${RATE.toLocaleString('en-US')} records/s of ${RECORD_BYTES} B, one partition (${SECONDS} s per case; kafka-producer-perf-test's throttled sends, latency from send() and from the due time)`);
  gcObserver ??= new PerformanceObserver((list) => {
    for (const e of list.getEntries()) benchGcPauses.push(e.duration);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const dirs: string[] = [];
  const children: Awaited<ReturnType<typeof spawnBroker>>['child'][] = [];
  const brokers: Broker[] = [];
  try {
    const setups: { label: string; dist: string | undefined; flags: string[] }[] = [
      { label: 'this build', dist: undefined, flags: [] },
      ...(COMPARE_DIST ? [{ label: 'compared', dist: COMPARE_DIST, flags: [] }] : []),
      ...COMPARE_FLAGS.map((f) => ({ label: `this build, node ${f}`, dist: undefined, flags: f.split(' ').filter(Boolean) })),
    ];
    for (const { label, dist, flags } of setups) {
      const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-latency-'));
      dirs.push(dir);
      const { child, port } = await spawnBroker(dir, [], dist, [...flags, ...(BROKER_GC ? ['--trace-gc'] : [])]);
      children.push(child);
      const broker: Broker = { label, port, pid: child.pid!, gcPauses: [] };
      if (BROKER_GC) {
        // Whole lines only: a chunk may end inside one.
        let partial = '';
        child.stdout!.on('data', (d: Buffer) => {
          const text = partial + String(d);
          const cut = text.lastIndexOf('\n') + 1;
          partial = text.slice(cut);
          tracedGcPauses(text.slice(0, cut), broker.gcPauses);
        });
      }
      brokers.push(broker);
      // Warm-up, also of the fetch path: a broker's first few thousand produce requests and
      // fetches run before V8 has optimized their code (`samsa perf end-to-end` on a fresh broker:
      // p50 0.84 ms for the first run, 0.72 and 0.66 ms for the next two, whatever their acks).
      await createTopic(port, 'latency-warmup', 1);
      await steadyEndToEnd(port, 'latency-warmup');
    }
    for (let round = 0; round < 2; round++) {
      const echo = await echoFloor();
      const floor = echo.run;
      report(`floor     echo server, same sends (its server's waits as the broker thread's)`, floor, floor, undefined, SECONDS, echo.machine);
      for (const b of brokers) {
        const tag = brokers.length > 1 ? ` [${b.label}]` : '';
        for (const [label, acks] of [['acks=1', 1], ['acks=all', -1]] as const) {
          const topic = `latency-${round}-${acks}`;
          await createTopic(b.port, topic, 1);
          const { result, cpu, machine } = await measured(b, () => sendToAck(b.port, topic, acks));
          report(`produce   send-to-ack, ${label}${tag}`, result, floor, cpu, SECONDS, machine);
        }
        await createTopic(b.port, `latency-${round}-e2e`, 1);
        const { result, cpu, machine } = await measured(b, () => steadyEndToEnd(b.port, `latency-${round}-e2e`));
        report(`e2e       produce-to-consume at the steady rate, acks=1${tag} (requests: the consumer's fetches)`, result.e2e, floor);
        report(`          its send-to-ack (broker CPU: produce and fetch)`, result.produce, floor, cpu, SECONDS, machine);
        await createTopic(b.port, `latency-${round}-tool`, 1);
        const count = Math.min(5000, SECONDS * 500);
        const tool = await measured(b, () => sequentialEndToEnd(b.port, `latency-${round}-tool`, count));
        report(`e2e       EndToEndLatency (one record at a time, ${count}), acks=1${tag} (requests: produce; broker CPU: produce and fetch)`, tool.result, floor, tool.cpu, tool.seconds, tool.machine);
        await createTopic(b.port, `latency-${round}-b2b`, 1);
        const cells: string[] = [];
        for (const [records, acks] of [[1, 1], [1, -1], [60, 1]] as const) {
          const r = await backToBack(b, `latency-${round}-b2b`, records, acks, 3);
          cells.push(`${records} record${records > 1 ? 's' : ''} acks=${acks === 1 ? '1' : 'all'} ${r.cpuUs.toFixed(0)} µs (${(r.requests / 3).toFixed(0)}/s)`);
        }
        console.log(`cpu       broker CPU per produce request, back to back${tag}: ${cells.join(', ')}`);
      }
    }
  } finally {
    gcObserver.disconnect();
    for (const c of children) await stopBroker(c);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
}
