/**
 * A long-poll Fetch waiting on a partition whose topic is deleted meanwhile. The partition is
 * removed and waiting fetches are woken (Kafka's DelayedFetch completes on NotLeaderOrFollower);
 * the fetch read the removed partition's log again, whose files were going, and until stop 31 was
 * answered KAFKA_STORAGE_ERROR with an error logged ("fetch read failed", ENOENT). It is answered
 * NOT_LEADER_OR_FOLLOWER now, as a partition no longer held here is, and nothing is logged.
 * (Found by the pipelined mode of handler-fuzz.test.ts: a DeleteTopics behind a long poll.)
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { FetchApi } from '../../../src/protocol/messages/index.js';
import { RawClient } from '../../helpers/raw-client.js';
import { testBroker } from '../../helpers/test-broker.js';

describe('a long poll on a topic deleted meanwhile', { timeout: 60_000 }, () => {
  const errors: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line && (JSON.parse(line) as { level: number }).level >= 50) errors.push(line.slice(0, 1000));
      done();
    },
  });
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => (broker = await testBroker({ logger: pino({ level: 'error' }, sink) })));
  after(() => broker.stop());

  it('is answered NOT_LEADER_OR_FOLLOWER, not a storage error', async () => {
    const kafka = new Kafka({ clientId: 'deleted-topic-fetch', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const raw = await RawClient.connect(broker.port);
    await admin.connect();
    await producer.connect();
    try {
      for (let round = 0; round < 3; round++) {
        const topic = `doomed-${round}`;
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
        await producer.send({ topic, messages: [{ value: 'there' }] });
        // Records found, fewer bytes than minBytes: the fetch waits.
        const fetched = raw.send(FetchApi, 12, { maxWaitMs: 5000, minBytes: 1 << 30, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
        await new Promise((r) => setTimeout(r, 100));
        await admin.deleteTopics({ topics: [topic] });
        const code = (await fetched).responses[0]!.partitions[0]!.errorCode;
        assert.equal(code, ErrorCode.NOT_LEADER_OR_FOLLOWER, `round ${round}`);
      }
      assert.deepEqual(errors, []);
    } finally {
      raw.close();
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
