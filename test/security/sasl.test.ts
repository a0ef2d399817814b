/**
 * SASL on the broker, with the Samsa client and raw requests: every mechanism on SASL_PLAINTEXT
 * and SASL_SSL; a wrong password fails fast with SASL_AUTHENTICATION_FAILED and the connection
 * serves nothing; nothing but ApiVersions and the handshake is served before login (a request
 * after the handshake is answered ILLEGAL_SASL_STATE, then the connection closes); the bare
 * tokens of SaslHandshake v0; session lifetimes and re-authentication (KIP-368); SCRAM
 * credentials that persist across a restart and are never stored in clear.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ClientOptions, KafkaProtocolError, SamsaClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { MetadataApi, SaslAuthenticateApi, SaslHandshakeApi } from '../../src/protocol/messages/index.js';
import { ZERO_UUID } from '../../src/protocol/primitives/codec-support.js';
import { unsecuredJws } from '../../src/protocol/sasl/oauthbearer.js';
import { RawClient } from '../helpers/raw-client.js';
import { type SecureBroker, secureBroker } from '../helpers/secure-broker.js';
import { tempDir } from '../helpers/test-broker.js';

const token = (sub: string, lifetimeS = 3600) => ({ value: unsecuredJws({ sub, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + lifetimeS }) });

async function roundTrip(options: ClientOptions, topic: string): Promise<string> {
  const c = new SamsaClient({ ...options, clientId: 'sasl-test' });
  try {
    await c.admin().createTopics([{ name: topic, partitions: 1 }]);
    await c.producer().send(topic, { value: `via ${topic}` });
    const consumer = c.consumer({ autoOffsetReset: 'earliest' });
    consumer.assign([{ topic, partition: 0 }]);
    for await (const r of consumer) return r.value!.toString();
    return '';
  } finally {
    await c.close();
  }
}

describe('SASL', { timeout: 120_000 }, () => {
  let sb: SecureBroker;
  before(async () => {
    sb = await secureBroker({ config: { 'connection.failed.authentication.delay.ms': 200, 'samsa.authentication.timeout.ms': 2000 } });
    await sb.admin.admin().alterUserScramCredentials([
      { user: 'carol', mechanism: 'SCRAM-SHA-256', password: 'carol-secret' },
      { user: 'carol', mechanism: 'SCRAM-SHA-512', password: 'carol-secret', iterations: 8192 },
    ]);
  });
  after(() => sb.stop());

  for (const listener of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const) {
      it(`${mechanism} over ${listener}: the right credentials produce and consume`, async () => {
        const sasl = mechanism === 'OAUTHBEARER' ? { mechanism, oauthBearerProvider: () => token('dave') } : { mechanism, username: mechanism === 'PLAIN' ? 'alice' : 'carol', password: mechanism === 'PLAIN' ? 'alice-secret' : 'carol-secret' };
        const topic = `t-${listener}-${mechanism}`.replace(/_/g, '-');
        const got = await roundTrip({ bootstrapServers: [sb.address[listener]], sasl, ...(listener === 'SASL_SSL' ? { ssl: { ca: sb.ca } } : {}) }, topic);
        assert.equal(got, `via ${topic}`);
      });
    }
  }

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: a wrong password fails fast with SASL_AUTHENTICATION_FAILED`, async () => {
      const c = new SamsaClient({ bootstrapServers: [sb.address.SASL_PLAINTEXT], sasl: { mechanism, username: mechanism === 'PLAIN' ? 'alice' : 'carol', password: 'wrong' } });
      const t0 = Date.now();
      await assert.rejects(c.admin().listTopics(), (e: Error) => e instanceof KafkaProtocolError && e.errorCode === ErrorCode.SASL_AUTHENTICATION_FAILED);
      const ms = Date.now() - t0;
      assert.ok(ms >= 150 && ms < 3000, `answered after the fixed delay, not retried: ${ms} ms`);
      await c.close();
    });
  }

  it('OAUTHBEARER: an expired token is refused', async () => {
    const c = new SamsaClient({ bootstrapServers: [sb.address.SASL_PLAINTEXT], sasl: { mechanism: 'OAUTHBEARER', oauthBearerProvider: () => token('dave', -60) } });
    await assert.rejects(c.admin().listTopics(), (e: Error) => e instanceof KafkaProtocolError && e.errorCode === ErrorCode.SASL_AUTHENTICATION_FAILED && /invalid_token/.test(e.message));
    await c.close();
  });

  it('a failed login serves nothing after it: requests pipelined behind it get no answer and the connection closes', async () => {
    const raw = await RawClient.connect(sb.port.SASL_PLAINTEXT);
    const hs = await raw.send(SaslHandshakeApi, 1, { mechanism: 'PLAIN' });
    assert.equal(hs.errorCode, ErrorCode.NONE);
    assert.deepEqual(hs.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER']);
    const auth = raw.send(SaslAuthenticateApi, 1, { authBytes: Buffer.from('\u0000alice\u0000nope') });
    const meta = raw.send(MetadataApi, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const r = await auth;
    assert.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.match(r.errorMessage ?? '', /Invalid username or password/);
    await assert.rejects(meta, /connection closed/);
    await raw.closed;
  });

  it('serves only ApiVersions and the handshake before login: a Metadata request closes the connection', async () => {
    const raw = await RawClient.connect(sb.port.SASL_PLAINTEXT);
    await assert.rejects(raw.send(MetadataApi, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }), /connection closed/);
  });

  it('answers a request sent after the handshake instead of SaslAuthenticate its error answer with ILLEGAL_SASL_STATE, then closes, as Kafka', async () => {
    const raw = await RawClient.connect(sb.port.SASL_PLAINTEXT);
    assert.equal((await raw.send(SaslHandshakeApi, 1, { mechanism: 'OAUTHBEARER' })).errorCode, ErrorCode.NONE);
    const meta = await raw.send(MetadataApi, 12, { topics: [{ topicId: ZERO_UUID, name: 'orders' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.deepEqual(meta.topics.map((t) => [t.name, t.errorCode]), [['orders', ErrorCode.ILLEGAL_SASL_STATE]]);
    await raw.closed;
  });

  it('answers an unknown mechanism UNSUPPORTED_SASL_MECHANISM with the enabled ones, then closes', async () => {
    const raw = await RawClient.connect(sb.port.SASL_PLAINTEXT);
    const hs = await raw.send(SaslHandshakeApi, 1, { mechanism: 'GSSAPI' });
    assert.equal(hs.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.ok(hs.mechanisms.includes('SCRAM-SHA-512'));
    await raw.closed;
  });

  it('answers a SASL handshake on a PLAINTEXT listener ILLEGAL_SASL_STATE', async () => {
    const raw = await RawClient.connect(sb.port.PLAINTEXT);
    const hs = await raw.send(SaslHandshakeApi, 1, { mechanism: 'PLAIN' });
    assert.equal(hs.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    raw.close();
  });

  it('exchanges bare tokens after SaslHandshake v0 (old clients), PLAIN answered with an empty token', async () => {
    const raw = await RawClient.connect(sb.port.SASL_PLAINTEXT);
    assert.equal((await raw.send(SaslHandshakeApi, 0, { mechanism: 'PLAIN' })).errorCode, ErrorCode.NONE);
    const token = Buffer.from('\u0000alice\u0000alice-secret');
    const size = Buffer.alloc(4);
    size.writeInt32BE(token.length);
    const reply = new Promise<Buffer>((resolve) => raw.socket.once('data', resolve));
    raw.write(Buffer.concat([size, token]));
    assert.deepEqual(await reply, Buffer.alloc(4));
    const meta = await raw.send(MetadataApi, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.ok(meta.brokers.length === 1);
    raw.close();
  });

  it('cuts off a client that never finishes its handshake', async () => {
    const raw = await RawClient.connect(sb.port.SASL_PLAINTEXT);
    const t0 = Date.now();
    await raw.closed;
    const ms = Date.now() - t0;
    assert.ok(ms >= 1500 && ms < 10_000, `closed after samsa.authentication.timeout.ms: ${ms} ms`);
  });

  it('stores SCRAM credentials salted in the metadata log, never the password', async () => {
    const dir = `${sb.broker.dataDir}/__cluster_metadata-0`;
    const log = Buffer.concat(await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.log')).map((f) => readFile(`${dir}/${f}`))));
    assert.ok(!log.includes('carol-secret'));
    assert.ok(log.includes('carol'));
    const stored = sb.broker.metadata.security.scramCredential('carol', 1);
    assert.ok(stored && stored.storedKey.length === 32 && stored.serverKey.length === 32 && stored.iterations === 4096);
    const users = await sb.admin.admin().describeUserScramCredentials();
    assert.deepEqual(users, [{ user: 'carol', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 8192 }] }]);
    await assert.rejects(sb.admin.admin().describeUserScramCredentials(['nobody']), (e: Error) => e instanceof KafkaProtocolError && e.errorCode === ErrorCode.RESOURCE_NOT_FOUND);
    await assert.rejects(sb.admin.admin().alterUserScramCredentials([{ user: 'x', mechanism: 'SCRAM-SHA-256', password: 'p', iterations: 100 }]), (e: Error) => e instanceof KafkaProtocolError && e.errorCode === ErrorCode.UNACCEPTABLE_CREDENTIAL);
  });
});

describe('SCRAM credentials across a restart', { timeout: 60_000 }, () => {
  it('a user created before a restart logs in after it; a deleted one does not', async () => {
    const dataDir = await tempDir();
    const first = await secureBroker({ options: { dataDir } });
    await first.admin.admin().alterUserScramCredentials([{ user: 'erin', mechanism: 'SCRAM-SHA-512', password: 'erin-secret' }, { user: 'frank', mechanism: 'SCRAM-SHA-256', password: 'frank-secret' }]);
    await first.admin.admin().alterUserScramCredentials([{ user: 'frank', mechanism: 'SCRAM-SHA-256', delete: true }]);
    const certs = first.certs;
    await first.admin.close();
    await first.broker.close();
    const second = await secureBroker({ certs, options: { dataDir } });
    try {
      const ok = new SamsaClient({ bootstrapServers: [second.address.SASL_PLAINTEXT], sasl: { mechanism: 'SCRAM-SHA-512', username: 'erin', password: 'erin-secret' } });
      assert.deepEqual(await ok.admin().listTopics(), []);
      await ok.close();
      const gone = new SamsaClient({ bootstrapServers: [second.address.SASL_PLAINTEXT], sasl: { mechanism: 'SCRAM-SHA-256', username: 'frank', password: 'frank-secret' } });
      await assert.rejects(gone.admin().listTopics(), (e: Error) => e instanceof KafkaProtocolError && e.errorCode === ErrorCode.SASL_AUTHENTICATION_FAILED);
      await gone.close();
    } finally {
      await second.stop();
      await certs.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('re-authentication (KIP-368)', { timeout: 60_000 }, () => {
  let sb: SecureBroker;
  before(async () => {
    sb = await secureBroker({ config: { 'listener.name.sasl_plaintext.connections.max.reauth.ms': 1500 } });
  });
  after(() => sb.stop());

  it('gives the session a lifetime, closes a connection used after it, and lets a client log in again before it', async () => {
    const login = async (raw: RawClient, user: string, password: string) => {
      assert.equal((await raw.send(SaslHandshakeApi, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.NONE);
      return raw.send(SaslAuthenticateApi, 2, { authBytes: Buffer.from(`\u0000${user}\u0000${password}`) });
    };
    const meta = (raw: RawClient) => raw.send(MetadataApi, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const expiring = await RawClient.connect(sb.port.SASL_PLAINTEXT);
    const r = await login(expiring, 'alice', 'alice-secret');
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.sessionLifetimeMs, 1500n);
    await meta(expiring);
    await sleep(1700);
    await assert.rejects(meta(expiring), /connection closed/);

    const renewing = await RawClient.connect(sb.port.SASL_PLAINTEXT);
    await login(renewing, 'alice', 'alice-secret');
    await sleep(1000);
    assert.equal((await login(renewing, 'alice', 'alice-secret')).errorCode, ErrorCode.NONE);
    await sleep(1000);
    assert.equal((await meta(renewing)).brokers.length, 1, 'still served 2 s after the first login');
    const other = await login(renewing, 'bob', 'bob-secret');
    assert.equal(other.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, 'a re-authentication may not change the principal');
    await renewing.closed;
  });

  it("keeps the Samsa client's connection alive across several session lifetimes", async () => {
    const c = new SamsaClient({ bootstrapServers: [sb.address.SASL_PLAINTEXT], sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } });
    await c.admin().createTopics([{ name: 'reauth', partitions: 1 }]);
    const producer = c.producer({ lingerMs: 0 });
    const conn = await c.cluster.any();
    for (let i = 0; i < 16; i++) {
      await producer.send('reauth', { value: String(i) });
      await sleep(250);
    }
    assert.equal(await c.cluster.any(), conn, 'the same connection throughout');
    assert.ok(conn.isOpen);
    await c.close();
  });
});
