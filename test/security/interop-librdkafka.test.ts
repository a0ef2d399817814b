/**
 * librdkafka (Debian's kcat and confluent-kafka-python) against every security protocol and
 * mechanism: SSL, SASL_PLAINTEXT and SASL_SSL with PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER
 * (librdkafka's unsecured JWT). The right credentials produce and consume; a wrong password is
 * refused and sees no data; a topic without ACLs and a group without ACLs are refused; a DENY beats
 * an ALLOW; a producer over its quota is throttled (librdkafka's own throttle statistics, and the
 * bytes it got acknowledged) while another client is not.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { kcat } from '../helpers/kcat.js';
import { COMBINATIONS, interopBroker, userOf } from '../helpers/interop-broker.js';
import type { SecureBroker } from '../helpers/secure-broker.js';

const run = promisify(execFile);

function kcatSecurity(sb: SecureBroker, protocol: string, mechanism: string | undefined, user = userOf(mechanism)): string[] {
  const args = ['-b', sb.address[protocol as keyof SecureBroker['address']], '-X', `security.protocol=${protocol}`];
  if (protocol.endsWith('SSL')) args.push('-X', `ssl.ca.location=${sb.certs.caCert}`);
  if (mechanism === 'OAUTHBEARER') args.push('-X', 'sasl.mechanism=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', `sasl.oauthbearer.config=principal=${user.username}`);
  else if (mechanism) args.push('-X', `sasl.mechanism=${mechanism}`, '-X', `sasl.username=${user.username}`, '-X', `sasl.password=${user.password}`);
  return args;
}

/** Runs kcat expecting failure; resolves with its stderr and stdout. */
async function kcatFails(args: string[], input = ''): Promise<{ err: string; out: string }> {
  try {
    const out = await kcat(args, input, 30_000);
    return assert.fail(`kcat succeeded: ${out}`);
  } catch (e) {
    return { err: (e as Error).message, out: '' };
  }
}

const CONFLUENT = `
import json, sys, time
from confluent_kafka import Producer, Consumer, KafkaException
cfg = json.loads(sys.argv[1])
task = sys.argv[2]
if task == 'group':
    c = Consumer({**cfg, 'group.id': sys.argv[3], 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    c.subscribe(['ok-shared'])
    got, err = [], None
    end = time.time() + 15
    while time.time() < end and not got and err is None:
        m = c.poll(0.5)
        if m is None: continue
        if m.error(): err = m.error().name()
        else: got.append(m.value().decode())
    c.close()
    print(json.dumps({'got': got, 'err': err}))
elif task == 'quota':
    throttle = [0]
    def stats(s):
        for b in json.loads(s)['brokers'].values():
            throttle[0] = max(throttle[0], b['throttle']['max'])
    acked = [0]
    def done(err, msg):
        if err is None: acked[0] += len(msg.value())
    p = Producer({**cfg, 'client.id': sys.argv[3], 'statistics.interval.ms': 200, 'stats_cb': stats, 'linger.ms': 5, 'queue.buffering.max.kbytes': 512})
    value = b'x' * 10240
    end = time.time() + float(sys.argv[4])
    while time.time() < end:
        try:
            p.produce('ok-quota', value, on_delivery=done)
        except BufferError:
            pass
        p.poll(0.01)
    p.flush(1)
    p.poll(0.5)
    print(json.dumps({'acked': acked[0], 'throttleMax': throttle[0]}))
`;

function confluentConfig(sb: SecureBroker, protocol: string, mechanism: string | undefined, user = userOf(mechanism)): Record<string, string | boolean> {
  const cfg: Record<string, string | boolean> = { 'bootstrap.servers': sb.address[protocol as keyof SecureBroker['address']], 'security.protocol': protocol };
  if (protocol.endsWith('SSL')) cfg['ssl.ca.location'] = sb.certs.caCert;
  if (mechanism === 'OAUTHBEARER') Object.assign(cfg, { 'sasl.mechanism': 'OAUTHBEARER', 'enable.sasl.oauthbearer.unsecure.jwt': true, 'sasl.oauthbearer.config': `principal=${user.username}` });
  else if (mechanism) Object.assign(cfg, { 'sasl.mechanism': mechanism, 'sasl.username': user.username, 'sasl.password': user.password });
  return cfg;
}

async function confluent<T>(cfg: object, ...args: string[]): Promise<T> {
  const { stdout } = await run('/usr/bin/python3', ['-c', CONFLUENT, JSON.stringify(cfg), ...args], { timeout: 60_000 });
  return JSON.parse(stdout) as T;
}

