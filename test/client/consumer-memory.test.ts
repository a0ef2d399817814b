/**
 * What the consumer keeps alive. A fetched chunk waits in the fetch-ahead queue long enough to be
 * promoted to V8's old generation; once the iterator has moved past it, it must not keep pointing
 * at its decoded records, or every scavenge keeps them (and promotes them) until the next full GC
 * (at 100 B records that was half of the consumer's CPU). Records come from kafkajs, so the
 * batches are not Samsa's own; their timestamps (shared and alternating) are checked too, as
 * records with the same timestamp share its bigint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { type Consumer, SamsaClient } from '../../src/client/index.js';
import { testBroker } from '../helpers/test-broker.js';

interface ChunkView {
  records: unknown[] | undefined;
}
/** The consumer's queue of fetched chunks (private: this test checks what it holds on to). */
const chunksOf = (c: Consumer) => (c as unknown as { chunks: ChunkView[] }).chunks;

describe('consumer memory', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: SamsaClient;
  const topic = 'memory';
  const RECORDS = 3000;
  const T0 = 1_700_000_000_000;
  const timestampOf = (i: number) => T0 + (i % 7 === 3 ? 5 : 0) + Math.floor(i / 1000);
  before(async () => {
    broker = await testBroker();
    client = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
    await client.admin().createTopics([{ name: topic, partitions: 1 }]);
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    for (let s = 0; s < RECORDS; s += 100) {
      await producer.send({ topic, messages: Array.from({ length: 100 }, (_, k) => ({ value: `v${s + k}`.padEnd(200, '.'), timestamp: String(timestampOf(s + k)) })) });
    }
    await producer.disconnect();
  });
  after(async () => {
    await client.close();
    await broker.stop();
  });

  for (const mode of ['batches', 'records'] as const) {
    it(`a chunk the ${mode} iterator has moved past holds no records; every record has its own timestamp`, async () => {
      // Small fetches, so the records come in many chunks.
      const consumer = client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 100, maxPartitionBytes: 4096 });
      consumer.assign([{ topic, partition: 0 }]);
      const it = (mode === 'batches' ? consumer.batches() : consumer)[Symbol.asyncIterator]();
      // Every chunk the poll loop queues is watched from the moment it is queued.
      const seen = new Set<ChunkView>();
      const queue = chunksOf(consumer);
      const push = queue.push.bind(queue);
      queue.push = (...added: ChunkView[]) => {
        for (const c of added) seen.add(c);
        return push(...added);
      };
      let read = 0;
      let passed = 0;
      try {
        while (read < RECORDS) {
          const next = await it.next();
          assert.equal(next.done, false);
          for (const r of Array.isArray(next.value) ? next.value : [next.value]) {
            assert.equal(r.offset, BigInt(read));
            assert.equal(r.timestamp, BigInt(timestampOf(read)), `timestamp of offset ${read}`);
            read++;
          }
          const queued = new Set(queue);
          for (const c of seen) {
            if (queued.has(c)) continue;
            assert.equal(c.records, undefined, 'a consumed chunk still holds its records');
            seen.delete(c);
            passed++;
          }
        }
      } finally {
        await consumer.close();
      }
      assert.ok(passed > 10, `only ${passed} chunks were seen consumed`);
    });
  }
});
