/**
 * While every partition a consumer reads from a broker has records waiting, its partitions go in
 * two Fetch requests that do not wait on the broker (maxWaitMs 0), and an answered half is fetched
 * again while the other is out; once a partition is caught up, its partitions go back to one
 * long-polling request. Records come from kafkajs's producer and must arrive once each, in order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { SamsaClient } from '../../src/client/index.js';
import { readRequestFrame } from '../../src/protocol/frames.js';
import { FetchApi } from '../../src/protocol/messages/index.js';
import { testBroker } from '../helpers/test-broker.js';
import { RecordingNetwork, type SentRequest } from './recording-network.js';

const PARTITIONS = 4;
const SENDS = 6;
const PER_SEND = 10;
const VALUE_BYTES = 2048;
const MAX_WAIT_MS = 400;

interface SentFetch {
  maxWaitMs: number;
  partitions: number[];
}

function fetchesOf(sent: readonly SentRequest[]): SentFetch[] {
  return sent
    .filter((r) => r.apiKey === FetchApi.apiKey)
    .map((r) => {
      const f = readRequestFrame(r.frame.subarray(4));
      const body = FetchApi.decodeRequest(f.body, f.apiVersion);
      return { maxWaitMs: body.maxWaitMs, partitions: body.topics.flatMap((t) => t.partitions.map((p) => p.partition)).sort((a, b) => a - b) };
    });
}

const value = (partition: number, i: number) => Buffer.alloc(VALUE_BYTES, `${partition}:${i};`);

describe('consumer fetch pipelining', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let admin: SamsaClient;
  before(async () => {
    broker = await testBroker();
    admin = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
  });
  after(async () => {
    await admin.close();
    await broker.stop();
  });

  /** Produces SENDS batches of PER_SEND records to each of `partitions` with kafkajs. */
  async function fill(topic: string, partitions: readonly number[]): Promise<void> {
    await admin.admin().createTopics([{ name: topic, partitions: PARTITIONS }]);
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      for (let s = 0; s < SENDS; s++) {
        for (const partition of partitions) {
          await producer.send({ topic, messages: Array.from({ length: PER_SEND }, (_, j) => ({ partition, value: value(partition, s * PER_SEND + j) })) });
        }
      }
    } finally {
      await producer.disconnect();
    }
  }

  /** Reads `total` records of `topic` from the beginning, one batch of each partition per fetch (maxPartitionBytes below two batches); returns values by partition and the Fetch requests sent. */
  async function read(topic: string, total: number): Promise<{ byPartition: Map<number, Buffer[]>; fetches: SentFetch[] }> {
    const net = new RecordingNetwork();
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap], network: net });
    const consumer = client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: MAX_WAIT_MS, maxPartitionBytes: 32 * 1024 });
    consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
    const byPartition = new Map<number, Buffer[]>();
    let n = 0;
    try {
      for await (const batch of consumer.batches()) {
        for (const r of batch) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.value!]);
        if ((n += batch.length) >= total) break;
      }
      // Caught up everywhere: the next requests long-poll for every partition at once.
      const seen = net.count(FetchApi.apiKey);
      for (let i = 0; i < 400 && net.count(FetchApi.apiKey) < seen + 2; i++) await new Promise((r) => setTimeout(r, 25));
      return { byPartition, fetches: fetchesOf(net.sent) };
    } finally {
      await client.close();
    }
  }

  it('splits the partitions in two requests while all have records waiting, and long-polls them together once caught up', async () => {
    const all = Array.from({ length: PARTITIONS }, (_, p) => p);
    await fill('pipelined', all);
    const { byPartition, fetches } = await read('pipelined', PARTITIONS * SENDS * PER_SEND);
    for (const p of all) {
      assert.deepEqual(byPartition.get(p), Array.from({ length: SENDS * PER_SEND }, (_, i) => value(p, i)), `records of partition ${p}, once each and in order`);
    }
    const halves = fetches.filter((f) => f.partitions.length < PARTITIONS);
    assert.ok(halves.length >= 4, `requests for part of the partitions: ${halves.length} of ${fetches.length}`);
    assert.ok(halves.every((f) => f.maxWaitMs === 0), 'a request sent while others are out does not wait on the broker');
    const i = fetches.findIndex((f) => f.partitions.length < PARTITIONS);
    assert.deepEqual([...fetches[i]!.partitions, ...fetches[i + 1]!.partitions].sort(), all, 'the first split sends both halves at once');
    const last = fetches.at(-1)!;
    assert.deepEqual(last, { maxWaitMs: MAX_WAIT_MS, partitions: all }, 'once caught up, one long-polling request for all partitions');
  });

  it('keeps the partitions in one long-polling request while one of them has nothing to read', async () => {
    const busy = [0, 1, 2]; // partition 3 stays empty: a long poll for it would hold the others' answers
    await fill('one-idle', busy);
    const { byPartition, fetches } = await read('one-idle', busy.length * SENDS * PER_SEND);
    for (const p of busy) assert.equal(byPartition.get(p)?.length, SENDS * PER_SEND, `records of partition ${p}`);
    assert.ok(fetches.length > SENDS, `fetches: ${fetches.length}`);
    assert.ok(
      fetches.every((f) => f.partitions.length === PARTITIONS && f.maxWaitMs === MAX_WAIT_MS),
      'every request asks for all partitions and long-polls',
    );
  });
});
