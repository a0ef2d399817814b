/**
 * A transactional batch needs the request's transactional id, as Kafka's KafkaApis decides: a
 * produce request carrying one without it is answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED for
 * every partition and nothing is appended. Appended, the batch would open a transaction no
 * coordinator knows: nothing would ever commit or abort it, and the partition's last stable offset
 * would stay before it, so read_committed consumers (kafkajs's default) would never see a later
 * record.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ProduceApi } from '../../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { RawClient } from '../helpers/raw-client.js';
import { testBroker } from '../helpers/test-broker.js';

describe('a transactional batch without a transactional id', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  const kafka = () => new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  before(async () => {
    broker = await testBroker();
  });
  after(() => broker.stop());

  it('is refused for the whole request, and read_committed consumers still read what follows (kafkajs)', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'no-txn-id', numPartitions: 2 }] });
    await admin.disconnect();
    const raw = await RawClient.connect(broker.port);
    try {
      const transactional = await encodeRecordBatch({ isTransactional: true, producerId: 4242n, producerEpoch: 0, baseSequence: 0, records: [{ key: Buffer.from('k'), value: Buffer.from('hanging') }] });
      const plain = await encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('plain') }] });
      const res = await raw.send(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'no-txn-id', partitionData: [{ index: 0, records: transactional }, { index: 1, records: plain }] }] });
      assert.deepEqual(
        res.responses[0]!.partitionResponses.map((p) => p.errorCode),
        [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
      );
    } finally {
      raw.close();
    }
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic: 'no-txn-id', messages: [{ partition: 0, value: 'after' }] });
    await producer.disconnect();
    // kafkajs reads read_committed by default: a hanging transaction at offset 0 would hide 'after'
    // (and the refused request's plain record on partition 1 must not be there either).
    const consumer = kafka().consumer({ groupId: 'no-txn-id-reader', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'no-txn-id', fromBeginning: true });
    const seen: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read_committed saw ${JSON.stringify(seen)} in 10 s`)), 10_000);
        void consumer.run({
          eachMessage: async ({ partition, message }) => {
            seen.push(`${partition}:${String(message.value)}`);
            if (partition !== 0) return;
            clearTimeout(timer);
            resolve();
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(seen, ['0:after']);
  });
});
