/**
 * Semantic fuzzing of every request handler against a live in-process broker: for every API and
 * version its client listener advertises in ApiVersions, requests that decode fine but carry
 * values no client sends (SampleBuilder's edge values: extremes, -1, empty and 249+ character
 * names, nulls, duplicated and empty arrays, now and then thousands of entries, names and topic
 * ids that exist). Each must be answered within a bound, decodably at its version, with no
 * UNKNOWN_SERVER_ERROR anywhere in the answer and without the broker closing the connection or
 * logging a failed request; nothing may reject unhandled or throw uncaught; and a kafkajs
 * producer and consumer work afterwards. Seeded (`FUZZ_SEED`) and bounded; `FUZZ_ITERATIONS`
 * (requests per API version, default 6) runs it longer by hand.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import type { ApiDescriptor } from '../../src/protocol/api-descriptor.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { API_DESCRIPTORS, ApiVersionsApi, CreateTopicsApi, MetadataApi } from '../../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { RawClient } from '../helpers/raw-client.js';
import { testBroker } from '../helpers/test-broker.js';
import { schemaOf } from '../protocol/generated-schemas.js';
import { type EdgeValues, SampleBuilder } from '../protocol/message-samples.js';

const ITERATIONS = Number(process.env['FUZZ_ITERATIONS'] ?? 6);
const SEED = Number(process.env['FUZZ_SEED'] ?? 1);
const ANSWER_WITHIN_MS = 10_000;
/** Fields that make a request wait (Fetch maxWaitMs, Produce timeoutMs, JoinGroup's rebalance) are clamped to this. */
const MAX_WAIT_MS = 500;
const TOPIC = 'fuzz';

type AnyApi = ApiDescriptor<unknown, never, unknown, never>;

/** Clamps waiting fields (negative values stay: they are hostile too) and makes acks=0 produce answer. */
function clamp(value: unknown): void {
  if (Array.isArray(value)) {
    for (const v of value) clamp(v);
    return;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return;
  const o = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (/timeout|maxWait/i.test(k) && typeof v === 'number' && v > MAX_WAIT_MS) o[k] = MAX_WAIT_MS;
    else if (/timeout|maxWait/i.test(k) && typeof v === 'bigint' && v > BigInt(MAX_WAIT_MS)) o[k] = BigInt(MAX_WAIT_MS);
    else clamp(v);
  }
  if (o['acks'] === 0) o['acks'] = 1; // acks=0 gets no answer, by design
}

/** Paths of every error code -1 in a response. */
function unknownServerErrors(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownServerErrors(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => (/errorCode$/i.test(k) && v === ErrorCode.UNKNOWN_SERVER_ERROR ? [`${path}.${k}`] : unknownServerErrors(v, `${path}.${k}`)));
}

function describeRequest(body: unknown): string {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) || (v as { type?: string } | null)?.type === 'Buffer' ? '<bytes>' : Array.isArray(v) && v.length > 5 ? [...v.slice(0, 3), `…${v.length} entries`] : v));
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]).finally(() => clearTimeout(timer));
}

