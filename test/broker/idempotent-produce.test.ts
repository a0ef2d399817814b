/**
 * Idempotent producers: InitProducerId hands out ids that are never reused, the log writes a
 * retried batch once and answers it with its first offsets, refuses gaps and fenced epochs, and
 * keeps that state across a clean restart and a kill -9 (snapshots at rolls, then a scan). Real
 * clients: kafkajs and librdkafka (confluent-kafka-python) with idempotence on.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { CreateTopicsApi, FetchApi, InitProducerIdApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { decodeRecordBatch, encodeRecordBatch, iterateBatches } from '../../src/protocol/records/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { childBroker, tempDir, testBroker } from '../helpers/test-broker.js';

const run = promisify(execFile);
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function initProducerId(c: RawClient): Promise<bigint> {
  const res = await c.send(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.equal(res.errorCode, 0);
  assert.equal(res.producerEpoch, 0);
  return res.producerId;
}

async function createTopic(c: RawClient, name: string, configs: Record<string, string> = {}): Promise<void> {
  const res = await c.send(CreateTopicsApi, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, value]) => ({ name: k, value })) }], timeoutMs: 5000, validateOnly: false });
  assert.equal(res.topics[0]!.errorCode, 0);
}

interface Sent {
  errorCode: number;
  baseOffset: bigint;
}

/** One batch of `values` from producer `pid` at `epoch`, first sequence `seq`. */
async function produce(c: RawClient, topic: string, pid: bigint, epoch: number, seq: number, values: string[]): Promise<Sent> {
  const records = await encodeRecordBatch({ producerId: pid, producerEpoch: epoch, baseSequence: seq, records: values.map((v) => ({ value: Buffer.from(v) })) });
  const res = await c.send(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

async function readAll(c: RawClient, topic: string): Promise<string[]> {
  const res = await c.send(FetchApi, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 8 << 20 }] }] });
  const records = res.responses[0]!.partitions[0]!.records;
  const out: string[] = [];
  if (!records) return out;
  for (const span of iterateBatches(records)) {
    const batch = await decodeRecordBatch(records, span.position, { maxUncompressedBytes: 64 << 20 });
    for (const r of batch.records) out.push(r.value!.toString().trimEnd());
  }
  return out;
}

