/**
 * Client quotas on the broker, on a manual clock so that rates and throttle times are exact:
 * AlterClientQuotas / DescribeClientQuotas (validated, persisted); a produce quota that throttles
 * one client id (throttle_time_ms as Kafka computes it, its connection muted until the clock has
 * moved that far) and leaves another alone; a fetch quota that caps and then empties one reader's
 * fetches; a user quota over SASL; request-time and controller-mutation quotas; connection limits
 * per IP and per-IP connection creation rates.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManualClock } from '../../src/common/clock.js';
import { KafkaProtocolError, SamsaClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { CreateTopicsApi, FetchApi, IncrementalAlterConfigsApi, MetadataApi, ProduceApi, SaslAuthenticateApi, SaslHandshakeApi } from '../../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch, iterateBatches } from '../../src/protocol/records/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { PLAIN_USERS, secureBroker } from '../helpers/secure-broker.js';
import { testBroker } from '../helpers/test-broker.js';

const KB = 1024;
const batch = (bytes: number) => encodeUncompressedRecordBatch({ records: [{ value: Buffer.alloc(bytes, 'q') }] });
const produce = (c: RawClient, topic: string, bytes: number, clientId: string) => c.send(ProduceApi, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch(bytes) }] }] }, clientId);
const metadata = (c: RawClient, clientId: string) => c.send(MetadataApi, 9, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, clientId);

async function open(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  return s;
}

/** Whether the broker closes a socket within `ms` of real time. */
function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve(true);
    s.once('close', () => resolve(true));
    s.once('end', () => resolve(true));
    void sleep(ms).then(() => resolve(false));
  });
}

/** Whether a promise settles within `ms` of real time (for "not answered while muted"). */
const settlesWithin = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true), sleep(ms).then(() => false)]);

