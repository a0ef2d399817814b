/**
 * A `samsa broker` restarted after a clean SIGTERM builds its logs from the clean-shutdown summary
 * (docs/storage.md) and opens their files on first use: kafkajs reads back everything produced
 * before the restart (old segments included), produces more, and reads that too; OffsetForLeaderEpoch
 * answers from the epochs the summary carried. A second broker, restarted after kill -9 (no
 * summary), serves the same. Logs that idempotent producers (kafkajs `idempotent: true`, the
 * Java client's default) wrote to are in the summary with their producer state: after the
 * restart a retry of a batch written before it gets its offsets back, a sequence gap is refused.
 * Logs no producer wrote to (built without a producers' state) take idempotent and transactional
 * producers after the restart, and ListOffsets and a group's committed offsets answer as before it.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { InitProducerIdApi, OffsetForLeaderEpochApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch } from '../../src/protocol/records/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { childBroker, tempDir } from '../helpers/test-broker.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const PARTITIONS = 4;
const kafka = (bootstrap: string) => new Kafka({ clientId: 'summary-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });

async function produce(bootstrap: string, from: number, n: number, idempotent = false): Promise<void> {
  const producer = kafka(bootstrap).producer(idempotent ? { idempotent: true, maxInFlightRequests: 1 } : {});
  await producer.connect();
  try {
    for (let i = from; i < from + n; i += 10) {
      await producer.send({ topic: 's', messages: Array.from({ length: 10 }, (_, j) => ({ partition: (i + j) % PARTITIONS, value: `v${i + j}-${'x'.repeat(200)}` })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Every value in the topic, read with a kafkajs consumer from the beginning, sorted. */
async function consumeAll(bootstrap: string, expected: number, groupId = `g-${Math.random()}`): Promise<string[]> {
  const consumer = kafka(bootstrap).consumer({ groupId, maxWaitTimeInMs: 100 });
  const got: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: 's', fromBeginning: true });
    let done: () => void = () => {};
    const all = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value!.toString().split('-')[0]!);
        if (got.length >= expected) done();
      },
    });
    await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`consumed ${got.length} of ${expected}`)), 60_000))]);
  } finally {
    await consumer.disconnect();
  }
  return got.sort();
}

async function epochEnds(port: number): Promise<{ leaderEpoch: number; endOffset: bigint; errorCode: number }[]> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.send(OffsetForLeaderEpochApi, 4, { replicaId: -1, topics: [{ topic: 's', partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, currentLeaderEpoch: -1, leaderEpoch: 0 })) }] });
    return res.topics[0]!.partitions.map(({ leaderEpoch, endOffset, errorCode }) => ({ leaderEpoch, endOffset, errorCode }));
  } finally {
    c.close();
  }
}

/** The clean-shutdown summary's entries (JSON Lines: a version line, then one entry per log). */
async function readSummary(dir: string): Promise<{ logs: { dir: string; producers?: string }[] }> {
  const lines = (await readFile(join(dir, 'clean-shutdown-summary'), 'utf8')).split('\n');
  return { logs: lines.slice(1).map((l) => JSON.parse(l) as { dir: string; producers?: string }) };
}

const values = (from: number, n: number) => Array.from({ length: n }, (_, i) => `v${from + i}`).sort();