describe('idempotent producers', { timeout: 120_000 }, () => {
  it('InitProducerId gives distinct ids, never reused after a restart, with or without a transactional id', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    let broker = await testBroker({ dataDir });
    let c = await RawClient.connect(broker.port);
    const first = await Promise.all(Array.from({ length: 5 }, () => initProducerId(c)));
    const txn = await c.send(InitProducerIdApi, 4, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    assert.equal(txn.errorCode, ErrorCode.NONE);
    first.push(txn.producerId);
    assert.equal(new Set(first).size, 6);
    c.close();
    await broker.close();
    broker = await testBroker({ dataDir });
    c = await RawClient.connect(broker.port);
    const later = await initProducerId(c);
    assert.ok(first.every((id) => later > id), `${later} is above every id given before the restart`);
    c.close();
    await broker.close();
  });

  it('writes a retried batch once, answers it with its offsets, refuses gaps and fenced epochs', async () => {
    const broker = await testBroker();
    const c = await RawClient.connect(broker.port);
    try {
      await createTopic(c, 'idem');
      const pid = await initProducerId(c);
      assert.deepEqual(await produce(c, 'idem', pid, 0, 0, ['a', 'b', 'c']), { errorCode: 0, baseOffset: 0n });
      assert.deepEqual(await produce(c, 'idem', pid, 0, 3, ['d']), { errorCode: 0, baseOffset: 3n });
      // Retries of either of the last batches: the same answer, nothing written.
      assert.deepEqual(await produce(c, 'idem', pid, 0, 0, ['a', 'b', 'c']), { errorCode: 0, baseOffset: 0n });
      assert.deepEqual(await produce(c, 'idem', pid, 0, 3, ['d']), { errorCode: 0, baseOffset: 3n });
      // A gap, a new epoch not starting at 0, then a fenced old epoch.
      assert.equal((await produce(c, 'idem', pid, 0, 9, ['x'])).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.equal((await produce(c, 'idem', pid, 1, 4, ['x'])).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.deepEqual(await produce(c, 'idem', pid, 1, 0, ['e']), { errorCode: 0, baseOffset: 4n });
      assert.equal((await produce(c, 'idem', pid, 0, 4, ['x'])).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
      // Another producer, and one the partition has never seen starting mid-sequence (state may be gone with old segments).
      assert.deepEqual(await produce(c, 'idem', await initProducerId(c), 0, 0, ['f']), { errorCode: 0, baseOffset: 5n });
      assert.deepEqual(await produce(c, 'idem', pid + 1000n, 0, 42, ['g']), { errorCode: 0, baseOffset: 6n });
      assert.deepEqual(await readAll(c, 'idem'), ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    } finally {
      c.close();
      await broker.stop();
    }
  });

  it('keeps producer state across a clean restart and a kill -9 (snapshot at a roll, then a scan)', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    let b = await childBroker(dir, ['-o', 'samsa.log.fsync.before.ack=true']);
    let c = await RawClient.connect(b.port);
    // The smallest segments and 600-byte values: every batch rolls one, so producer A's last batch
    // ends up in a sealed segment. (readAll trims the padding.)
    await createTopic(c, 'state', { 'segment.bytes': '1024' });
    const padded = (c: RawClient, topic: string, pid: bigint, epoch: number, seq: number, values: string[]) => produce(c, topic, pid, epoch, seq, values.map((v) => v.padEnd(600)));
    const a = await initProducerId(c);
    const other = await initProducerId(c);
    assert.equal((await padded(c, 'state', a, 0, 0, ['a0', 'a1'])).errorCode, 0);
    c.close();
    assert.equal(await b.kill('SIGTERM'), 0);

    b = await childBroker(dir, ['-o', 'samsa.log.fsync.before.ack=true']);
    c = await RawClient.connect(b.port);
    assert.deepEqual(await padded(c, 'state', a, 0, 0, ['a0', 'a1']), { errorCode: 0, baseOffset: 0n }, 'a retry after a clean restart');
    assert.deepEqual(await padded(c, 'state', a, 0, 2, ['a2']), { errorCode: 0, baseOffset: 2n });
    for (let i = 0; i < 3; i++) assert.equal((await padded(c, 'state', other, 0, i, [`o${i}`])).errorCode, 0);
    c.close();
    await b.kill('SIGKILL');

    b = await childBroker(dir, ['-o', 'samsa.log.fsync.before.ack=true']);
    c = await RawClient.connect(b.port);
    try {
      assert.deepEqual(await padded(c, 'state', a, 0, 2, ['a2']), { errorCode: 0, baseOffset: 2n }, "A's last batch, from the snapshot of a roll");
      assert.deepEqual(await padded(c, 'state', other, 0, 2, ['o2']), { errorCode: 0, baseOffset: 5n }, "the other's, from the scan after it");
      assert.equal((await padded(c, 'state', a, 0, 4, ['gap'])).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.deepEqual(await padded(c, 'state', a, 0, 3, ['a3']), { errorCode: 0, baseOffset: 6n });
      assert.deepEqual(await readAll(c, 'state'), ['a0', 'a1', 'a2', 'o0', 'o1', 'o2', 'a3']);
    } finally {
      c.close();
      await b.kill('SIGTERM');
    }
  });

  it('kafkajs and librdkafka produce with idempotence on; every record once, in order', async () => {
    const broker = await testBroker();
    try {
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      for (let i = 0; i < 20; i++) await producer.send({ topic: 'idem-clients', acks: -1, messages: Array.from({ length: 50 }, (_, j) => ({ value: `kafkajs-${i * 50 + j}` })) });
      await producer.disconnect();
      const script = `
import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'enable.idempotence': True, 'linger.ms': 2})
errors = []
for i in range(1000):
    p.produce(sys.argv[2], value=('rdkafka-%d' % i).encode(), on_delivery=lambda err, m: err and errors.append(str(err)))
    if i % 100 == 0:
        p.poll(0)
p.flush(30)
print(len(errors))
`;
      const { stdout } = await run('/usr/bin/python3', ['-c', script, broker.bootstrap, 'idem-clients'], { timeout: 60_000 });
      assert.equal(stdout.trim(), '0');
      const c = await RawClient.connect(broker.port);
      const values = await readAll(c, 'idem-clients');
      c.close();
      const expected = [...Array.from({ length: 1000 }, (_, i) => `kafkajs-${i}`), ...Array.from({ length: 1000 }, (_, i) => `rdkafka-${i}`)];
      assert.deepEqual(values, expected);
    } finally {
      await broker.stop();
    }
  });
});