describe('client quotas', { timeout: 120_000 }, () => {
  const clock = new ManualClock(Date.parse('2025-01-01T00:00:00Z'));
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let admin: SamsaClient;
  before(async () => {
    broker = await testBroker({ clock });
    admin = new SamsaClient({ bootstrapServers: [broker.bootstrap], clientId: 'admin' });
    await admin.admin().createTopics([{ name: 'q', partitions: 1 }, { name: 'read', partitions: 1 }]);
  });
  after(async () => {
    await admin.close();
    await broker.stop();
  });

  it('sets, describes and removes quotas, refusing bad entities and keys', async () => {
    const a = admin.admin();
    await a.alterClientQuotas([
      { entity: { 'client-id': 'slow-writer' }, set: { producer_byte_rate: 10 * KB } },
      { entity: { 'client-id': 'slow-reader' }, set: { consumer_byte_rate: 10 * KB } },
      { entity: { user: 'alice', 'client-id': null }, set: { request_percentage: 50 } },
      { entity: { ip: null }, set: { connection_creation_rate: 100 } },
    ]);
    assert.deepEqual(await a.describeClientQuotas([{ entityType: 'client-id', match: 'slow-writer' }], true), [{ entity: { 'client-id': 'slow-writer' }, values: { producer_byte_rate: 10 * KB } }]);
    assert.deepEqual(await a.describeClientQuotas([{ entityType: 'user' }]), [{ entity: { user: 'alice', 'client-id': null }, values: { request_percentage: 50 } }], 'any named user, other components allowed');
    assert.equal((await a.describeClientQuotas([{ entityType: 'user' }], true)).length, 0, 'strict: no entity is a user alone');
    assert.equal((await a.describeClientQuotas([{ entityType: 'user', match: 'alice' }])).length, 1);
    assert.equal((await a.describeClientQuotas([{ entityType: 'user', match: 'alice' }], true)).length, 0, 'strict: the entity has a client-id component too');
    assert.equal((await a.describeClientQuotas([{ entityType: 'ip', match: null }])).length, 1);
    await assert.rejects(a.alterClientQuotas([{ entity: { user: 'alice' }, set: { connection_creation_rate: 1 } }]), (e: Error) => e instanceof KafkaProtocolError && e.errorCode === ErrorCode.INVALID_REQUEST);
    await assert.rejects(a.alterClientQuotas([{ entity: { user: 'alice', ip: '1.2.3.4' }, set: { producer_byte_rate: 1 } }]), (e: Error) => e instanceof KafkaProtocolError && e.errorCode === ErrorCode.INVALID_REQUEST);
    await a.alterClientQuotas([{ entity: { user: 'alice', 'client-id': null }, remove: ['request_percentage'] }, { entity: { ip: null }, remove: ['connection_creation_rate'] }]);
    assert.equal((await a.describeClientQuotas([])).length, 2);
  });

  it('throttles the client over its produce quota, as Kafka computes it, and leaves another alone', async () => {
    const slow = await RawClient.connect(broker.port);
    const fast = await RawClient.connect(broker.port);
    // 10 KiB/s measured over (at least) 10 s of windows: up to 100 KiB passes unthrottled.
    const first = await produce(slow, 'q', 60 * KB, 'slow-writer');
    assert.equal(first.throttleTimeMs, 0);
    assert.equal(first.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    const second = await produce(slow, 'q', 60 * KB, 'slow-writer');
    // The second request's frame brings the window to ~120.3 KiB: (12.03 - 10) / 10 × 10 s ≈ 2 s.
    assert.ok(second.throttleTimeMs > 1900 && second.throttleTimeMs < 2200, `throttle ${second.throttleTimeMs} ms`);
    assert.equal(second.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE, 'the records were written all the same');
    // The slow connection is muted: its next request is not read until the broker's clock has moved on.
    const muted = metadata(slow, 'slow-writer');
    for (let i = 0; i < 5; i++) {
      const r = await produce(fast, 'q', 60 * KB, 'fast-writer');
      assert.equal(r.throttleTimeMs, 0, 'another client id has no quota');
    }
    assert.equal(await settlesWithin(muted, 300), false, 'not answered while muted');
    clock.advance(second.throttleTimeMs);
    assert.equal(await settlesWithin(muted, 5000), true, 'answered once the throttle time has passed');
    slow.close();
    fast.close();
  });

  it('caps and then empties the fetches of a reader over its fetch quota, not of another', async () => {
    const w = await RawClient.connect(broker.port);
    for (let i = 0; i < 8; i++) await produce(w, 'read', 25 * KB, 'admin');
    w.close();
    const read = async (clientId: string) => {
      const c = await RawClient.connect(broker.port);
      let offset = 0n;
      let bytes = 0;
      const throttles: number[] = [];
      for (let i = 0; i < 4; i++) {
        const f = await c.send(FetchApi, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: 'read', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }] }, clientId);
        throttles.push(f.throttleTimeMs);
        // The connection is muted for the throttle time: move the broker's clock past it.
        if (f.throttleTimeMs > 0) clock.advance(f.throttleTimeMs);
        const p = f.responses[0]?.partitions[0];
        for (const span of p?.records ? iterateBatches(p.records) : []) {
          if (!span.complete) break;
          bytes += span.sizeInBytes;
          offset = span.header.baseOffset + BigInt(span.header.lastOffsetDelta) + 1n;
        }
      }
      c.close();
      return { bytes, throttles };
    };
    const fast = await read('fast-reader');
    assert.ok(fast.bytes >= 200 * KB, `the unthrottled reader got everything (${fast.bytes})`);
    assert.deepEqual(fast.throttles, [0, 0, 0, 0]);
    const slow = await read('slow-reader');
    // One fetch is capped at a quota window's worth (10 KiB/s × 10 s), the next is answered empty and throttled.
    assert.ok(slow.bytes <= 100 * KB + 30 * KB, `the throttled reader got at most a window's worth (${slow.bytes})`);
    assert.ok(slow.throttles.some((t) => t > 0), `throttled: ${slow.throttles}`);
  });

  it('refuses topics beyond the controller mutation quota (KIP-599), strictly from CreateTopics v6', async () => {
    await admin.admin().alterClientQuotas([{ entity: { 'client-id': 'creator' }, set: { controller_mutation_rate: 1 } }]);
    const c = await RawClient.connect(broker.port);
    const create = (names: string[], version: number) => c.send(CreateTopicsApi, version, { topics: names.map((name) => ({ name, numPartitions: 10, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000, validateOnly: false }, 'creator');
    // A burst of 1 × 11 windows = 11 partitions: the first topic fits, the second drives the bucket below zero, the third is refused.
    const r = await create(['m1', 'm2', 'm3'], 7);
    assert.deepEqual(r.topics.map((t) => t.errorCode), [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.THROTTLING_QUOTA_EXCEEDED]);
    assert.equal(r.throttleTimeMs, 9000);
    // Muted meanwhile (KIP-219): nothing more is read from the connection until the broker's clock moves on.
    clock.advance(9000);
    const old = await create(['m4'], 5);
    assert.equal(old.topics[0]!.errorCode, ErrorCode.NONE, 'v5 is not strict: created, only throttled');
    assert.ok(old.throttleTimeMs > 0);
    c.close();
  });

  it('limits connections per IP (max.connections.per.ip)', async () => {
    const b = await testBroker({ config: { 'max.connections.per.ip': 3 } });
    try {
      const three = await Promise.all([open(b.port), open(b.port), open(b.port)]);
      const fourth = await open(b.port);
      assert.equal(await closedWithin(fourth, 2000), true, 'the fourth connection from 127.0.0.1 is closed');
      assert.equal(await closedWithin(three[0]!, 300), false);
      three[0]!.destroy();
      await sleep(100);
      const again = await open(b.port);
      assert.equal(await closedWithin(again, 300), false, 'a closed connection frees its place');
      for (const s of [...three, again]) s.destroy();
    } finally {
      await b.stop();
    }
  });

  it('takes a run-time max.connections.per.ip.overrides (IncrementalAlterConfigs on the broker) for the next connection', async () => {
    const b = await testBroker();
    try {
      const raw = await RawClient.connect(b.port);
      const alter = (configOperation: number, value: string | null) =>
        raw.send(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: 4, resourceName: String(b.nodeId), configs: [{ name: 'max.connections.per.ip.overrides', configOperation, value }] }], validateOnly: false });
      const [set] = (await alter(0, '127.0.0.1:1')).responses;
      assert.equal(set!.errorCode, ErrorCode.NONE, set!.errorMessage ?? '');
      const second = await open(b.port);
      assert.equal(await closedWithin(second, 2000), true, 'one connection from 127.0.0.1 is the limit now');
      const [removed] = (await alter(1, null)).responses;
      assert.equal(removed!.errorCode, ErrorCode.NONE);
      const again = await open(b.port);
      assert.equal(await closedWithin(again, 300), false, 'without the override, the default limit applies again');
      again.destroy();
      raw.close();
    } finally {
      await b.stop();
    }
  });

  it('closes connections created faster than the IP connection_creation_rate, after the throttle time', async () => {
    const rateClock = new ManualClock(Date.parse('2025-01-01T00:00:00Z'));
    const b = await testBroker({ clock: rateClock });
    try {
      const c = new SamsaClient({ bootstrapServers: [b.bootstrap] });
      await c.admin().alterClientQuotas([{ entity: { ip: '127.0.0.1' }, set: { connection_creation_rate: 1 } }]);
      await c.close();
      // 1 per second measured over ≥ 10 s: ten pass, the rest are throttled.
      const conns: Socket[] = [];
      for (let i = 0; i < 12; i++) conns.push(await open(b.port));
      await sleep(100);
      rateClock.advance(5000);
      const closed = await Promise.all(conns.map((s) => closedWithin(s, 1000)));
      assert.deepEqual(closed, [...new Array<boolean>(10).fill(false), true, true]);
      for (const s of conns) s.destroy();
    } finally {
      await b.stop();
    }
  });
});