describe('a clean restart from the clean-shutdown summary', { timeout: 180_000 }, () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`serves old segments, appends and OffsetForLeaderEpoch to kafkajs after ${signal}`, async () => {
      const dir = await tempDir();
      dirs.push(dir);
      // Small segments, so the old records live in segments the restart does not open.
      let b = await childBroker(dir, ['-o', 'log.segment.bytes=2048']);
      try {
        const admin = kafka(b.bootstrap).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: 's', numPartitions: PARTITIONS }] });
        await admin.disconnect();
        await produce(b.bootstrap, 0, 200);
        const before = await epochEnds(b.port);
        if (signal === 'SIGKILL') {
          // Acknowledged (acks=all, written) data survives a kill of the process (the page cache keeps it).
          assert.equal(await b.kill('SIGKILL'), null);
        } else {
          assert.equal(await b.kill('SIGTERM'), 0);
          assert.ok((await readdir(dir)).includes('clean-shutdown-summary'), 'a clean stop writes the summary');
        }
        b = await childBroker(dir, ['-o', 'log.segment.bytes=2048']);
        assert.ok(!(await readdir(dir)).includes('clean-shutdown-summary'), 'removed once the broker runs');
        assert.deepEqual(await epochEnds(b.port), before, 'the epochs and their ends are as before the restart');
        assert.deepEqual(await consumeAll(b.bootstrap, 200), values(0, 200));
        await produce(b.bootstrap, 200, 40);
        assert.deepEqual(await consumeAll(b.bootstrap, 240), values(0, 240));
      } finally {
        await b.kill('SIGTERM');
      }
    });
  }

  it('takes idempotent and transactional producers on logs no producer wrote to before the restart; ListOffsets, committed group offsets and epochs are as before (kafkajs)', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    let b = await childBroker(dir);
    try {
      let admin = kafka(b.bootstrap).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 's', numPartitions: PARTITIONS }] });
      await produce(b.bootstrap, 0, 40);
      // A group that consumed everything and committed (kafkajs commits as it goes and when it leaves).
      assert.deepEqual(await consumeAll(b.bootstrap, 40, 'committed'), values(0, 40));
      const offsets = await admin.fetchTopicOffsets('s');
      const committed = await admin.fetchOffsets({ groupId: 'committed', topics: ['s'] });
      assert.equal(committed[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0), 40, 'the group committed every record');
      await admin.disconnect();
      const epochs = await epochEnds(b.port);
      assert.equal(await b.kill('SIGTERM'), 0);
      const summary = await readSummary(dir);
      assert.ok(summary.logs.filter((l) => l.dir.startsWith('s-')).every((l) => l.producers === undefined), 'no producer state before the restart');
      b = await childBroker(dir);
      admin = kafka(b.bootstrap).admin();
      await admin.connect();
      try {
        assert.deepEqual(await admin.fetchTopicOffsets('s'), offsets, 'ListOffsets answers as before the restart');
        assert.deepEqual(await admin.fetchOffsets({ groupId: 'committed', topics: ['s'] }), committed, 'the group\'s committed offsets are as before');
        assert.deepEqual(await epochEnds(b.port), epochs);
        await produce(b.bootstrap, 40, 20, true);
        const tx = kafka(b.bootstrap).producer({ transactionalId: 'summary-tx', idempotent: true, maxInFlightRequests: 1 });
        await tx.connect();
        try {
          const aborted = await tx.transaction();
          await aborted.send({ topic: 's', messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: 'gone-x' })) });
          await aborted.abort();
          const t = await tx.transaction();
          await t.send({ topic: 's', messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: `t${partition}-x` })) });
          await t.commit();
        } finally {
          await tx.disconnect();
        }
        // kafkajs reads read_committed: the aborted transaction is not seen, the committed one is.
        const got = await consumeAll(b.bootstrap, 60 + PARTITIONS);
        assert.deepEqual(got, [...values(0, 60), ...Array.from({ length: PARTITIONS }, (_, p) => `t${p}`)].sort());
        const later = await admin.fetchTopicOffsets('s');
        // Each partition: its records, the aborted and the committed transaction's record and marker each.
        assert.equal(later.reduce((n, o) => n + Number(o.high), 0), 60 + 4 * PARTITIONS);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await b.kill('SIGTERM');
    }
  });

  it('keeps the producer state of logs written by idempotent producers (kafkajs idempotent: true, raw retries)', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    let b = await childBroker(dir);
    const batch = (pid: bigint, seq: number) => encodeUncompressedRecordBatch({ producerId: pid, producerEpoch: 0, baseSequence: seq, records: [{ value: Buffer.from(`raw${seq}-x`) }] });
    const send = async (port: number, records: Buffer) => {
      const c = await RawClient.connect(port);
      try {
        const res = await c.send(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 's', partitionData: [{ index: 0, records }] }] });
        return res.responses[0]!.partitionResponses[0]!;
      } finally {
        c.close();
      }
    };
    try {
      const admin = kafka(b.bootstrap).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 's', numPartitions: PARTITIONS }] });
      await admin.disconnect();
      await produce(b.bootstrap, 0, 40, true);
      const c = await RawClient.connect(b.port);
      const init = await c.send(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      c.close();
      const first = await send(b.port, batch(init.producerId, 0));
      assert.equal(first.errorCode, ErrorCode.NONE);
      assert.equal(await b.kill('SIGTERM'), 0);
      const summary = await readSummary(dir);
      const ours = summary.logs.filter((l) => l.dir.startsWith('s-'));
      assert.deepEqual(ours.map((l) => l.dir).sort(), Array.from({ length: PARTITIONS }, (_, p) => `s-${p}`), 'every partition is in the summary');
      assert.ok(ours.every((l) => typeof l.producers === 'string'), 'with its producer state');
      b = await childBroker(dir);
      const retried = await send(b.port, batch(init.producerId, 0));
      assert.equal(retried.errorCode, ErrorCode.NONE, 'a retry of a batch written before the restart is a duplicate, answered as written');
      assert.equal(retried.baseOffset, first.baseOffset);
      assert.equal((await send(b.port, batch(init.producerId, 5))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.equal((await send(b.port, batch(init.producerId, 1))).errorCode, ErrorCode.NONE);
      await produce(b.bootstrap, 40, 20, true);
      const got = await consumeAll(b.bootstrap, 62);
      assert.deepEqual(got.filter((v) => v.startsWith('v')), values(0, 60));
      assert.deepEqual(got.filter((v) => v.startsWith('raw')), ['raw0', 'raw1']);
    } finally {
      await b.kill('SIGTERM');
    }
  });
});
