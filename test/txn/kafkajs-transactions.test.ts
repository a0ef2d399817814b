/**
 * Transactions with kafkajs against an in-process broker, read back by kcat (librdkafka) at both
 * isolation levels: a committed transaction is visible to read_committed, an aborted one is not
 * (read_uncommitted sees both), an open one holds read_committed at the last stable offset;
 * sendOffsets commits a group's offsets with the transaction (and an abort drops them); two
 * producers with one transactional.id fence each other; and the coordinator aborts a transaction
 * that outlives its transaction.timeout.ms, fencing its producer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { kcat } from '../helpers/kcat.js';
import { testBroker } from '../helpers/test-broker.js';
import { waitFor } from '../group/kafkajs-helpers.js';

/** Every value of `topic` kcat reads to the end, at `isolation`. */
async function kcatValues(bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const out = await kcat(['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n', '-X', `isolation.level=${isolation}`]);
  return out.split('\n').filter(Boolean).sort();
}

const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('transactions with kafkajs, read by kcat', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let kafka: Kafka;
  let admin: Admin;
  const producers: Producer[] = [];
  const producer = async (transactionalId: string, transactionTimeout = 30_000): Promise<Producer> => {
    const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout, retry: { retries: 5, initialRetryTime: 50 } });
    producers.push(p);
    await p.connect();
    return p;
  };

  before(async () => {
    broker = await testBroker({ config: { 'transaction.state.log.num.partitions': '4', 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '100', 'group.initial.rebalance.delay.ms': '0' } });
    kafka = new Kafka({ clientId: 'txn-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'txn', numPartitions: 2 }, { topic: 'fenced', numPartitions: 1 }, { topic: 'expiring', numPartitions: 1 }] });
  });
  after(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await admin.disconnect();
    await broker.stop();
  });

  it('commit is visible to read_committed, abort is not, an open transaction holds read_committed back', async () => {
    const p = await producer('commit-abort');
    const committed = await p.transaction();
    await committed.send({ topic: 'txn', messages: values('committed', 10).map((value, i) => ({ value, partition: i % 2 })) });
    await committed.commit();
    const aborted = await p.transaction();
    await aborted.send({ topic: 'txn', messages: values('aborted', 10).map((value, i) => ({ value, partition: i % 2 })) });
    await aborted.abort();
    const open = await p.transaction();
    await open.send({ topic: 'txn', messages: values('open', 6).map((value, i) => ({ value, partition: i % 2 })) });

    assert.deepEqual(await kcatValues(broker.bootstrap, 'txn', 'read_committed'), values('committed', 10).sort());
    assert.deepEqual(await kcatValues(broker.bootstrap, 'txn', 'read_uncommitted'), [...values('committed', 10), ...values('aborted', 10), ...values('open', 6)].sort());
    await open.commit();
    assert.deepEqual(await kcatValues(broker.bootstrap, 'txn', 'read_committed'), [...values('committed', 10), ...values('open', 6)].sort());
  });

  it('sendOffsets commits the group offsets with the transaction; an abort drops them', async () => {
    const p = await producer('offsets');
    const t1 = await p.transaction();
    await t1.send({ topic: 'txn', messages: [{ value: 'with-offsets', partition: 0 }] });
    await t1.sendOffsets({ consumerGroupId: 'txn-group', topics: [{ topic: 'txn', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '7' }] }] });
    await t1.commit();
    const fetched = async () => (await admin.fetchOffsets({ groupId: 'txn-group', topics: ['txn'] }))[0]!.partitions.map((x) => [x.partition, x.offset]).sort();
    assert.deepEqual(await fetched(), [[0, '5'], [1, '7']]);
    const t2 = await p.transaction();
    await t2.sendOffsets({ consumerGroupId: 'txn-group', topics: [{ topic: 'txn', partitions: [{ partition: 0, offset: '99' }] }] });
    await t2.abort();
    assert.deepEqual(await fetched(), [[0, '5'], [1, '7']]);
  });

  it('a second producer with the same transactional.id fences the first and aborts its open transaction', async () => {
    const first = await producer('shared-id');
    const t1 = await first.transaction();
    await t1.send({ topic: 'fenced', messages: [{ value: 'from-first' }] });
    const second = await producer('shared-id');
    const t2 = await second.transaction();
    await t2.send({ topic: 'fenced', messages: [{ value: 'from-second' }] });
    await assert.rejects(
      async () => {
        await t1.send({ topic: 'fenced', messages: [{ value: 'late-first' }] });
        await t1.commit();
      },
      (err: Error & { type?: string }) => err.type === 'INVALID_PRODUCER_EPOCH' || err.type === 'PRODUCER_FENCED' || /fenced|epoch/i.test(err.message),
    );
    await t2.commit();
    assert.deepEqual(await kcatValues(broker.bootstrap, 'fenced', 'read_committed'), ['from-second']);
  });

  it('the coordinator aborts a transaction past its timeout and fences its producer', async () => {
    const p = await producer('expiring', 1000);
    const t = await p.transaction();
    await t.send({ topic: 'expiring', messages: [{ value: 'never-committed' }] });
    // Bounded: the coordinator checks every 100 ms for transactions older than 1 s.
    await waitFor('the timed-out transaction to be aborted', async () => (await admin.fetchTopicOffsets('expiring'))[0]!.high === '2', 20_000);
    assert.deepEqual(await kcatValues(broker.bootstrap, 'expiring', 'read_committed'), []);
    assert.deepEqual(await kcatValues(broker.bootstrap, 'expiring', 'read_uncommitted'), ['never-committed']);
    await assert.rejects(() => t.commit(), (err: Error & { type?: string }) => err.type === 'INVALID_PRODUCER_EPOCH' || err.type === 'PRODUCER_FENCED' || /fenced|epoch/i.test(err.message));
  });
});