describe('user quotas over SASL', { timeout: 60_000 }, () => {
  it('throttles alice by her user quota whatever her client id, and not bob', async () => {
    const clock = new ManualClock(Date.parse('2025-01-01T00:00:00Z'));
    const sb = await secureBroker({ options: { clock } });
    try {
      await sb.admin.admin().createTopics([{ name: 'u', partitions: 1 }]);
      await sb.admin.admin().alterClientQuotas([{ entity: { user: 'alice' }, set: { producer_byte_rate: 10 * KB } }]);
      const login = async (user: 'alice' | 'bob') => {
        const raw = await RawClient.connect(sb.port.SASL_PLAINTEXT);
        await raw.send(SaslHandshakeApi, 1, { mechanism: 'PLAIN' });
        await raw.send(SaslAuthenticateApi, 2, { authBytes: Buffer.from(`\u0000${user}\u0000${PLAIN_USERS[user]}`) });
        return raw;
      };
      const alice1 = await login('alice');
      const alice2 = await login('alice');
      const bob = await login('bob');
      assert.equal((await produce(alice1, 'u', 70 * KB, 'one')).throttleTimeMs, 0);
      assert.ok((await produce(alice2, 'u', 70 * KB, 'two')).throttleTimeMs > 0, "alice's clients share her quota");
      assert.equal((await produce(bob, 'u', 200 * KB, 'one')).throttleTimeMs, 0);
      for (const c of [alice1, alice2, bob]) c.close();
    } finally {
      await sb.stop();
    }
  });
});

describe('request-time quotas', { timeout: 60_000 }, () => {
  it('throttles a client spending more than its request_percentage of a broker thread', async () => {
    // A clock whose high-resolution reading advances 5 ms per look: each request costs 5 ms of "thread time".
    class FiveMsPerLook extends ManualClock {
      private hr = 0;
      highResNow(): number {
        return (this.hr += 5);
      }
    }
    const timed = new FiveMsPerLook(Date.parse('2025-01-01T00:00:00Z'));
    const b = await testBroker({ clock: timed });
    try {
      const c = new SamsaClient({ bootstrapServers: [b.bootstrap] });
      await c.admin().alterClientQuotas([{ entity: { 'client-id': 'busy' }, set: { request_percentage: 1 } }]);
      await c.close();
      const raw = await RawClient.connect(b.port);
      const throttles: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = (await metadata(raw, 'busy')).throttleTimeMs;
        throttles.push(t);
        // The connection is muted for the throttle time: move the clock so the next request is read.
        timed.advance(t);
      }
      // 1% of a thread over 10 s is 100 ms: twenty 5 ms requests; the ones after are throttled.
      assert.deepEqual(throttles.slice(0, 20), new Array(20).fill(0), `${throttles}`);
      assert.ok(throttles[20]! > 0 && throttles[21]! > 0, `${throttles}`);
      assert.equal(throttles.at(-1), 0, 'once the throttle times have passed, the window empties and requests pass again');
      raw.close();
      const other = await RawClient.connect(b.port);
      assert.equal((await metadata(other, 'idle')).throttleTimeMs, 0);
      other.close();
    } finally {
      await b.stop();
    }
  });
});
