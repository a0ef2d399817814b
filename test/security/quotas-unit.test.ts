/**
 * Quota accounting on its own: Kafka's windowed rate and throttle time, the token bucket of
 * controller mutations, quota precedence between user and client-id entities (and which clients
 * share a quota), IP quotas, and the validation of entities and keys.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientQuotas, quotaEntityError, quotaKeyError } from '../../src/security/quota/client-quotas.js';
import { QuotaManager } from '../../src/security/quota/quota-manager.js';
import { SampledRate, TokenBucket } from '../../src/security/quota/rate.js';

const window = { samples: 11, windowMs: 1000 };

describe('quota rates', () => {
  it('measures over at least ten windows at the start, as Kafka does', () => {
    const r = new SampledRate(window, 0);
    r.record(10_000, 0);
    assert.equal(r.windowSizeMs(0), 10_000);
    assert.equal(r.measure(0), 1000);
    assert.equal(r.measure(500), 10_000 / 10.5);
  });

  it('throttles by (rate - bound) / bound × window', () => {
    const r = new SampledRate(window, 0);
    // 20,000 bytes at once against 1,000 B/s: rate 2,000 over 10 s → (2000-1000)/1000 × 10 s = 10 s.
    assert.equal(r.recordAndThrottle(20_000, 1000, 0), 10_000);
    const s = new SampledRate(window, 0);
    assert.equal(s.recordAndThrottle(5_000, 1000, 0), 0);
  });

  it('forgets samples older than the whole window', () => {
    const r = new SampledRate(window, 0);
    r.record(50_000, 0);
    assert.equal(r.measure(12_000), 0);
  });

  it('refills a token bucket at the rate up to its burst, and goes below zero', () => {
    const b = new TokenBucket(10, window, 0);
    assert.equal(b.available(0), 110);
    b.record(130, 0);
    assert.equal(b.throttleMs(0), 2000);
    assert.equal(b.available(2000), 0);
    assert.equal(b.available(100_000), 110);
  });
});

describe('client quota precedence', () => {
  it("resolves user+client, user+default client, user, default user+client, …, default client in Kafka's order", () => {
    const q = new ClientQuotas();
    const set = (e: object, v: number) => q.set(e, 'producer_byte_rate', v);
    set({ 'client-id': null }, 8);
    assert.deepEqual(q.resolve('alice', 'app', 'producer_byte_rate'), { value: 8, sensorKey: 'c=app' });
    set({ 'client-id': 'app' }, 7);
    assert.equal(q.resolve('alice', 'app', 'producer_byte_rate')?.value, 7);
    set({ user: null }, 6);
    assert.deepEqual(q.resolve('alice', 'app', 'producer_byte_rate'), { value: 6, sensorKey: 'u=alice' });
    set({ user: null, 'client-id': null }, 5);
    assert.equal(q.resolve('alice', 'app', 'producer_byte_rate')?.value, 5);
    set({ user: null, 'client-id': 'app' }, 4);
    assert.equal(q.resolve('alice', 'app', 'producer_byte_rate')?.value, 4);
    set({ user: 'alice' }, 3);
    assert.deepEqual(q.resolve('alice', 'app', 'producer_byte_rate'), { value: 3, sensorKey: 'u=alice' });
    assert.equal(q.resolve('bob', 'app', 'producer_byte_rate')?.value, 4);
    set({ user: 'alice', 'client-id': null }, 2);
    assert.deepEqual(q.resolve('alice', 'app', 'producer_byte_rate'), { value: 2, sensorKey: 'u=alice,c=app' });
    set({ user: 'alice', 'client-id': 'app' }, 1);
    assert.equal(q.resolve('alice', 'app', 'producer_byte_rate')?.value, 1);
    q.set({ user: 'alice', 'client-id': 'app' }, 'producer_byte_rate', null);
    assert.equal(q.resolve('alice', 'app', 'producer_byte_rate')?.value, 2);
    assert.equal(new ClientQuotas().resolve('a', 'b', 'producer_byte_rate'), undefined);
  });

  it('lets the clients of a user quota share one rate, and clients of a client-id quota each their own per user', () => {
    const q = new ClientQuotas();
    q.set({ user: 'alice' }, 'producer_byte_rate', 1000);
    q.set({ 'client-id': 'batch' }, 'consumer_byte_rate', 1000);
    const m = new QuotaManager(q, window);
    assert.equal(m.record('producer_byte_rate', 'alice', 'one', 8000, 0), 0);
    assert.ok(m.record('producer_byte_rate', 'alice', 'two', 8000, 0) > 0, 'a second client of alice shares her quota');
    assert.equal(m.record('producer_byte_rate', 'bob', 'one', 1e9, 0), 0, 'bob has no quota');
    assert.equal(m.record('consumer_byte_rate', 'alice', 'batch', 8000, 0), 0);
    assert.ok(m.record('consumer_byte_rate', 'bob', 'batch', 8000, 0) > 0, 'client-id quotas group by client id whatever the user');
  });

  it('takes an IP its own connection rate, else the default IP one', () => {
    const q = new ClientQuotas();
    q.set({ ip: null }, 'connection_creation_rate', 5);
    q.set({ ip: '10.0.0.1' }, 'connection_creation_rate', 50);
    assert.equal(q.resolveIp('10.0.0.1'), 50);
    assert.equal(q.resolveIp('10.0.0.2'), 5);
  });

  it('validates entities and keys as Kafka does', () => {
    assert.match(quotaEntityError({})!, /empty/);
    assert.match(quotaEntityError({ ip: '1.2.3.4', user: 'a' })!, /IP entity should not be combined/);
    assert.equal(quotaEntityError({ user: null, 'client-id': 'x' }), undefined);
    assert.match(quotaKeyError({ user: 'a' }, 'connection_creation_rate', 1)!, /Invalid configuration key/);
    assert.match(quotaKeyError({ ip: null }, 'producer_byte_rate', 1)!, /Invalid configuration key/);
    assert.match(quotaKeyError({ user: 'a' }, 'bogus', 1)!, /Invalid configuration key bogus/);
    assert.match(quotaKeyError({ user: 'a' }, 'producer_byte_rate', 1.5)!, /LONG/);
    assert.equal(quotaKeyError({ user: 'a' }, 'request_percentage', 12.5), undefined);
  });

  it('drops sensors idle for an hour', () => {
    const q = new ClientQuotas();
    q.set({ 'client-id': null }, 'producer_byte_rate', 1000);
    const m = new QuotaManager(q, window);
    for (let i = 0; i < 5000; i++) m.record('producer_byte_rate', 'u', `c${i}`, 1, 0);
    assert.equal(m.sensorCount, 5000);
    for (let i = 0; i < 4096; i++) m.record('producer_byte_rate', 'u', 'live', 1, 3_600_001 + i);
    assert.ok(m.sensorCount < 10, `${m.sensorCount} sensors left`);
  });
});
