/**
 * Samsa's producer is idempotent by default: batches carry a producer id and consecutive
 * sequences; an answer lost on the way back (a proxy cuts the connection after the broker wrote
 * the batch) is retried without the batch being written twice, with five batches in flight per
 * partition; a refused batch fails alone while the batches sent after it are numbered again and
 * written. kafkajs reads the result back as the independent witness.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaProtocolError, SamsaClient, SamsaClientError } from '../../src/client/index.js';
import { FetchApi } from '../../src/protocol/messages/index.js';
import { type RecordBatchHeader, iterateBatches, readBatchHeader } from '../../src/protocol/records/index.js';
import { CuttingProxy } from '../helpers/cutting-proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { readToLogEnd } from '../helpers/read-to-log-end.js';
import { testBroker } from '../helpers/test-broker.js';

describe('idempotent producer', { timeout: 120_000 }, () => {
  let proxy: CuttingProxy;
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: SamsaClient;
  before(async () => {
    proxy = await CuttingProxy.listen();
    broker = await testBroker({ config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`, 'auto.create.topics.enable': 'false' } });
    proxy.targetPort = broker.port;
    client = new SamsaClient({ bootstrapServers: [`127.0.0.1:${proxy.port}`] });
  });
  after(async () => {
    await client.close();
    await broker.stop();
    await proxy.close();
  });

  /** Every value of `topic` (one partition), read by kafkajs up to its log end offset: a record written twice is there. */
  async function kafkajsValues(topic: string): Promise<string[]> {
    return (await readToLogEnd(broker.bootstrap, topic, `witness-${topic}`)).map((r) => r.value);
  }

  async function batchHeaders(topic: string): Promise<RecordBatchHeader[]> {
    const c = await RawClient.connect(broker.port);
    try {
      const res = await c.send(FetchApi, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 64 << 20 }] }] });
      const records = res.responses[0]!.partitions[0]!.records!;
      return [...iterateBatches(records)].map((span) => readBatchHeader(records, span.position));
    } finally {
      c.close();
    }
  }

  it('is on by default: batches carry one producer id and sequences that follow the offsets', async () => {
    await client.admin().createTopics([{ name: 'idem-default', partitions: 1 }]);
    const producer = client.producer({ batchSize: 1000 });
    const meta = await producer.send('idem-default', Array.from({ length: 60 }, (_, i) => ({ value: `v${i}` })));
    assert.equal(producer.idempotent, true);
    assert.deepEqual(meta.map((m) => m.offset), Array.from({ length: 60 }, (_, i) => BigInt(i)));
    const headers = await batchHeaders('idem-default');
    assert.ok(headers.length > 3, `several batches (${headers.length})`);
    assert.equal(new Set(headers.map((h) => h.producerId)).size, 1);
    assert.ok(headers[0]!.producerId >= 0n);
    for (const h of headers) assert.equal(BigInt(h.baseSequence), h.baseOffset, 'sequence = offset for a single producer');
  });

  it('a lost answer is retried and written once; without idempotence the same loss writes it twice', async () => {
    await client.admin().createTopics([{ name: 'idem-lost', partitions: 1 }, { name: 'plain-lost', partitions: 1 }]);
    for (const [topic, idempotent] of [['idem-lost', true], ['plain-lost', false]] as const) {
      const producer = client.producer({ idempotent, retryBackoffMs: 10 });
      await producer.send(topic, { value: 'a' });
      const cutsBefore = proxy.cuts;
      proxy.loseNextProduceAnswers(1);
      const [m] = await producer.send(topic, { value: 'b' });
      assert.equal(proxy.cuts, cutsBefore + 1, 'the answer was lost');
      await producer.send(topic, { value: 'c' });
      if (idempotent) {
        assert.equal(m!.offset, 1n, 'the retry is answered with the offset of the first write');
        assert.deepEqual(await kafkajsValues(topic), ['a', 'b', 'c']);
      } else {
        assert.deepEqual(await kafkajsValues(topic), ['a', 'b', 'b', 'c']);
      }
    }
  });

  it('five batches in flight through three lost answers: every record once, in order', async () => {
    await client.admin().createTopics([{ name: 'idem-pipeline', partitions: 1 }]);
    const producer = client.producer({ batchSize: 4000, lingerMs: 1, retryBackoffMs: 10 });
    const total = 5000;
    const value = (i: number) => `${i}`.padStart(6, '0') + 'x'.repeat(100);
    const sends: Promise<unknown>[] = [];
    const cutsBefore = proxy.cuts;
    for (let i = 0; i < total; i += 250) {
      sends.push(producer.send('idem-pipeline', Array.from({ length: 250 }, (_, j) => ({ value: value(i + j) }))));
      if (i % 1500 === 500) proxy.loseNextProduceAnswers(1);
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(sends);
    assert.equal(proxy.cuts, cutsBefore + 3);
    const got = await kafkajsValues('idem-pipeline');
    assert.equal(got.length, total);
    got.forEach((v, i) => assert.equal(v, value(i), `record ${i}`));
  });

  it('a refused batch fails alone; the batches sent after it are numbered again and written', async () => {
    await client.admin().createTopics([{ name: 'idem-refused', partitions: 1, configs: { 'max.message.bytes': '2000' } }]);
    const producer = client.producer({ lingerMs: 0, retryBackoffMs: 10 });
    await producer.send('idem-refused', { value: 'r0' });
    const results = await Promise.allSettled(['r1', 'x'.repeat(3000), 'r3', 'r4'].map((value) => producer.send('idem-refused', { value })));
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'], results.map((r) => String((r as PromiseRejectedResult).reason)).join(', '));
    const refused = (results[1] as PromiseRejectedResult).reason as KafkaProtocolError;
    assert.equal(refused.type, 'MESSAGE_TOO_LARGE');
    assert.deepEqual(await kafkajsValues('idem-refused'), ['r0', 'r1', 'r3', 'r4']);
    assert.deepEqual((await batchHeaders('idem-refused')).map((h) => h.baseSequence), [0, 1, 2, 3]);
  });

  it('with lingerMs 0 (Kafka\'s linger.ms=0), records sent while the requests in flight are at their limit gather in one batch, in order', async () => {
    for (const [topic, acks] of [['linger-zero-acks1', 1], ['linger-zero-idem', 'all']] as const) {
      await client.admin().createTopics([{ name: topic, partitions: 1 }]);
      const producer = client.producer({ lingerMs: 0, acks });
      const meta = await producer.send(topic, Array.from({ length: 500 }, (_, i) => ({ value: `z${i}` })));
      assert.deepEqual(meta.map((m) => Number(m.offset)), Array.from({ length: 500 }, (_, i) => i));
      const headers = await batchHeaders(topic);
      // The first record leaves at once, alone; the other 499 arrive while it is in flight (one
      // request at a time: acks=1 without idempotence, or idempotence not yet confirmed) and wait for it together.
      assert.equal(headers[0]!.recordCount, 1, topic);
      assert.equal(headers[1]!.recordCount, 499, topic);
      assert.equal(headers.length, 2, topic);
      if (acks === 'all') assert.deepEqual(headers.map((h) => h.baseSequence), [0, 1]);
      assert.deepEqual(await kafkajsValues(topic), Array.from({ length: 500 }, (_, i) => `z${i}`));
    }
  });

  it('is off by default with acks 0 or 1; asking for it with them, or more than 5 in flight, is refused', () => {
    assert.equal(client.producer({ acks: 1 }).idempotent, false);
    assert.equal(client.producer({ acks: 0 }).idempotent, false);
    assert.throws(() => client.producer({ acks: 1, idempotent: true }), (e: unknown) => e instanceof SamsaClientError && e.code === 'SAMSA_CONFIG' && /acks=all/.test(e.message));
    assert.throws(() => client.producer({ maxInFlight: 6 }), (e: unknown) => e instanceof SamsaClientError && /at most 5/.test(e.message));
  });
});
