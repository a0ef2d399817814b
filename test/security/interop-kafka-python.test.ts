/**
 * kafka-python 2.0.2 (Debian's python3-kafka, which logs in with SaslHandshake v0 and bare
 * tokens) against every security protocol and mechanism it has: SSL, SASL_PLAINTEXT and SASL_SSL
 * with PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER (a token provider giving unsecured JWTs). Right
 * credentials produce and consume; a wrong password is refused and sees no data; topics and groups
 * without ACLs are refused; a DENY beats an ALLOW; a quota throttles one client and not another.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { COMBINATIONS, interopBroker, userOf } from '../helpers/interop-broker.js';
import type { SecureBroker } from '../helpers/secure-broker.js';

const run = promisify(execFile);

const SCRIPT = `
import base64, json, sys, time
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.oauth.abstract import AbstractTokenProvider
from kafka.errors import KafkaError

class Unsecured(AbstractTokenProvider):
    def __init__(self, sub): self.sub = sub
    def token(self):
        b = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip('=')
        return b({'alg': 'none'}) + '.' + b({'sub': self.sub, 'iat': int(time.time()), 'exp': int(time.time()) + 3600}) + '.'

a = json.loads(sys.argv[1])
kw = dict(bootstrap_servers=a['bootstrap'], security_protocol=a['protocol'], request_timeout_ms=30000)
if a['protocol'].endswith('SSL'):
    kw.update(ssl_cafile=a['ca'], ssl_check_hostname=False)
if a.get('mechanism') == 'OAUTHBEARER':
    kw.update(sasl_mechanism='OAUTHBEARER', sasl_oauth_token_provider=Unsecured(a['username']))
elif a.get('mechanism'):
    kw.update(sasl_mechanism=a['mechanism'], sasl_plain_username=a['username'], sasl_plain_password=a['password'])
out = {}
t0 = time.time()
try:
    if a['task'] == 'roundtrip':
        p = KafkaProducer(**kw)
        for i in range(50): p.send(a['topic'], ('v%d' % i).encode())
        p.flush(); p.close()
        c = KafkaConsumer(**kw, enable_auto_commit=False, auto_offset_reset='earliest', consumer_timeout_ms=5000, group_id=a.get('group'))
        if a.get('group'): c.subscribe([a['topic']])
        else: c.assign([TopicPartition(a['topic'], 0)])
        out['got'] = [m.value.decode() for m in c][:a.get('limit', 50)]
        c.close()
    elif a['task'] == 'topics':
        c = KafkaConsumer(**kw)
        out['topics'] = sorted(t for t in c.topics() if not t.startswith('ok-kp'))
        c.close()
    elif a['task'] == 'produce':
        p = KafkaProducer(**kw, retries=0)
        p.send(a['topic'], b'x').get(timeout=10)
        out['ok'] = True
    elif a['task'] == 'quota':
        p = KafkaProducer(**kw, client_id=a['clientId'], linger_ms=5, acks=1)
        value = b'x' * 10240
        futures = []
        end = time.time() + a['seconds']
        while time.time() < end:
            futures.append(p.send(a['topic'], value))
            if len(futures) % 20 == 0: time.sleep(0.001)
        acked = 0
        for f in futures:
            try:
                if f.is_done and f.succeeded(): acked += 10240
            except Exception: pass
        m = p.metrics()['producer-metrics']
        out['throttleMax'] = m.get('produce-throttle-time-max', 0) or 0
        out['acked'] = acked
        p.close(timeout=1)
except KafkaError as e:
    out['error'] = type(e).__name__
    out['detail'] = str(e)[:300]
except Exception as e:
    out['error'] = type(e).__name__ + ': ' + str(e)[:200]
out['seconds'] = time.time() - t0
print(json.dumps(out))
`;

interface Result {
  got?: string[];
  topics?: string[];
  ok?: boolean;
  error?: string;
  detail?: string;
  throttleMax?: number;
  acked?: number;
  seconds: number;
}

describe('kafka-python over TLS and SASL', { timeout: 300_000 }, () => {
  let sb: SecureBroker;
  const py = async (args: Record<string, unknown>): Promise<Result> => {
    const protocol = args['protocol'] as keyof SecureBroker['address'];
    const { stdout } = await run('/usr/bin/python3', ['-c', SCRIPT, JSON.stringify({ bootstrap: sb.address[protocol], ca: sb.certs.caCert, ...args })], { timeout: 90_000 });
    return JSON.parse(stdout) as Result;
  };
  before(async () => {
    sb = await interopBroker();
  });
  after(() => sb.stop());

  for (const [i, { protocol, mechanism }] of COMBINATIONS.entries()) {
    it(`produces and consumes over ${protocol}${mechanism ? ` with ${mechanism}` : ''}`, async () => {
      const topic = `ok-kp-${i}`;
      await sb.admin.admin().createTopics([{ name: topic, partitions: 1 }]);
      const r = await py({ task: 'roundtrip', protocol, mechanism, ...userOf(mechanism), topic });
      assert.equal(r.error, undefined);
      assert.deepEqual(r.got, Array.from({ length: 50 }, (_, n) => `v${n}`));
    });
  }

  it('is refused with a wrong password, quickly, and gets no data', async () => {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256']) {
      const r = await py({ task: 'produce', protocol: 'SASL_PLAINTEXT', mechanism, username: userOf(mechanism).username, password: 'wrong', topic: 'ok-shared' });
      assert.ok(r.error, `${mechanism}: refused (${JSON.stringify(r)})`);
      assert.equal(r.ok, undefined);
    }
  });

  it('is refused a topic and a group without ACLs, and bob is denied what everyone is allowed', async () => {
    const scram = { protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-512', ...userOf('SCRAM-SHA-512') };
    // kafka-python never raises a topic's authorization failure from metadata (its producer waits out
    // max_block_ms, its consumer retries ListOffsets): what it shows is the topics it may see.
    assert.deepEqual((await py({ task: 'topics', ...scram })).topics, ['ok-shared']);
    const other = await py({ task: 'roundtrip', ...scram, topic: 'ok-shared', group: 'other-group' });
    assert.equal(other.error, 'GroupAuthorizationFailedError', JSON.stringify(other));
    const inGroup = await py({ task: 'roundtrip', ...scram, topic: 'ok-shared', group: 'ok-kp-group', limit: 2 });
    assert.deepEqual(inGroup.got?.slice(0, 2), ['shared-1', 'shared-2']);
    assert.deepEqual((await py({ task: 'topics', protocol: 'SASL_PLAINTEXT', mechanism: 'PLAIN', username: 'bob', password: 'bob-secret' })).topics, [], 'bob is denied ok-shared, DESCRIBE included');
    assert.deepEqual((await py({ task: 'topics', protocol: 'SASL_PLAINTEXT', mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' })).topics, ['denied', 'ok-shared']);
  });

  it('a producer over its quota sees throttle times, another client id none', async () => {
    await sb.admin.admin().createTopics([{ name: 'ok-kp-quota', partitions: 1 }]);
    // Kafka measures a rate over at least ten one-second windows: a client is throttled once it has sent
    // ten times its quota, here 160 KiB, which every client does within its seconds even on a loaded machine.
    await sb.admin.admin().alterClientQuotas([{ entity: { 'client-id': 'kp-slow' }, set: { producer_byte_rate: 16 * 1024 } }]);
    const base = { task: 'quota', protocol: 'SASL_PLAINTEXT', mechanism: 'PLAIN', ...userOf('PLAIN'), topic: 'ok-kp-quota', seconds: 3 };
    const [slow, fast] = await Promise.all([py({ ...base, clientId: 'kp-slow' }), py({ ...base, clientId: 'kp-fast' })]);
    assert.equal(slow.error, undefined);
    assert.ok((slow.throttleMax ?? 0) > 0, `kafka-python's produce-throttle-time-max: ${slow.throttleMax}`);
    assert.equal(fast.throttleMax, 0);
  });
});
