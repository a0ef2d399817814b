/**
 * Samsa's transactional producer and read_committed consumer against an in-process broker:
 * committed records are read at both isolation levels and aborted ones only at read_uncommitted;
 * a second producer with the same transactional id fences the first (ProducerFencedError); and
 * consumeTransformProduce turns every input record into one output record, committing the group's
 * offsets with each transaction.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ConsumerRecord, ProducerFencedError, SamsaClient, consumeTransformProduce, stringSerde } from '../../src/client/index.js';
import { testBroker } from '../helpers/test-broker.js';

describe('Samsa client transactions', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: SamsaClient;
  before(async () => {
    broker = await testBroker({ config: { 'transaction.state.log.num.partitions': '3', 'group.initial.rebalance.delay.ms': '0' } });
    client = new SamsaClient({ bootstrapServers: [broker.bootstrap], clientId: 'txn-client-test' });
    await client.admin().createTopics([{ name: 'ctx', partitions: 2 }, { name: 'ctq', partitions: 2 }, { name: 'ctp-in', partitions: 2 }, { name: 'ctp-out', partitions: 2 }]);
  });
  after(async () => {
    await client.close();
    await broker.stop();
  });

  /** Every value of a topic up to its end (read_committed: its last stable offset). */
  async function readValues(topic: string, isolationLevel: 'read_committed' | 'read_uncommitted', expected: number): Promise<string[]> {
    const c = client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 100, isolationLevel, valueDeserializer: stringSerde });
    c.assign([0, 1].map((partition) => ({ topic, partition })));
    const out: string[] = [];
    try {
      for await (const batch of c.batches()) {
        for (const r of batch) out.push(r.value!);
        if (out.length >= expected) break;
      }
    } finally {
      await c.close();
    }
    return out.sort();
  }

  it('commit and abort: read_committed sees the committed records only', async () => {
    const producer = client.producer({ transactionalId: 'client-a', valueSerializer: stringSerde });
    const t1 = await producer.transaction();
    await t1.send('ctx', [0, 1, 2, 3].map((i) => ({ value: `c${i}`, partition: i % 2 })));
    await t1.commit();
    const t2 = await producer.transaction();
    await t2.send('ctx', [0, 1].map((i) => ({ value: `a${i}`, partition: i % 2 })));
    await t2.abort();
    const t3 = await producer.transaction();
    await t3.send('ctx', [{ value: 'last', partition: 0 }, { value: 'last', partition: 1 }]);
    await t3.commit();
    assert.deepEqual(await readValues('ctx', 'read_uncommitted', 8), ['a0', 'a1', 'c0', 'c1', 'c2', 'c3', 'last', 'last']);
    // 'last' closes both partitions: reading it means everything before it was read.
    assert.deepEqual(await readValues('ctx', 'read_committed', 6), ['c0', 'c1', 'c2', 'c3', 'last', 'last']);
  });

  it('sends not awaited before commit() are in the committed transaction, not the next one', async () => {
    const producer = client.producer({ transactionalId: 'client-queued', valueSerializer: stringSerde });
    const t1 = await producer.transaction();
    // Queued, not awaited: commit() must flush them into this transaction (the first one also waits for metadata).
    const sends = [0, 1, 2].map((i) => t1.send('ctq', [{ value: `q${i}`, partition: i % 2 }]));
    await t1.commit();
    assert.deepEqual((await Promise.all(sends)).map((m) => m.length), [1, 1, 1]);
    const t2 = await producer.transaction();
    await t2.send('ctq', [{ value: 'aborted', partition: 0 }]);
    await t2.abort();
    assert.deepEqual(await readValues('ctq', 'read_committed', 3), ['q0', 'q1', 'q2']);
  });

  it('a second producer with the transactional id fences the first', async () => {
    const first = client.producer({ transactionalId: 'client-shared', valueSerializer: stringSerde });
    const t1 = await first.transaction();
    await t1.send('ctx', [{ value: 'first', partition: 0 }]);
    const second = client.producer({ transactionalId: 'client-shared', valueSerializer: stringSerde });
    const t2 = await second.transaction();
    await t2.send('ctx', [{ value: 'second', partition: 1 }]);
    await assert.rejects(() => t1.commit(), ProducerFencedError);
    await t2.commit();
  });

  it('consumeTransformProduce: every input record once in the output, the group offsets committed with it', async () => {
    const input = client.producer({ valueSerializer: stringSerde });
    await input.send('ctp-in', Array.from({ length: 40 }, (_, i) => ({ value: `in-${i}`, partition: i % 2 })));
    const consumer = client.consumer({ groupId: 'ctp', autoCommit: false, isolationLevel: 'read_committed', autoOffsetReset: 'earliest', maxWaitMs: 100, valueDeserializer: stringSerde });
    consumer.subscribe('ctp-in');
    const producer = client.producer({ transactionalId: 'ctp-1', valueSerializer: stringSerde });
    let seen = 0;
    const loop = consumeTransformProduce({
      consumer,
      producer,
      transform: (records: ConsumerRecord<Buffer | null, string | null>[]) => {
        seen += records.length;
        return [{ topic: 'ctp-out', records: records.map((r) => ({ value: r.value!.toUpperCase(), partition: r.partition })) }];
      },
    });
    const output = await readValues('ctp-out', 'read_committed', 40);
    await consumer.close();
    await loop;
    assert.deepEqual(output, Array.from({ length: 40 }, (_, i) => `IN-${i}`).sort());
    assert.equal(seen, 40);
    const offsets = await client.admin().fetchOffsets('ctp', ['ctp-in']);
    assert.deepEqual(offsets.map((o) => [o.partition, o.offset]), [[0, 20n], [1, 20n]]);
  });
});
