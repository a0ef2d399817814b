/**
 * A `samsa broker` restarted after a clean SIGTERM builds its logs from the clean-shutdown summary
 * (docs/storage.md) and opens their files on first use: kafkajs reads back everything produced
 * before the restart (old segments included), produces more, and reads that too; OffsetForLeaderEpoch
 * answers from the epochs the summary carried. A second broker, restarted after kill -9 (no
 * summary), serves the same.
 */
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { OffsetForLeaderEpochApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { childBroker, tempDir } from '../helpers/test-broker.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const PARTITIONS = 4;
const kafka = (bootstrap: string) => new Kafka({ clientId: 'summary-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });

async function produce(bootstrap: string, from: number, n: number): Promise<void> {
  const producer = kafka(bootstrap).producer();
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
async function consumeAll(bootstrap: string, expected: number): Promise<string[]> {
  const consumer = kafka(bootstrap).consumer({ groupId: `g-${Math.random()}`, maxWaitTimeInMs: 100 });
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
});
