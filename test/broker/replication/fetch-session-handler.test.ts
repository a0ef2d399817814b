/**
 * The replica fetcher's side of incremental fetch sessions (fetch-session-handler.ts), checked
 * against the broker's own session cache (fetch-sessions.ts) where the two meet: the first request
 * is full and opens a session; the next names only partitions whose position changed and forgets
 * those no longer fetched; a lost session (FETCH_SESSION_ID_NOT_FOUND), a wrong epoch, an answer
 * naming a partition the session lacks, or a request without an answer make the next one full.
 * Also the cache's privilege: a follower's session evicts a consumer's, never the other way round.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FetchSessionHandler, type SessionFetchData } from '../../../src/broker/replication/fetch-session-handler.js';
import { FetchSessionCache } from '../../../src/broker/fetch/fetch-sessions.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

const T = 'AAAAAAAAAAAAAAAAAAAAAA';
const U = 'BBBBBBBBBBBBBBBBBBBBBB';

function part(topicId: string, partition: number, fetchOffset: bigint, more: Partial<SessionFetchData> = {}): SessionFetchData {
  return { topicId, partition, fetchOffset, logStartOffset: 0n, currentLeaderEpoch: 1, lastFetchedEpoch: 1, maxBytes: 1 << 20, ...more };
}

const ok = (sessionId: number, named: { topicId: string; partition: number }[] = []) => ({
  errorCode: ErrorCode.NONE,
  sessionId,
  responses: named.map((n) => ({ topicId: n.topicId, partitions: [{ partitionIndex: n.partition }] })),
});

const names = (l: readonly { topicId: string; partition: number }[]) => l.map((d) => `${d.topicId === T ? 't' : 'u'}${d.partition}`).sort();

describe('FetchSessionHandler', () => {
  it('sends everything first, then only what changed, and forgets what is no longer fetched', () => {
    const h = new FetchSessionHandler();
    const all = [part(T, 0, 10n), part(T, 1, 20n), part(U, 0, 5n)];
    const first = h.build(all);
    assert.equal(first.full, true);
    assert.deepEqual([first.sessionId, first.sessionEpoch], [0, 0]);
    assert.deepEqual(names(first.toSend), ['t0', 't1', 'u0']);
    assert.equal(h.handleResponse(first, ok(7, all)), true);
    assert.deepEqual(h.state, { sessionId: 7, epoch: 1, partitions: 3 });

    // Nothing moved: an incremental request naming nothing.
    const idle = h.build(all);
    assert.deepEqual([idle.full, idle.sessionId, idle.sessionEpoch], [false, 7, 1]);
    assert.deepEqual([idle.toSend.length, idle.toForget.length], [0, 0]);
    assert.equal(h.handleResponse(idle, ok(7)), true);

    // t0's log end moved, u0's leader epoch changed, t1 is truncating (not fetched), t2 is new.
    const next = [part(T, 0, 15n), part(U, 0, 5n, { currentLeaderEpoch: 2 }), part(T, 2, 0n)];
    const inc = h.build(next);
    assert.deepEqual([inc.full, inc.sessionEpoch], [false, 2]);
    assert.deepEqual(names(inc.toSend), ['t0', 't2', 'u0']);
    assert.deepEqual(names(inc.toForget), ['t1']);
    assert.equal(h.handleResponse(inc, ok(7, [{ topicId: T, partition: 0 }])), true);

    // The log start offset, the last fetched epoch and the size limit count as changes too.
    const more = [part(T, 0, 15n, { logStartOffset: 3n }), part(U, 0, 5n, { currentLeaderEpoch: 2, lastFetchedEpoch: 2 }), part(T, 2, 0n, { maxBytes: 10 })];
    assert.deepEqual(names(h.build(more).toSend), ['t0', 't2', 'u0']);
    assert.equal(h.stats.full, 1);
    assert.equal(h.stats.incremental, 3);
  });

  it('fetches in full after FETCH_SESSION_ID_NOT_FOUND, with session id 0', () => {
    const h = new FetchSessionHandler();
    const all = [part(T, 0, 10n), part(T, 1, 20n)];
    h.handleResponse(h.build(all), ok(7, all));
    const inc = h.build(all);
    assert.equal(h.handleResponse(inc, { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] }), false);
    const again = h.build(all);
    assert.deepEqual([again.full, again.sessionId, again.sessionEpoch], [true, 0, 0]);
    assert.deepEqual(names(again.toSend), ['t0', 't1']);
    assert.equal(h.handleResponse(again, ok(9, all)), true);
    assert.deepEqual(h.state, { sessionId: 9, epoch: 1, partitions: 2 });
  });

  it('closes and reopens the session after a wrong epoch, a stray partition or a request without an answer', () => {
    const h = new FetchSessionHandler();
    const all = [part(T, 0, 10n)];
    h.handleResponse(h.build(all), ok(7, all));
    // INVALID_FETCH_SESSION_EPOCH: the next request is full with the old id and epoch 0 (the leader replaces it).
    assert.equal(h.handleResponse(h.build(all), { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] }), false);
    let next = h.build(all);
    assert.deepEqual([next.full, next.sessionId, next.sessionEpoch], [true, 7, 0]);
    h.handleResponse(next, ok(8, all));
    // An answer naming a partition the session does not hold.
    assert.equal(h.handleResponse(h.build(all), ok(8, [{ topicId: U, partition: 3 }])), false);
    next = h.build(all);
    assert.deepEqual([next.full, next.sessionId, next.sessionEpoch], [true, 8, 0]);
    h.handleResponse(next, ok(10, all));
    // No answer at all.
    h.build(all);
    h.failed();
    next = h.build(all);
    assert.deepEqual([next.full, next.sessionId, next.sessionEpoch], [true, 10, 0]);
  });

  it('stays full while the leader keeps no session (session id 0 in the answer)', () => {
    const h = new FetchSessionHandler();
    const all = [part(T, 0, 10n)];
    h.handleResponse(h.build(all), ok(0, all));
    const next = h.build(all);
    assert.deepEqual([next.full, next.sessionId, next.sessionEpoch], [true, 0, 0]);
  });

  it('agrees with the broker\'s cache on ids and epochs across a lost session', () => {
    const cache = new FetchSessionCache({ maxSessions: 4, evictionAgeMs: 60_000 });
    const h = new FetchSessionHandler();
    const all = [part(T, 0, 10n)];
    const answer = (req: ReturnType<FetchSessionHandler['build']>) => {
      const r = cache.resolve(req.sessionId, req.sessionEpoch, 0, true);
      if (r.kind === 'error') return { errorCode: r.errorCode, sessionId: 0, responses: [] };
      if (r.kind === 'incremental') r.session.epoch++;
      return ok(r.kind === 'sessionless' ? 0 : (r.session?.id ?? 0));
    };
    const round = () => {
      const req = h.build(all);
      return h.handleResponse(req, answer(req));
    };
    for (let i = 0; i < 5; i++) assert.equal(round(), true);
    const { sessionId } = h.state;
    assert.notEqual(sessionId, 0);
    cache.remove(sessionId);
    assert.equal(round(), false);
    const full = h.build(all);
    assert.equal(full.full, true);
    assert.equal(h.handleResponse(full, answer(full)), true);
    const inc = h.build(all);
    assert.equal(inc.full, false);
    assert.equal(h.handleResponse(inc, answer(inc)), true);
    assert.deepEqual(cache.describe().map((s) => s.privileged), [true]);
  });
});

describe('FetchSessionCache privileges', () => {
  it('a follower\'s new session evicts a consumer\'s, a consumer\'s never evicts a follower\'s before it is stale', () => {
    const cache = new FetchSessionCache({ maxSessions: 2, evictionAgeMs: 1000 });
    const follower = cache.resolve(0, 0, 0, true);
    const consumer = cache.resolve(0, 0, 10);
    assert.ok(follower.kind === 'new' && follower.session?.privileged === true);
    assert.ok(consumer.kind === 'new' && consumer.session?.privileged === false);
    // Full, nothing stale: a consumer's new session is refused ...
    assert.deepEqual(cache.resolve(0, 0, 100), { kind: 'new', session: undefined });
    // ... a follower's takes the consumer's place.
    const second = cache.resolve(0, 0, 100, true);
    assert.ok(second.kind === 'new' && second.session !== undefined);
    assert.deepEqual(cache.describe().map((s) => s.privileged), [true, true]);
    // Two followers' sessions: neither a consumer nor a third follower evicts them while they are in use.
    assert.deepEqual(cache.resolve(0, 0, 500), { kind: 'new', session: undefined });
    assert.deepEqual(cache.resolve(0, 0, 500, true), { kind: 'new', session: undefined });
    // Stale ones go for anyone.
    const late = cache.resolve(0, 0, 1200);
    assert.ok(late.kind === 'new' && late.session !== undefined);
  });
});
