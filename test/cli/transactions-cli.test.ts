/**
 * `samsa transactions list|describe|describe-producers` (the built binary) against an in-process
 * broker holding one committed and one open kafkajs transaction: tables and --json, the state
 * filter, the open transaction's partitions and its first offset in the partition, and exit code
 * 1 for an unknown transactional id.
 */
import assert from 'node:assert/strict';
import { runSamsa as samsa } from '../helpers/samsa-cli.js';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { testBroker } from '../helpers/test-broker.js';


describe('samsa transactions', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let b: string[];
  const producers: Producer[] = [];
  before(async () => {
    broker = await testBroker({ config: { 'transaction.state.log.num.partitions': '3' } });
    b = ['-b', broker.bootstrap];
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'cli-txn', numPartitions: 2 }] });
    await admin.disconnect();
    for (const id of ['cli-done', 'cli-open']) {
      const p = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
      producers.push(p);
      await p.connect();
    }
    const done = await producers[0]!.transaction();
    await done.send({ topic: 'cli-txn', messages: [{ value: 'a', partition: 1 }] });
    await done.commit();
    const open = await producers[1]!.transaction();
    await open.send({ topic: 'cli-txn', messages: [{ value: 'b', partition: 0 }, { value: 'c', partition: 0 }] });
  });
  after(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await broker.stop();
  });

  it('lists transactional ids with their state, filtered by state, in a table and in JSON', async () => {
    const table = await samsa(['transactions', 'list', ...b]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^TRANSACTIONAL ID\s+COORDINATOR\s+PRODUCER ID\s+STATE\n/);
    assert.match(table.stdout, /cli-done\s+1\s+\d+\s+CompleteCommit\n/);
    assert.match(table.stdout, /cli-open\s+1\s+\d+\s+Ongoing\n/);
    const json = JSON.parse((await samsa(['transactions', 'list', '--json', ...b])).stdout) as { transactionalId: string; state: string; coordinatorId: number }[];
    assert.deepEqual(json.map((t) => [t.transactionalId, t.state, t.coordinatorId]), [['cli-done', 'CompleteCommit', 1], ['cli-open', 'Ongoing', 1]]);
    const ongoing = JSON.parse((await samsa(['transactions', 'list', '--state', 'Ongoing', '--json', ...b])).stdout) as { transactionalId: string }[];
    assert.deepEqual(ongoing.map((t) => t.transactionalId), ['cli-open']);
  });

  it("describes a transaction and the partition's producers; an unknown id fails", async () => {
    const d = await samsa(['transactions', 'describe', 'cli-open', '--json', ...b]);
    assert.equal(d.code, 0, d.stderr);
    const t = JSON.parse(d.stdout) as { transactionalId: string; state: string; producerId: number; producerEpoch: number; timeoutMs: number; startTimeMs: number; durationMs: number; topics: { topic: string; partitions: number[] }[] };
    assert.equal(t.state, 'Ongoing');
    assert.deepEqual(t.topics, [{ topic: 'cli-txn', partitions: [0] }]);
    assert.ok(t.startTimeMs > 0 && t.durationMs >= 0);
    const table = await samsa(['transactions', 'describe', '--transactional-id', 'cli-open', ...b]);
    assert.match(table.stdout, /^COORDINATOR\s+TRANSACTIONAL ID\s+PRODUCER ID\s+PRODUCER EPOCH\s+STATE\s+TIMEOUT MS\s+START TIME MS\s+DURATION MS\s+PARTITIONS\n\s*1\s+cli-open\s+/);
    assert.match(table.stdout, /Ongoing\s+60000\s+\d+\s+\d+\s+cli-txn-0\n$/);

    const producers = JSON.parse((await samsa(['transactions', 'describe-producers', '-t', 'cli-txn', '-p', '0', '--json', ...b])).stdout) as { producerId: number; currentTransactionStartOffset: number }[];
    assert.deepEqual(producers.map((p) => [p.producerId, p.currentTransactionStartOffset]), [[t.producerId, 0]]);

    const unknown = await samsa(['transactions', 'describe', 'no-such-id', ...b]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /TRANSACTIONAL_ID_NOT_FOUND/);
  });
});