describe('handlers under hostile values', { timeout: 600_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  const brokerErrors: string[] = [];
  const processErrors: string[] = [];
  const onProcessError = (err: unknown) => processErrors.push(String((err as Error)?.stack ?? err));

  before(async () => {
    process.on('unhandledRejection', onProcessError);
    process.on('uncaughtException', onProcessError);
    // Error-level lines are requests that failed inside the broker (the connection is closed for them).
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line && (JSON.parse(line) as { level: number }).level >= 50) brokerErrors.push(line.slice(0, 2000));
        done();
      },
    });
    broker = await testBroker({ logger: pino({ level: 'error' }, sink), config: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 100 } });
  });
  after(async () => {
    await broker.stop();
    process.off('unhandledRejection', onProcessError);
    process.off('uncaughtException', onProcessError);
  });

  /** Makes sure the fuzzed topic exists (a fuzzed DeleteTopics may have removed it) and returns what requests should name. */
  async function edgeValues(raw: RawClient, records: readonly Buffer[]): Promise<EdgeValues> {
    await raw.send(CreateTopicsApi, 7, { topics: [{ name: TOPIC, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    const md = await raw.send(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    return {
      strings: [TOPIC, 'fuzz-new', 'fuzz-group', 'fuzz-txn', '__consumer_offsets', 'PLAINTEXT', 'retention.ms', 'max.message.bytes', 'cleanup.policy', 'User:fuzz', '*', '-1', '0', '1', '9223372036854775808'],
      uuids: md.topics.map((t) => t.topicId),
      records,
    };
  }

  it('answers every advertised API and version with a Kafka error code, not a failure', async () => {
    const records = [
      await encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] }),
      await encodeRecordBatch({ producerId: 0n, producerEpoch: 0, baseSequence: 0, isTransactional: true, records: [{ value: Buffer.from('t') }] }),
      await encodeRecordBatch({ baseOffset: (1n << 62n), lastOffsetDelta: 2147483647, baseTimestamp: -(1n << 62n), records: [{ value: Buffer.from('odd') }] }),
    ];
    const failures: string[] = [];
    let sent = 0;
    let raw = await RawClient.connect(broker.port);
    const advertised = (await raw.send(ApiVersionsApi, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' })).apiKeys;
    for (const { apiKey, minVersion, maxVersion } of advertised) {
      const api = API_DESCRIPTORS.find((a) => a.apiKey === apiKey) as AnyApi;
      const schema = schemaOf(`${api.name}Request`);
      const edges = await edgeValues(raw, records);
      for (let version = minVersion; version <= maxVersion; version++) {
        for (let i = 0; i < ITERATIONS; i++) {
          const seed = SEED * 1_000_003 + apiKey * 10_007 + version * 101 + i;
          const body = new SampleBuilder(schema, seed, edges).message(version);
          clamp(body);
          const what = `${api.name} v${version} seed ${seed}`;
          sent++;
          const errorsBefore = brokerErrors.length;
          const answer = await within(
            raw.send(api, version, body as never).catch((err: Error) => err),
            ANSWER_WITHIN_MS,
          );
          if (answer === 'timeout' || answer instanceof Error) {
            failures.push(`${what}: ${answer === 'timeout' ? `no answer in ${ANSWER_WITHIN_MS} ms` : answer.message} ${brokerErrors.slice(errorsBefore).map((l) => l.slice(0, 600)).join(' ')}\n  request ${describeRequest(body)}`);
            brokerErrors.length = errorsBefore;
            raw.close();
            raw = await RawClient.connect(broker.port);
            continue;
          }
          const unknown = unknownServerErrors(answer);
          if (unknown.length > 0) failures.push(`${what}: UNKNOWN_SERVER_ERROR at ${unknown.slice(0, 3).join(', ')}\n  request ${describeRequest(body)}`);
          if (brokerErrors.length > errorsBefore) {
            failures.push(`${what}: broker logged ${brokerErrors.slice(errorsBefore).map((l) => l.slice(0, 400)).join(' ')}\n  request ${describeRequest(body)}`);
            brokerErrors.length = errorsBefore;
          }
        }
      }
    }
    raw.close();
    assert.ok(sent > 300, `${sent} requests`);
    assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed:\n${failures.join('\n')}`);
    assert.deepEqual([...brokerErrors, ...processErrors], []);
  });

  it('still serves a kafkajs producer and consumer afterwards', async () => {
    const kafka = new Kafka({ clientId: 'after-fuzz', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'after-fuzz', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'after-fuzz', messages: [{ value: 'still here' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'after-fuzz' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'after-fuzz', fromBeginning: true });
    const got = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }));
    await consumer.disconnect();
    assert.equal(got, 'still here');
    assert.deepEqual(processErrors, []);
  });
});
