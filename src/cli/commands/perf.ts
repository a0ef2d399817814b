/**
 * `samsa perf produce|consume TOPIC`: throughput and latency, with the option names of Kafka's
 * kafka-producer-perf-test and kafka-consumer-perf-test, a live progress line on stderr each second
 * and a summary (records/s, MB/s, latency percentiles) at the end.
 *
 * `samsa perf end-to-end TOPIC`: produce-to-consume latency as Kafka's EndToEndLatency tool
 * measures it: one record at a time is sent, acknowledged, and read back by a consumer assigned
 * to the partition (positioned at its end first); a record's latency runs from its send to its
 * arrival at the consumer; the next record leaves once the previous one has been read.
 */
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import type { Compression, ProducerOptions } from '../../client/index.js';
import { type CommonOptions, integer, keyValue, withClient, withCommonOptions } from '../common.js';

/** The Kafka producer configs `--producer-props` takes. */
const PRODUCER_PROPS = 'acks, compression.type, compression.gzip.level, compression.lz4.level, compression.zstd.level, linger.ms, batch.size, buffer.memory, enable.idempotence, max.in.flight.requests.per.connection, retries, retry.backoff.ms';

export function registerPerfCommand(program: Command): void {
  const perf = program.command('perf').description('measure produce and consume throughput and latency');

  withCommonOptions(perf.command('produce <topic>').description('send records as fast as allowed and report throughput and latency'))
    .requiredOption('--num-records <n>', 'records to send', integer)
    .option('--record-size <bytes>', 'bytes per record value', integer, 1024)
    .option('--throughput <n>', 'at most n records/s (-1: no limit)', integer, -1)
    .option('--producer-props <key=value...>', `producer configs by Kafka name: ${PRODUCER_PROPS}`, (v: string, prev: Record<string, string>) => keyValue(v, prev), {})
    .action(async (topic: string, opts: CommonOptions & { numRecords: number; recordSize: number; throughput: number; producerProps: Record<string, string> }) =>
      withClient(opts, async (client, out) => {
        const producer = client.producer(producerOptions(opts.producerProps));
        const value = Buffer.alloc(opts.recordSize, 'x');
        const latencies = new Float64Array(opts.numRecords);
        const start = performance.now();
        const progress = new Progress(out.note.bind(out), opts.recordSize);
        const CHUNK = 500;
        const inFlight = new Set<Promise<void>>();
        for (let sent = 0; sent < opts.numRecords; ) {
          const n = Math.min(CHUNK, opts.numRecords - sent);
          if (opts.throughput > 0) {
            const due = start + ((sent + n) / opts.throughput) * 1000;
            const wait = due - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          }
          const first = sent;
          const t0 = performance.now();
          const p: Promise<void> = producer.send(topic, Array.from({ length: n }, () => ({ value }))).then(() => {
            const ms = performance.now() - t0;
            latencies.fill(ms, first, first + n);
            progress.add(n);
          });
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
          sent += n;
          while (inFlight.size >= 64) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
        progress.stop();
        const seconds = (performance.now() - start) / 1000;
        const sorted = latencies.sort();
        const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
        const summary = { records: opts.numRecords, recordsPerSec: opts.numRecords / seconds, mbPerSec: (opts.numRecords * opts.recordSize) / seconds / 1e6, avgLatencyMs: sorted.reduce((a, b) => a + b, 0) / sorted.length, maxLatencyMs: sorted[sorted.length - 1]!, p50Ms: pct(0.5), p95Ms: pct(0.95), p99Ms: pct(0.99), p999Ms: pct(0.999) };
        out.result(
          `${summary.records} records sent, ${summary.recordsPerSec.toFixed(1)} records/sec (${summary.mbPerSec.toFixed(2)} MB/sec), ${summary.avgLatencyMs.toFixed(2)} ms avg latency, ${summary.maxLatencyMs.toFixed(2)} ms max latency, ${summary.p50Ms.toFixed(0)} ms 50th, ${summary.p95Ms.toFixed(0)} ms 95th, ${summary.p99Ms.toFixed(0)} ms 99th, ${summary.p999Ms.toFixed(0)} ms 99.9th.`,
          summary,
        );
      }),
    );

  withCommonOptions(perf.command('consume <topic>').description('read records from the beginning and report throughput'))
    .requiredOption('--messages <n>', 'records to read', integer)
    .option('-g, --group <id>', 'read as a member of this group (default: no group, every partition)')
    .option('--timeout <ms>', 'give up after this long without a record', integer, 10_000)
    .action(async (topic: string, opts: CommonOptions & { messages: number; group?: string; timeout: number }) =>
      withClient(opts, async (client, out) => {
        const consumer = client.consumer({ ...(opts.group !== undefined ? { groupId: opts.group } : {}), autoOffsetReset: 'earliest', maxWaitMs: 100 });
        if (opts.group !== undefined) consumer.subscribe(topic);
        else consumer.assign((await client.admin().describeTopics([topic]))[0]!.partitions.map((p) => ({ topic, partition: p.partition })));
        const start = performance.now();
        let records = 0;
        let bytes = 0;
        let idle = setTimeout(() => void consumer.close(), opts.timeout);
        const progress = new Progress(out.note.bind(out), 0);
        for await (const batch of consumer.batches()) {
          for (const r of batch) bytes += (r.value?.length ?? 0) + (r.key?.length ?? 0);
          records += batch.length;
          progress.add(batch.length);
          clearTimeout(idle);
          if (records >= opts.messages) break;
          idle = setTimeout(() => void consumer.close(), opts.timeout);
        }
        clearTimeout(idle);
        progress.stop();
        await consumer.close();
        const seconds = (performance.now() - start) / 1000;
        if (records < opts.messages) process.exitCode = 1;
        out.result(`${records} records read in ${seconds.toFixed(2)} s, ${(records / seconds).toFixed(1)} records/sec (${(bytes / seconds / 1e6).toFixed(2)} MB/sec)${records < opts.messages ? `, timed out before ${opts.messages}` : ''}`, { records, seconds, recordsPerSec: records / seconds, mbPerSec: bytes / seconds / 1e6 });
      }),
    );

  withCommonOptions(perf.command('end-to-end <topic>').description("produce-to-consume latency, one record at a time (as Kafka's EndToEndLatency)"))
    .requiredOption('--num-records <n>', 'records to send', integer)
    .option('--record-size <bytes>', 'bytes per record value', integer, 100)
    .option('--acks <acks>', 'producer acks: 1 or all (Kafka\'s producer_acks)', '1')
    .option('--partition <n>', 'partition to write and read', integer, 0)
    .option('--timeout <ms>', 'give up on a record not read back within this long', integer, 60_000)
    .action(async (topic: string, opts: CommonOptions & { numRecords: number; recordSize: number; acks: string; partition: number; timeout: number }) =>
      withClient(opts, async (client, out) => {
        const producer = client.producer(producerOptions({ acks: opts.acks, 'linger.ms': '0' }));
        const consumer = client.consumer({ autoOffsetReset: 'latest', maxWaitMs: 500, minBytes: 1 });
        consumer.assign([{ topic, partition: opts.partition }]);
        await consumer.seek(topic, opts.partition, 'latest');
        const batches = consumer.batches()[Symbol.asyncIterator]();
        const latencies = new Float64Array(opts.numRecords);
        const progress = new Progress(out.note.bind(out), opts.recordSize);
        try {
          for (let i = 0; i < opts.numRecords; i++) {
            // A value that names its round, so a record read back is known to be the one just sent.
            const value = Buffer.alloc(opts.recordSize, 'x');
            value.write(String(i).padStart(Math.min(opts.recordSize, 10), '0').slice(-opts.recordSize), 0, 'latin1');
            const t0 = performance.now();
            await producer.send(topic, { value, partition: opts.partition });
            const timer = setTimeout(() => void consumer.close(), opts.timeout);
            let got = 0;
            try {
              while (got === 0) {
                const next = await batches.next();
                if (next.done) throw new Error(`record ${i} not read back within ${opts.timeout} ms`);
                for (const r of next.value) {
                  if (got > 0 || !r.value || !r.value.equals(value)) throw new Error(`read back a record other than the one sent (round ${i}, offset ${r.offset})`);
                  got++;
                }
              }
            } finally {
              clearTimeout(timer);
            }
            latencies[i] = performance.now() - t0;
            progress.add(1);
          }
        } finally {
          progress.stop();
          await consumer.close();
        }
        const sorted = latencies.sort();
        const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
        const summary = { records: opts.numRecords, avgLatencyMs: sorted.reduce((a, b) => a + b, 0) / sorted.length, p50Ms: pct(0.5), p99Ms: pct(0.99), p999Ms: pct(0.999), maxLatencyMs: sorted[sorted.length - 1]! };
        out.result(`Avg latency: ${summary.avgLatencyMs.toFixed(4)} ms\nPercentiles: 50th = ${summary.p50Ms.toFixed(3)}, 99th = ${summary.p99Ms.toFixed(3)}, 99.9th = ${summary.p999Ms.toFixed(3)}, max = ${summary.maxLatencyMs.toFixed(3)} (ms)`, summary);
      }),
    );
}

/** Kafka producer config names to the client's options. */
function producerOptions(props: Record<string, string>): ProducerOptions {
  const o: ProducerOptions = {};
  const levels = new Map<string, number>();
  for (const [k, v] of Object.entries(props)) {
    if (k === 'acks') o.acks = v === 'all' || v === '-1' ? 'all' : (Number(v) as 0 | 1);
    else if (k === 'compression.type') o.compression = v as Compression;
    else if (/^compression\.(gzip|lz4|zstd)\.level$/.test(k)) levels.set(k.split('.')[1]!, Number(v));
    else if (k === 'linger.ms') o.lingerMs = Number(v);
    else if (k === 'batch.size') o.batchSize = Number(v);
    else if (k === 'buffer.memory') o.bufferMemory = Number(v);
    else if (k === 'enable.idempotence') o.idempotent = v === 'true';
    else if (k === 'max.in.flight.requests.per.connection') o.maxInFlight = Number(v);
    else if (k === 'retries') o.retries = Number(v);
    else if (k === 'retry.backoff.ms') o.retryBackoffMs = Number(v);
    else throw new Error(`--producer-props: ${k} is not a producer config samsa perf knows (${PRODUCER_PROPS})`);
  }
  // As Java's producer: the level of the codec in use applies, the others are ignored.
  const level = levels.get(o.compression ?? 'none');
  if (level !== undefined) o.compressionLevel = level;
  return o;
}

/** One line on stderr per second: records so far and the rate over the last second. */
class Progress {
  private total = 0;
  private lastTotal = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(note: (s: string) => void, private readonly recordSize: number) {
    this.timer = setInterval(() => {
      const rate = this.total - this.lastTotal;
      this.lastTotal = this.total;
      const mb = this.recordSize > 0 ? (rate * this.recordSize) / 1e6 : 0;
      note(`${this.total} records, ${rate} records/sec${mb > 0 ? ` (${mb.toFixed(1)} MB/sec)` : ''}`);
    }, 1000);
    this.timer.unref();
  }

  add(records: number): void {
    this.total += records;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
