/**
 * Incremental fetch sessions (KIP-227): the session cache's rules, and the broker's answers to a
 * client that fetches with sessions as the Java consumer does (test/helpers/fetch-session-client.ts):
 * a full request opens a session whose first incremental request carries epoch 1; epochs advance
 * by one per request and a wrong one is INVALID_FETCH_SESSION_EPOCH; requests add partitions,
 * change their offsets and forget them; incremental responses carry only the partitions with news
 * (records, a moved high watermark or log start offset, an error); a long poll on a session is
 * woken by records in a partition the request did not name; a partition an incremental response
 * carried goes to the back of the session, so that a small response limit serves every partition in
 * turn; a full cache refuses new sessions
 * unless the least recently used one has been idle past the eviction age. The in-memory broker runs
 * on a manual clock, so eviction happens only when a test moves the clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FetchSessionCache, FINAL_EPOCH, INITIAL_EPOCH, nextEpoch } from '../../../src/broker/fetch/fetch-sessions.js';
import { type RunningBroker, startBroker } from '../../../src/broker/broker.js';
import { ManualClock } from '../../../src/common/clock.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { CreateTopicsApi, DeleteRecordsApi, FetchApi, type FetchResponse, ProduceApi } from '../../../src/protocol/messages/index.js';
import { decodeRecordBatch, encodeUncompressedRecordBatch, iterateBatches } from '../../../src/protocol/records/index.js';
import { FetchSessionClient, type SessionTarget } from '../../helpers/fetch-session-client.js';
import { RawClient } from '../../helpers/raw-client.js';

describe('FetchSessionCache', () => {
  it('opens sessions at epoch 1, checks ids and epochs, closes on the final epoch', () => {
    const cache = new FetchSessionCache({ maxSessions: 10, evictionAgeMs: 1000 });
    const opened = cache.resolve(0, INITIAL_EPOCH, 0);
    assert.equal(opened.kind, 'new');
    const s = opened.kind === 'new' ? opened.session! : assert.fail();
    assert.notEqual(s.id, 0);
    assert.equal(s.epoch, 1);
    assert.deepEqual(cache.resolve(s.id + 1, 1, 0), { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND });
    assert.deepEqual(cache.resolve(s.id, 2, 0), { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH });
    assert.equal(cache.resolve(s.id, 1, 0).kind, 'incremental');
    assert.deepEqual(cache.resolve(s.id, FINAL_EPOCH, 0), { kind: 'sessionless' });
    assert.equal(cache.size, 0);
    assert.deepEqual(cache.resolve(s.id, 1, 0), { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND });
  });

  it('replaces a session asked to start over (its id with epoch 0)', () => {
    const cache = new FetchSessionCache({ maxSessions: 10, evictionAgeMs: 1000 });
    const first = cache.resolve(0, INITIAL_EPOCH, 0);
    const id = first.kind === 'new' ? first.session!.id : assert.fail();
    const again = cache.resolve(id, INITIAL_EPOCH, 0);
    assert.equal(again.kind, 'new');
    assert.notEqual(again.kind === 'new' ? again.session!.id : 0, id);
    assert.equal(cache.size, 1);
  });

  it('wraps epochs past the largest int32 to 1', () => {
    assert.equal(nextEpoch(1), 2);
    assert.equal(nextEpoch(0x7fffffff), 1);
  });

  it('evicts the least recently used session once idle past the eviction age, else refuses the new one', () => {
    const cache = new FetchSessionCache({ maxSessions: 2, evictionAgeMs: 1000 });
    const a = cache.resolve(0, INITIAL_EPOCH, 0);
    const b = cache.resolve(0, INITIAL_EPOCH, 100);
    const idA = a.kind === 'new' ? a.session!.id : assert.fail();
    const idB = b.kind === 'new' ? b.session!.id : assert.fail();
    // a is used at 600: b becomes the least recently used.
    assert.equal(cache.resolve(idA, 1, 600).kind, 'incremental');
    assert.deepEqual(cache.resolve(0, INITIAL_EPOCH, 900), { kind: 'new', session: undefined });
    const c = cache.resolve(0, INITIAL_EPOCH, 1100);
    assert.ok(c.kind === 'new' && c.session !== undefined);
    assert.deepEqual(cache.resolve(idB, 1, 1100), { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND });
    assert.equal(cache.resolve(idA, 1, 1100).kind, 'incremental');
  });
});

describe('incremental fetch sessions on the wire', { timeout: 60_000 }, () => {
  const clock = new ManualClock(Date.now());
  let broker: RunningBroker;
  let raw: RawClient;
  const TOPIC = 'sessions';

  before(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0, storage: 'memory', clock, logLevel: process.env['SAMSA_TEST_LOG'] ?? 'silent' });
    raw = await RawClient.connect(broker.port);
    const res = await raw.send(CreateTopicsApi, 7, { topics: [{ name: TOPIC, numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal(res.topics[0]!.errorCode, 0);
  });
  after(async () => {
    raw.close();
    await broker.close();
  });

  const produce = async (partition: number, values: string[], topic = TOPIC) => {
    const records = encodeUncompressedRecordBatch({ records: values.map((v) => ({ value: Buffer.from(v), timestamp: BigInt(clock.now()) })) });
    const res = await raw.send(ProduceApi, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
  };

  const target = (partition: number, fetchOffset: bigint, maxBytes = 1 << 20): SessionTarget => ({ topic: TOPIC, partition, fetchOffset, maxBytes });

  /** Sends a built request on `c` (v12 unless given) and hands the response to the session client. */
  async function fetch(c: RawClient, session: FetchSessionClient, targets: SessionTarget[], opts: { maxWaitMs?: number; minBytes?: number; version?: number } = {}): Promise<FetchResponse> {
    const built = session.build(targets, { maxWaitMs: opts.maxWaitMs ?? 0, minBytes: opts.minBytes ?? 0 });
    const res = await c.send(FetchApi, opts.version ?? 12, built.request);
    session.handleResponse(res.errorCode, res.sessionId);
    return res;
  }

  /** partition -> values of the records returned for it. */
  const answered = (res: FetchResponse): Map<number, string[]> => {
    const out = new Map<number, string[]>();
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const values: string[] = [];
        for (const span of iterateBatches(p.records ?? Buffer.alloc(0))) if (span.complete) values.push(`${span.header.baseOffset}+${span.header.recordCount}`);
        out.set(p.partitionIndex, values);
      }
    }
    return out;
  };

  it('opens a session with a full fetch and serves incremental fetches at epochs 1, 2, 3 (Fetch v7, v10, v12, v13)', async () => {
    for (const version of [7, 10, 12, 13]) {
      const c = await RawClient.connect(broker.port);
      const session = new FetchSessionClient();
      const first = await fetch(c, session, [0, 1, 2, 3].map((p) => target(p, 0n)), { version });
      assert.equal(first.errorCode, ErrorCode.NONE);
      assert.notEqual(first.sessionId, 0);
      assert.equal(session.epoch, 1);
      for (let epoch = 1; epoch <= 3; epoch++) {
        const res = await fetch(c, session, [0, 1, 2, 3].map((p) => target(p, 0n)), { version });
        assert.equal(res.errorCode, ErrorCode.NONE, `v${version} epoch ${epoch}`);
        assert.equal(res.sessionId, first.sessionId);
      }
      assert.equal(session.epoch, 4);
      c.close();
    }
  });

  it('answers a wrong epoch with INVALID_FETCH_SESSION_EPOCH and an unknown session with FETCH_SESSION_ID_NOT_FOUND', async () => {
    const session = new FetchSessionClient();
    const first = await fetch(raw, session, [target(0, 0n)]);
    const base = { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [], forgottenTopicsData: [] };
    assert.equal((await raw.send(FetchApi, 12, { ...base, sessionId: first.sessionId, sessionEpoch: 2 })).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    assert.equal((await raw.send(FetchApi, 12, { ...base, sessionId: 0x7ffffff0, sessionEpoch: 1 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    // The session is still there at the epoch it expected.
    assert.equal((await raw.send(FetchApi, 12, { ...base, sessionId: first.sessionId, sessionEpoch: 1 })).errorCode, ErrorCode.NONE);
    // Epoch -1 closes it.
    assert.equal((await raw.send(FetchApi, 12, { ...base, sessionId: first.sessionId, sessionEpoch: FINAL_EPOCH })).errorCode, ErrorCode.NONE);
    assert.equal((await raw.send(FetchApi, 12, { ...base, sessionId: first.sessionId, sessionEpoch: 2 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('carries in incremental responses only the partitions with news, adds and forgets partitions', async () => {
    const session = new FetchSessionClient();
    await produce(0, ['a0']);
    await produce(1, ['b0']);
    // Full: every partition named, with or without records.
    const full = answered(await fetch(raw, session, [target(0, 0n), target(1, 0n)]));
    assert.deepEqual([...full.keys()].sort(), [0, 1]);
    // Both read to their end: nothing new anywhere, an empty incremental response.
    const quiet = await fetch(raw, session, [target(0, 1n), target(1, 1n)]);
    assert.deepEqual(quiet.responses, []);
    // Records in partition 1 only: the response names partition 1 only, though 0 is in the
    // session (and the request names neither: their offsets did not change).
    await produce(1, ['b1', 'b2']);
    const news = answered(await fetch(raw, session, [target(0, 1n), target(1, 1n)]));
    assert.deepEqual([...news.keys()], [1]);
    assert.deepEqual(news.get(1), ['1+2']);
    // Add partition 2 (no records, never reported: its high watermark is news), keep 0 and 1 unchanged.
    const added = await fetch(raw, session, [target(0, 1n), target(1, 3n), target(2, 0n)]);
    assert.deepEqual([...answered(added).keys()], [2]);
    assert.equal(added.responses[0]!.partitions[0]!.highWatermark, 0n);
    // Forget partition 0: records appended to it are not reported any more.
    await produce(0, ['a1']);
    const afterForget = await fetch(raw, session, [target(1, 3n), target(2, 0n)]);
    assert.deepEqual(afterForget.responses, []);
    // Add it back: its records are reported from the offset given.
    const back = answered(await fetch(raw, session, [target(0, 1n), target(1, 3n), target(2, 0n)]));
    assert.deepEqual([...back.keys()], [0]);
    assert.deepEqual(back.get(0), ['1+1']);
    // A moved log start offset is news too.
    const del = await raw.send(DeleteRecordsApi, 2, { topics: [{ name: TOPIC, partitions: [{ partitionIndex: 1, offset: 1n }] }], timeoutMs: 5000 });
    assert.equal(del.topics[0]!.partitions[0]!.errorCode, 0);
    const moved = await fetch(raw, session, [target(0, 2n), target(1, 3n), target(2, 0n)]);
    assert.deepEqual(moved.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.logStartOffset])), [[1, 1n]]);
  });

  it('reports an error of a session partition (an offset out of range) and keeps the session', async () => {
    const session = new FetchSessionClient();
    await fetch(raw, session, [target(3, 0n)]);
    const bad = await fetch(raw, session, [target(3, 1000n)]);
    assert.equal(bad.errorCode, ErrorCode.NONE);
    assert.equal(bad.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal((await fetch(raw, session, [target(3, 0n)])).errorCode, ErrorCode.NONE);
  });

  it('wakes a long poll on a session when a partition it did not name gets records, answering with that partition', async () => {
    const session = new FetchSessionClient();
    const c = await RawClient.connect(broker.port);
    const ends = await fetch(c, session, [0, 1, 2, 3].map((p) => target(p, 0n)));
    const endOf = new Map(ends.responses[0]!.partitions.map((p) => [p.partitionIndex, p.highWatermark]));
    const targets = [0, 1, 2, 3].map((p) => target(p, endOf.get(p)!));
    await fetch(c, session, targets);
    // Nothing named (offsets unchanged), min 1 byte, a long wait on a clock that does not move.
    const built = session.build(targets, { maxWaitMs: 60_000, minBytes: 1 });
    assert.deepEqual(built.request.topics, []);
    let done = false;
    const pending = c.send(FetchApi, 12, built.request).then((r) => ((done = true), r));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(done, false);
    await produce(2, ['wake']);
    const res = await pending;
    session.handleResponse(res.errorCode, res.sessionId);
    assert.deepEqual([...answered(res).keys()], [2]);
    c.close();
  });

  it('reads every record once, in order, fetching as the Java consumer does (forgetting partitions with buffered records) while a producer writes', async () => {
    const topic = 'java-pattern';
    const created = await raw.send(CreateTopicsApi, 7, { topics: [{ name: topic, numPartitions: 5, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal(created.topics[0]!.errorCode, 0);
    const PER_PARTITION = 300;
    // A third written before the consumer starts (responses then carry several partitions), the rest meanwhile.
    for (let i = 0; i < 100; i += 10) for (let p = 0; p < 5; p++) await produce(p, Array.from({ length: 10 }, (_, j) => `${p}:${i + j}`), topic);
    const producer = (async () => {
      for (let i = 100; i < PER_PARTITION; i += 10) {
        for (let p = 0; p < 5; p++) await produce(p, Array.from({ length: 10 }, (_, j) => `${p}:${i + j}`), topic);
      }
    })();
    const c = await RawClient.connect(broker.port);
    const session = new FetchSessionClient();
    const next = [0n, 0n, 0n, 0n, 0n];
    const buffered = new Map<number, number>();
    let forgets = 0;
    let incremental = 0;
    for (let round = 0; next.some((o) => o < BigInt(PER_PARTITION)) && round < 10_000; round++) {
      // Drain one buffered partition per round; only drained partitions are fetchable.
      const first = buffered.keys().next();
      if (!first.done) buffered.delete(first.value);
      // (Partitions read to the end are left out: on this clock a long poll ends only with records.)
      const fetchable = [0, 1, 2, 3, 4].filter((p) => !buffered.has(p) && next[p]! < BigInt(PER_PARTITION)).map((p) => ({ topic, partition: p, fetchOffset: next[p]!, maxBytes: 200 }));
      if (fetchable.length === 0) continue;
      const built = session.build(fetchable, { maxWaitMs: 20, minBytes: 1 });
      forgets += built.forgotten.length;
      if (!built.full) incremental++;
      const res = await c.send(FetchApi, 12, built.request);
      session.handleResponse(res.errorCode, res.sessionId);
      assert.equal(res.errorCode, ErrorCode.NONE, `round ${round}`);
      for (const t of res.responses) {
        for (const p of t.partitions) {
          assert.equal(p.errorCode, ErrorCode.NONE);
          for (const span of iterateBatches(p.records ?? Buffer.alloc(0))) {
            if (!span.complete) break;
            const batch = await decodeRecordBatch(p.records!, span.position, { maxUncompressedBytes: 1 << 20 });
            for (const r of batch.records) {
              if (r.offset < next[p.partitionIndex]!) continue;
              assert.equal(r.offset, next[p.partitionIndex], `partition ${p.partitionIndex} in order`);
              assert.equal(r.value!.toString(), `${p.partitionIndex}:${r.offset}`);
              next[p.partitionIndex] = r.offset + 1n;
              buffered.set(p.partitionIndex, 1);
            }
          }
        }
      }
      if (round % 7 === 0) clock.advance(20);
    }
    await producer;
    assert.deepEqual(next, Array(5).fill(BigInt(PER_PARTITION)));
    assert.ok(incremental > 10, `${incremental} incremental fetches`);
    assert.ok(forgets > 10, `${forgets} partitions forgotten on the way`);
    c.close();
  });

  it('serves every partition in turn when one response cannot hold them all: a partition an incremental response carried goes to the back of the session (as Kafka)', async () => {
    // The Java consumer with a small fetch.max.bytes: each response holds one partition's batch
    // (KIP-74), and an incremental request names only the partition whose offset moved. Kafka moves
    // the partitions a response carries to the back of the session; without that, the first
    // partition in the session's order filled every response until it was read to its end.
    const topic = 'rotation';
    const created = await raw.send(CreateTopicsApi, 7, { topics: [{ name: topic, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal(created.topics[0]!.errorCode, 0);
    for (let i = 0; i < 5; i++) for (let p = 0; p < 3; p++) await produce(p, [`${p}:${i}`.padEnd(500, '.')], topic);
    const c = await RawClient.connect(broker.port);
    const session = new FetchSessionClient();
    const next = [0n, 0n, 0n];
    const served: number[] = [];
    for (let round = 0; round < 7; round++) {
      const built = session.build([0, 1, 2].map((p) => ({ topic, partition: p, fetchOffset: next[p]!, maxBytes: 1 << 20 })), { maxWaitMs: 0, minBytes: 1, maxBytes: 100 });
      const res = await c.send(FetchApi, 10, built.request);
      session.handleResponse(res.errorCode, res.sessionId);
      assert.equal(res.errorCode, ErrorCode.NONE);
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const batches = [...iterateBatches(p.records ?? Buffer.alloc(0))].filter((b) => b.complete);
          if (batches.length === 0) continue;
          assert.equal(batches.length, 1, 'one batch per response');
          assert.equal(batches[0]!.header.baseOffset, next[p.partitionIndex]);
          next[p.partitionIndex]! += 1n;
          served.push(p.partitionIndex);
        }
      }
    }
    // The full fetch and the first incremental one read partition 0 (first in the session), then each in turn.
    assert.deepEqual(served, [0, 0, 1, 2, 0, 1, 2]);
    c.close();
  });

  it('refuses a new session when the cache is full of recent ones, and evicts the least recently used one idle past the eviction age', async () => {
    const small = await startBroker({ host: '127.0.0.1', port: 0, storage: 'memory', clock, logLevel: 'silent', config: { 'max.incremental.fetch.session.cache.slots': 3 } });
    const raw = await RawClient.connect(small.port);
    await raw.send(CreateTopicsApi, 7, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    const sessions: { c: FetchSessionClient; id: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const s = new FetchSessionClient();
      const r = await fetch(raw, s, [target(0, 0n)]);
      sessions.push({ c: s, id: r.sessionId });
    }
    assert.ok(sessions.every((s) => s.id !== 0));
    const refused = new FetchSessionClient();
    const r = await fetch(raw, refused, [target(0, 0n)]);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.sessionId, 0, 'no slot: a full response without a session');
    // Keep the last two in use, let the eviction age (120 s) pass for the first.
    clock.advance(121_000);
    for (const s of sessions.slice(1)) assert.equal((await fetch(raw, s.c, [target(0, 0n)])).errorCode, ErrorCode.NONE);
    const admitted = new FetchSessionClient();
    const a = await fetch(raw, admitted, [target(0, 0n)]);
    assert.notEqual(a.sessionId, 0);
    const evicted = await fetch(raw, sessions[0]!.c, [target(0, 0n)]);
    assert.equal(evicted.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    // The client then starts over with a full fetch, as the Java consumer does.
    assert.equal(sessions[0]!.c.epoch, 0);
    raw.close();
    await small.close();
  });
});
