/**
 * A broker process (fsync before ack) killed with SIGKILL while kafkajs transactions are open and
 * in flight: one open (records written, no EndTxn), one committing (killed once the coordinator
 * has its PrepareCommit: each transaction spans 48 partitions, so mostly while its markers are
 * being written, one fsync each), one whose abort was just sent, one still sending; the coordinator
 * confirms all four Ongoing with their partitions (and the last stable offsets held back) before
 * the ends are sent, and the open one Ongoing at the kill. After the restart the coordinator
 * completes or times out each of them, and read_committed (kcat) shows every transaction whole or
 * not at all: the ones committed before the kill and the committing one whole, the open, aborting
 * and sending ones not at all, and never part of a transaction.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { Kafka, logLevel, type Producer, type Transaction } from 'kafkajs';
import { SamsaClient } from '../../src/client/index.js';
import { ListOffsetsApi } from '../../src/protocol/messages/index.js';
import { waitFor } from '../group/kafkajs-helpers.js';
import { kcat } from '../helpers/kcat.js';
import { RawClient } from '../helpers/raw-client.js';
import { childBroker, freePort, tempDir } from '../helpers/test-broker.js';

const TOPIC = 'crash-txn';
/** Every transaction writes one record to each partition: the committing one's markers take a while (an fsync each). */
const PARTITIONS = 48;
const PER_TXN = PARTITIONS;
/** Values padded so that the writes in flight take a moment. */
const PAD = 'x'.repeat(2000);

const batch = (id: string, n: number) => Array.from({ length: PER_TXN }, (_, i) => ({ value: `${id}/${n}/${i}/${PAD}`, partition: i % PARTITIONS }));

/** The latest offset of each partition at an isolation level (0 read_uncommitted: high watermark, 1 read_committed: last stable offset). */
async function latest(port: number, isolationLevel: 0 | 1): Promise<bigint[]> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.send(ListOffsetsApi, 5, { replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n })) }] });
    return res.topics[0]!.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.offset);
  } finally {
    c.close();
  }
}

describe('transactions through a broker kill -9', { timeout: 180_000 }, () => {
  it('every transaction open or in flight at the kill ends committed or aborted, never half-visible to read_committed', async () => {
    const dir = await tempDir();
    const port = await freePort();
    const args = ['--port', String(port), '-o', 'samsa.log.fsync.before.ack=true', '-o', 'transaction.state.log.num.partitions=4', '-o', 'transaction.abort.timed.out.transaction.cleanup.interval.ms=200'];
    let broker = await childBroker(dir, args);
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
    const producers: Producer[] = [];
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
    try {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
      await admin.disconnect();
      const producer = async (id: string) => {
        // A short transaction timeout: after the restart the coordinator aborts what nobody ends.
        const p = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 3000, retry: { retries: 1, initialRetryTime: 50 } });
        producers.push(p);
        await p.connect();
        return p;
      };

      const committer = await producer('committer');
      for (const n of [0, 1]) {
        const t = await committer.transaction();
        await t.send({ topic: TOPIC, messages: batch('committer', n) });
        await t.commit();
      }
      const open: Record<string, Transaction> = {};
      for (const id of ['open', 'committing', 'aborting', 'sending']) {
        open[id] = await (await producer(id)).transaction();
        await open[id].send({ topic: TOPIC, messages: batch(id, 0) });
      }
      const described = await client.admin().describeTransactions(Object.keys(open));
      for (const d of described) {
        assert.equal(d.state, 'Ongoing', `${d.transactionalId} is open before the kill`);
        assert.deepEqual(d.topics, [{ topic: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => p) }]);
      }
      const hwBefore = await latest(port, 0);
      const lsoBefore = await latest(port, 1);
      assert.ok(lsoBefore.every((lso, p) => lso < hwBefore[p]!), 'open transactions hold the last stable offset back on every partition');

      const ending = [
        open['committing']!.commit(),
        open['aborting']!.abort(),
        ...[1, 2, 3].map((n) => open['sending']!.send({ topic: TOPIC, messages: batch('sending', n) })),
      ].map((p) => p.catch(() => undefined));
      // Kill once the coordinator has the commit (PrepareCommit durable: it must end committed), the others still open or ending.
      let atKill = new Map<string, string>();
      await waitFor('the coordinator to take the commit', async () => {
        atKill = new Map((await client.admin().describeTransactions(Object.keys(open))).map((d) => [d.transactionalId, d.state]));
        return /^(PrepareCommit|CompleteCommit)$/.test(atKill.get('committing')!);
      });
      assert.equal(atKill.get('open'), 'Ongoing');
      await broker.kill('SIGKILL');
      await Promise.all(ending);

      broker = await childBroker(dir, args);
      // Bounded: the restarted coordinator completes prepared transactions at load and aborts the others after their 3 s timeout.
      await waitFor('every transaction to be decided (last stable offset = high watermark)', async () => {
        const [hw, lso] = await Promise.all([latest(port, 0), latest(port, 1)]);
        return hw.every((h, p) => lso[p] === h);
      }, 60_000);

      const lines = (await kcat(['-b', broker.bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%s\n', '-X', 'isolation.level=read_committed'])).split('\n').filter(Boolean);
      const perTxn = new Map<string, number>();
      for (const l of lines) {
        const [id, n] = l.split('/');
        perTxn.set(`${id}/${n}`, (perTxn.get(`${id}/${n}`) ?? 0) + 1);
      }
      for (const [txn, count] of perTxn) assert.equal(count, PER_TXN, `${txn} is whole: ${count} of ${PER_TXN} records visible`);
      assert.equal(perTxn.get('committer/0'), PER_TXN);
      assert.equal(perTxn.get('committer/1'), PER_TXN);
      assert.equal(perTxn.has('open/0'), false, 'the open transaction was aborted');
      assert.equal(perTxn.has('aborting/0'), false, 'the aborting transaction was aborted');
      assert.equal(perTxn.has('sending/0'), false, 'the transaction still sending was aborted');
      assert.equal(perTxn.get('committing/0'), PER_TXN, `a commit the coordinator took (${atKill.get('committing')} at the kill) ends committed`);
      const after = await client.admin().listTransactions();
      for (const t of after) assert.match(t.state, /^(CompleteCommit|CompleteAbort|Empty)$/, `${t.transactionalId} ended`);
    } finally {
      for (const p of producers) await p.disconnect().catch(() => undefined);
      await client.close();
      await broker.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
