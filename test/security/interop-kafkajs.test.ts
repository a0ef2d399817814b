/**
 * kafkajs 2.2.4 against every security protocol and mechanism it has: SSL, SASL_PLAINTEXT and
 * SASL_SSL with PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER (an oauthBearerProvider giving unsecured
 * JWTs). Right credentials produce and consume in a group; a wrong password fails fast with
 * kafkajs's authentication error and no data; topics and groups without ACLs are refused with
 * Kafka's error types; a DENY beats an ALLOW; a quota throttles one producer (kafkajs's client-side
 * throttling, from the responses' throttle_time_ms) and not another.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import { unsecuredJws } from '../../src/protocol/sasl/oauthbearer.js';
import { COMBINATIONS, interopBroker, userOf } from '../helpers/interop-broker.js';
import type { SecureBroker } from '../helpers/secure-broker.js';

function kafka(sb: SecureBroker, protocol: string, mechanism: string | undefined, user = userOf(mechanism), extra: Partial<KafkaConfig> = {}): Kafka {
  let sasl: SASLOptions | undefined;
  if (mechanism === 'OAUTHBEARER') sasl = { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: unsecuredJws({ sub: user.username, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 }) }) };
  else if (mechanism) sasl = { mechanism: mechanism.toLowerCase() as 'plain', username: user.username, password: user.password };
  return new Kafka({
    clientId: 'kafkajs-security',
    brokers: [sb.address[protocol as keyof SecureBroker['address']]],
    ssl: protocol.endsWith('SSL') ? { ca: [sb.ca] } : false,
    ...(sasl ? { sasl } : {}),
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50 },
    ...extra,
  });
}

const errorType = (e: unknown) => (e as { type?: string; name?: string }).type ?? (e as { name?: string }).name;

describe('kafkajs over TLS and SASL', { timeout: 240_000 }, () => {
  let sb: SecureBroker;
  before(async () => {
    sb = await interopBroker();
  });
  after(() => sb.stop());

  for (const [i, { protocol, mechanism }] of COMBINATIONS.entries()) {
    it(`produces and consumes in a group over ${protocol}${mechanism ? ` with ${mechanism}` : ''}`, async () => {
      const topic = `ok-kj-${i}`;
      const k = kafka(sb, protocol, mechanism);
      const admin = k.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      await admin.disconnect();
      const producer = k.producer();
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 20 }, (_, n) => ({ key: `k${n}`, value: `v${n}` })) });
      await producer.disconnect();
      const consumer = k.consumer({ groupId: `ok-kj-group-${i}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const got: string[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            got.push(message.value!.toString());
            if (got.length === 20) resolve();
          },
        });
      });
      await consumer.disconnect();
      assert.deepEqual(got, Array.from({ length: 20 }, (_, n) => `v${n}`));
    });
  }

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    it(`fails fast with a wrong ${mechanism} password`, async () => {
      const consumer = kafka(sb, 'SASL_SSL', mechanism, { username: userOf(mechanism).username, password: 'wrong' }, { retry: { retries: 0 } }).consumer({ groupId: 'ok-never' });
      const t0 = Date.now();
      await assert.rejects(consumer.connect(), (e: Error) => e.name === 'KafkaJSSASLAuthenticationError');
      assert.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
      await consumer.disconnect();
    });
  }

  it('is refused a topic without ACLs and a group without ACLs, with Kafka error types', async () => {
    const k = kafka(sb, 'SASL_SSL', 'SCRAM-SHA-512', undefined, { retry: { retries: 0 } });
    const producer = k.producer();
    await producer.connect();
    await assert.rejects(producer.send({ topic: 'denied', messages: [{ value: 'no' }] }), (e) => errorType(e) === 'TOPIC_AUTHORIZATION_FAILED' || /authorization/i.test(String((e as Error).message)));
    await producer.disconnect();
    // kafkajs reports a refused FindCoordinator as "coordinator not found", keeping the broker's
    // GROUP_AUTHORIZATION_FAILED in its debug log: both are checked.
    const seen: string[] = [];
    const logged = kafka(sb, 'SASL_SSL', 'SCRAM-SHA-512', undefined, {
      retry: { retries: 0 },
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) => {
        const e = (entry.log as { error?: string }).error;
        if (entry.log.message === 'Tried to find group coordinator' && e) seen.push(e);
      },
    });
    const consumer = logged.consumer({ groupId: 'other-group', retry: { retries: 0 } });
    await consumer.connect();
    await consumer.subscribe({ topic: 'ok-shared', fromBeginning: true });
    const crashed = new Promise<unknown>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)));
    void consumer.run({ eachMessage: async () => undefined });
    const err = await crashed;
    assert.equal(errorType(err), 'KafkaJSGroupCoordinatorNotFound');
    assert.ok(seen.some((s) => /GROUP_AUTHORIZATION_FAILED/.test(JSON.stringify(s))), JSON.stringify(seen));
    await consumer.disconnect();
    const allowed = logged.consumer({ groupId: 'ok-kj-allowed' });
    await allowed.connect();
    await allowed.subscribe({ topic: 'ok-shared', fromBeginning: true });
    const first = await new Promise<string>((resolve) => void allowed.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }));
    assert.equal(first, 'shared-1');
    await allowed.disconnect();
  });

  it('lets a DENY beat an ALLOW: bob may not read ok-shared, alice may', async () => {
    const read = async (user: { username: string; password: string }) => {
      const admin = kafka(sb, 'SASL_PLAINTEXT', 'PLAIN', user, { retry: { retries: 0 } }).admin();
      await admin.connect();
      try {
        return await admin.fetchTopicOffsets('ok-shared');
      } finally {
        await admin.disconnect();
      }
    };
    assert.equal((await read(userOf('PLAIN')))[0]!.high, '2');
    await assert.rejects(read({ username: 'bob', password: 'bob-secret' }), (e) => errorType(e) === 'TOPIC_AUTHORIZATION_FAILED' || /authoriz/i.test(String((e as Error).message)));
  });

  it('throttles a producer over its quota (kafkajs throttles itself by throttle_time_ms) and not another', async () => {
    await sb.admin.admin().createTopics([{ name: 'ok-kj-quota', partitions: 1 }]);
    // Kafka measures a rate over at least ten one-second windows: a client is throttled once it has sent
    // ten times its quota, here 160 KiB, which every client does within its seconds even on a loaded machine.
    await sb.admin.admin().alterClientQuotas([{ entity: { 'client-id': 'kj-slow' }, set: { producer_byte_rate: 16 * 1024 } }]);
    const run = async (clientId: string) => {
      const throttles: string[] = [];
      const k = kafka(sb, 'SASL_PLAINTEXT', 'PLAIN', undefined, {
        clientId,
        logLevel: logLevel.DEBUG,
        logCreator: () => (entry) => {
          if (/Client side throttling in effect/.test(entry.log.message)) throttles.push(entry.log.message);
        },
      });
      const producer = k.producer();
      await producer.connect();
      let acked = 0;
      const value = Buffer.alloc(10240, 'x');
      const end = Date.now() + 3000;
      while (Date.now() < end) {
        await producer.send({ topic: 'ok-kj-quota', acks: 1, messages: Array.from({ length: 10 }, () => ({ value })) });
        acked += 10 * value.length;
      }
      await producer.disconnect();
      return { acked, throttles: throttles.length };
    };
    const [slow, fast] = await Promise.all([run('kj-slow'), run('kj-fast')]);
    assert.ok(slow.throttles > 0, 'kafkajs was told to throttle');
    assert.equal(fast.throttles, 0);
    assert.ok(slow.acked <= (640 + 100 + 64 * 5) * 1024, `the throttled producer got ${slow.acked} bytes acknowledged`);
    assert.ok(fast.acked > 2 * slow.acked, `the other was not slowed (${fast.acked} vs ${slow.acked})`);
  });
});