describe('librdkafka over TLS and SASL', { timeout: 240_000 }, () => {
  let sb: SecureBroker;
  before(async () => {
    sb = await interopBroker();
  });
  after(() => sb.stop());

  for (const [i, { protocol, mechanism }] of COMBINATIONS.entries()) {
    it(`kcat produces and consumes over ${protocol}${mechanism ? ` with ${mechanism}` : ''}`, async () => {
      const topic = `ok-kcat-${i}`;
      await sb.admin.admin().createTopics([{ name: topic, partitions: 1 }]);
      const lines = Array.from({ length: 100 }, (_, n) => `${protocol}-${mechanism}-${n}`);
      await kcat([...kcatSecurity(sb, protocol, mechanism), '-P', '-t', topic], lines.join('\n') + '\n');
      const out = await kcat([...kcatSecurity(sb, protocol, mechanism), '-C', '-t', topic, '-o', 'beginning', '-c', '100', '-e']);
      assert.deepEqual(out.trim().split('\n'), lines);
    });
  }

  for (const { protocol, mechanism } of [
    { protocol: 'SASL_PLAINTEXT', mechanism: 'PLAIN' },
    { protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-256' },
    { protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-512' },
  ]) {
    it(`kcat with a wrong ${mechanism} password over ${protocol} is refused and sees no data`, async () => {
      const wrong = { username: userOf(mechanism).username, password: 'wrong-password' };
      const { err } = await kcatFails([...kcatSecurity(sb, protocol, mechanism, wrong), '-C', '-t', 'ok-shared', '-o', 'beginning', '-c', '1', '-e', '-m', '5']);
      assert.match(err, /Authentication failed/);
      assert.doesNotMatch(err, /shared-1/);
    });
  }

  it('kcat is refused a topic without ACLs (TOPIC_AUTHORIZATION_FAILED), and bob is denied what everyone is allowed', async () => {
    const produce = await kcatFails([...kcatSecurity(sb, 'SASL_SSL', 'SCRAM-SHA-256'), '-P', '-t', 'denied'], 'nope\n');
    assert.match(produce.err, /[Aa]uthorization failed/);
    const consume = await kcatFails([...kcatSecurity(sb, 'SASL_SSL', 'SCRAM-SHA-256'), '-C', '-t', 'denied', '-o', 'beginning', '-c', '1', '-e']);
    assert.match(consume.err, /[Aa]uthorization failed/);
    const bob = await kcatFails([...kcatSecurity(sb, 'SASL_PLAINTEXT', 'PLAIN', { username: 'bob', password: 'bob-secret' }), '-C', '-t', 'ok-shared', '-o', 'beginning', '-c', '1', '-e']);
    assert.match(bob.err, /[Aa]uthorization failed/);
    const alice = await kcat([...kcatSecurity(sb, 'SASL_PLAINTEXT', 'PLAIN'), '-C', '-t', 'ok-shared', '-o', 'beginning', '-c', '2', '-e']);
    assert.deepEqual(alice.trim().split('\n'), ['shared-1', 'shared-2']);
  });

  it('confluent-kafka-python joins a group it may read, and is refused one it may not', async () => {
    const cfg = confluentConfig(sb, 'SASL_SSL', 'SCRAM-SHA-512');
    assert.deepEqual(await confluent(cfg, 'group', 'ok-group'), { got: ['shared-1'], err: null });
    const refused = await confluent<{ got: string[]; err: string }>(cfg, 'group', 'other-group');
    assert.deepEqual(refused.got, []);
    assert.equal(refused.err, 'GROUP_AUTHORIZATION_FAILED');
  });

  it('confluent-kafka-python: a producer over its quota is throttled, another client id is not', async () => {
    await sb.admin.admin().createTopics([{ name: 'ok-quota', partitions: 1 }]);
    await sb.admin.admin().alterClientQuotas([{ entity: { 'client-id': 'slow-producer' }, set: { producer_byte_rate: 64 * 1024 } }]);
    const cfg = confluentConfig(sb, 'SASL_PLAINTEXT', 'PLAIN');
    const seconds = 4;
    const [slow, fast] = await Promise.all([confluent<{ acked: number; throttleMax: number }>(cfg, 'quota', 'slow-producer', String(seconds)), confluent<{ acked: number; throttleMax: number }>(cfg, 'quota', 'fast-producer', String(seconds))]);
    // Over the ≥ 10 s quota window, 64 KiB/s lets 640 KiB through, then about 64 KiB a second; what
    // was in flight when the first throttle came back (at most the 512 KiB queue) is written too.
    assert.ok(slow.throttleMax > 0, `librdkafka saw throttle times (${slow.throttleMax} ms)`);
    assert.ok(slow.acked <= (640 + 512 + 64 * (seconds + 2)) * 1024, `the throttled producer got ${slow.acked} bytes acknowledged`);
    assert.equal(fast.throttleMax, 0);
    assert.ok(fast.acked > 2 * slow.acked, `the other producer was not slowed (${fast.acked} vs ${slow.acked} bytes)`);
  });
});
