/**
 * ListOffsets v0 (removed in Kafka 4.0, still sent by old clients and kafkajs's own specs): the
 * old list of offsets per partition, holding the one offset v1 would answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ListOffsetsApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { testBroker } from '../helpers/test-broker.js';

const LATEST = -1n;
const EARLIEST = -2n;

describe('ListOffsets v0', () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: RawClient;
  const t0 = 1_700_000_000_000;
  before(async () => {
    broker = await testBroker();
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'v0', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'v0', messages: Array.from({ length: 5 }, (_, i) => ({ value: `m${i}`, timestamp: String(t0 + i * 1000) })) });
    await producer.disconnect();
    await admin.fetchTopicMetadata({ topics: ['v0'] }); // the admin learns the partition's leader
    await admin.deleteTopicRecords({ topic: 'v0', partitions: [{ partition: 0, offset: '2' }] });
    await admin.disconnect();
    client = await RawClient.connect(broker.port);
  });
  after(async () => {
    client.close();
    await broker.stop();
  });

  const ask = async (partitions: { partitionIndex: number; timestamp: bigint; maxNumOffsets?: number }[]) => {
    const res = await client.send(ListOffsetsApi, 0, { replicaId: -1, topics: [{ name: 'v0', partitions: partitions.map((p) => ({ maxNumOffsets: 1, ...p })) }] });
    return res.topics[0]!.partitions.map((p) => [p.errorCode, p.oldStyleOffsets]);
  };

  it('answers the latest and earliest offsets and offsets by timestamp in the old offsets list', async () => {
    assert.deepEqual(await ask([{ partitionIndex: 0, timestamp: LATEST }]), [[ErrorCode.NONE, [5n]]]);
    assert.deepEqual(await ask([{ partitionIndex: 0, timestamp: EARLIEST, maxNumOffsets: 10 }]), [[ErrorCode.NONE, [2n]]]);
    assert.deepEqual(await ask([{ partitionIndex: 0, timestamp: BigInt(t0 + 2500) }]), [[ErrorCode.NONE, [3n]]]);
    assert.deepEqual(await ask([{ partitionIndex: 0, timestamp: BigInt(t0 + 60_000) }]), [[ErrorCode.NONE, []]], 'no record at or after it');
  });

  it('answers no offsets when none are asked for, and errors per partition', async () => {
    assert.deepEqual(await ask([{ partitionIndex: 0, timestamp: LATEST, maxNumOffsets: 0 }]), [[ErrorCode.NONE, []]]);
    assert.deepEqual(await ask([{ partitionIndex: 7, timestamp: LATEST }]), [[ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []]]);
  });
});
