/**
 * Consumers waiting in a held fetch while every append rolls a segment read each record once, in
 * order: kcat (librdkafka) long-polling from the beginning, and raw Fetch v12 long polls from the
 * offset after the last batch returned. An idempotent kafkajs producer appends one record per
 * request to a topic with the smallest segments Samsa allows (segment.bytes=1024), so the fetches
 * cross a roll at almost every wake-up. (A suspect of the cluster-transactions flake: a batch
 * returned twice across a roll or a wake-up; cleared.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { FetchApi } from '../../../src/protocol/messages/index.js';
import { decodeRecordBatch, iterateBatches } from '../../../src/protocol/records/index.js';
import { RawClient } from '../../helpers/raw-client.js';
import { testBroker } from '../../helpers/test-broker.js';

const RECORDS = 40;

interface Internals {
  replicaManager: { getPartition(t: string, p: number): { log: { segments: readonly unknown[] } } | undefined };
}
const value = (i: number) => `${String(i).padStart(3, '0')}-${'x'.repeat(400)}`;

/** kcat consuming `count` records of `topic` from the beginning; resolves with their values once it has them all. */
function kcatConsume(bootstrap: string, topic: string, count: number): { started: Promise<void>; values: Promise<string[]> } {
  const child = spawn('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-c', String(count), '-q', '-f', '%o %s\\n', '-X', 'fetch.wait.max.ms=2000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const values = new Promise<string[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.split('\n').filter(Boolean));
      else reject(new Error(`kcat exited ${code}: ${err}\n${out}`));
    });
  });
  return { started: new Promise((resolve) => child.on('spawn', () => resolve())), values };
}

/** Long polls (maxWaitMs 2000, minBytes 1) from offset 0 until `count` records came; each record's `offset value`. */
async function rawConsume(c: RawClient, topic: string, count: number): Promise<string[]> {
  const out: string[] = [];
  let next = 0n;
  for (let polls = 0; out.length < count && polls < 10 * count; polls++) {
    const res = await c.send(FetchApi, 12, { maxWaitMs: 2000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: next, partitionMaxBytes: 1 << 20 }] }] });
    const records = res.responses[0]!.partitions[0]!.records;
    if (!records) continue;
    for (const span of iterateBatches(records)) {
      if (!span.complete) break;
      const batch = await decodeRecordBatch(records, span.position, { maxUncompressedBytes: 1 << 20 });
      for (const r of batch.records) out.push(`${r.offset} ${r.value!.toString()}`);
      next = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
    }
  }
  return out;
}

describe('held fetches across segment rolls', { timeout: 120_000 }, () => {
  it('kcat and raw long polls read each record once while every append rolls a segment', async () => {
    const broker = await testBroker();
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const raw = await RawClient.connect(broker.port);
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'rolling', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '1024' }] }] });
      const kcat = kcatConsume(broker.bootstrap, 'rolling', RECORDS);
      await kcat.started;
      const rawRead = rawConsume(raw, 'rolling', RECORDS);
      await producer.connect();
      for (let i = 0; i < RECORDS; i++) await producer.send({ topic: 'rolling', messages: [{ value: value(i) }] });
      const expected = Array.from({ length: RECORDS }, (_, i) => `${i} ${value(i)}`);
      assert.deepEqual(await rawRead, expected);
      assert.deepEqual(await kcat.values, expected);
      const segments = (broker as unknown as Internals).replicaManager.getPartition('rolling', 0)!.log.segments.length;
      assert.ok(segments >= RECORDS / 2, `${segments} segments`);
    } finally {
      raw.close();
      await producer.disconnect();
      await admin.disconnect();
      await broker.stop();
    }
  });
});
