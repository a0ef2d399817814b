/**
 * A compacted topic takes only records with a key, as Kafka's LogValidator decides: compaction
 * keeps the latest record of each key, so a keyless record could be neither kept nor replaced.
 * A batch holding one is refused whole with INVALID_RECORD, Produce v8+ naming each keyless
 * record's index in the batch (record_errors), compressed or not; nothing of it is appended.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ProduceApi } from '../../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { kcat } from '../helpers/kcat.js';
import { RawClient } from '../helpers/raw-client.js';
import { testBroker } from '../helpers/test-broker.js';

describe('a compacted topic', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  const kafka = () => new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  before(async () => {
    broker = await testBroker();
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'compacted', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: 'compact-delete', configEntries: [{ name: 'cleanup.policy', value: 'compact,delete' }] },
        { topic: 'plain' },
      ],
    });
    await admin.disconnect();
  });
  after(() => broker.stop());

  /** The records of a partition as kcat reads them: `offset key=value` lines. */
  const read = async (topic: string) => (await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-q', '-f', '%o %k=%s\\n'])).trim().split('\n').filter(Boolean);

  it('refuses a kafkajs batch with a keyless record, plain or gzip, and appends nothing of it', async () => {
    const producer = kafka().producer();
    await producer.connect();
    try {
      for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
        await assert.rejects(
          producer.send({ topic: 'compacted', compression, messages: [{ key: 'k1', value: 'a' }, { value: 'no key' }, { key: 'k2', value: 'b' }] }),
          (err: Error & { type?: string }) => err.type === 'INVALID_RECORD',
        );
      }
      await producer.send({ topic: 'compacted', compression: CompressionTypes.GZIP, messages: [{ key: 'k1', value: 'a' }, { key: '', value: 'empty key' }] });
    } finally {
      await producer.disconnect();
    }
    // An empty key is a key, as in Kafka.
    assert.deepEqual(await read('compacted'), ['0 k1=a', '1 =empty key']);
  });

  it('refuses keyless records under compact,delete too, and takes them in a delete-only topic (kcat)', async () => {
    await assert.rejects(kcat(['-P', '-b', broker.bootstrap, '-t', 'compact-delete', '-X', 'acks=1', '-X', 'message.send.max.retries=0'], 'no key\n'), /Broker failed to validate record/);
    await kcat(['-P', '-b', broker.bootstrap, '-t', 'compact-delete', '-K:', '-X', 'acks=1'], 'k:v\n');
    assert.deepEqual(await read('compact-delete'), ['0 k=v']);
    await kcat(['-P', '-b', broker.bootstrap, '-t', 'plain', '-X', 'acks=1'], 'no key\n');
    assert.deepEqual(await read('plain'), ['0 =no key']);
  });

  it('names every keyless record of the batch in record_errors (Produce v8+), with Kafka\'s messages', async () => {
    const raw = await RawClient.connect(broker.port);
    try {
      const records = await encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('a') }, { key: null, value: Buffer.from('b') }, { key: null, value: Buffer.from('c') }] });
      const res = await raw.send(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'compacted', partitionData: [{ index: 0, records }] }] });
      const p = res.responses[0]!.partitionResponses[0]!;
      assert.equal(p.errorCode, ErrorCode.INVALID_RECORD);
      assert.deepEqual(
        p.recordErrors.map((e) => e.batchIndex),
        [1, 2],
      );
      assert.equal(p.recordErrors[0]!.batchIndexErrorMessage, 'Compacted topic cannot accept message without key in topic partition compacted-0.');
      assert.match(p.errorMessage ?? '', /^One or more records have been rejected due to 2 record errors/);
    } finally {
      raw.close();
    }
  });

  it('refuses keyless records once a topic is made compacted at run time (kafkajs alterConfigs)', async () => {
    const admin = kafka().admin();
    await admin.connect();
    const producer = kafka().producer();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'made-compacted' }] });
      await producer.send({ topic: 'made-compacted', messages: [{ value: 'before' }] });
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'made-compacted', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
      await assert.rejects(producer.send({ topic: 'made-compacted', messages: [{ value: 'after' }] }), (err: Error & { type?: string }) => err.type === 'INVALID_RECORD');
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
    assert.deepEqual(await read('made-compacted'), ['0 =before']);
  });
});
