/**
 * The `samsa` command over TLS and SASL with `--command-config` (Kafka's client configs), and its
 * security commands: `users` (SCRAM credentials, kafka-configs syntax), `acls` (as kafka-acls) and
 * `quotas`, against a broker with every listener and the StandardAuthorizer.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runSamsa as samsa } from '../helpers/samsa-cli.js';
import { after, before, describe, it } from 'node:test';
import { type SecureBroker, secureBroker } from '../helpers/secure-broker.js';


describe('samsa with --command-config, and the acls, users and quotas commands', { timeout: 180_000 }, () => {
  let sb: SecureBroker;
  const config = async (name: string, lines: string[]) => {
    const path = join(sb.certs.dir, `${name}.properties`);
    await writeFile(path, lines.join('\n') + '\n');
    return path;
  };
  let admin: string[];
  let carol: string[];
  before(async () => {
    sb = await secureBroker({ authorizer: true });
    admin = ['-b', sb.address.SASL_SSL, '--command-config', await config('admin', ['security.protocol=SASL_SSL', 'sasl.mechanism=PLAIN', 'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";', `ssl.truststore.location=${sb.certs.caCert}`, 'ssl.truststore.type=PEM'])];
    carol = ['-b', sb.address.SASL_SSL, '--command-config', await config('carol', ['security.protocol=SASL_SSL', 'sasl.mechanism=SCRAM-SHA-512', 'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="carol-secret";', `ssl.truststore.location=${sb.certs.caCert}`])];
  });
  after(() => sb.stop());

  it('manages SCRAM users with kafka-configs syntax', async () => {
    const r = await samsa(['users', 'alter', 'carol', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=carol-secret],SCRAM-SHA-512=[password=carol-secret]', ...admin]);
    assert.equal(r.code, 0, r.stderr);
    const described = JSON.parse((await samsa(['users', 'describe', '--json', ...admin])).stdout) as { user: string; credentials: { mechanism: string; iterations: number }[] }[];
    assert.deepEqual(described, [{ user: 'carol', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }]);
    assert.match((await samsa(['users', 'describe', ...admin])).stdout, /^USER\s+MECHANISM\s+ITERATIONS\ncarol\s+SCRAM-SHA-256\s+8192\n/);
    const bad = await samsa(['users', 'alter', 'carol', '--add-config', 'SCRAM-SHA-256=[iterations=100,password=x]', ...admin]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /UNACCEPTABLE_CREDENTIAL/);
  });

  it('adds, lists and removes ACLs as kafka-acls does, and a SCRAM user works within them', async () => {
    assert.equal((await samsa(['topics', 'create', 'orders', ...admin])).code, 0);
    assert.equal((await samsa(['topics', 'create', 'payroll', ...admin])).code, 0);
    const added = await samsa(['acls', 'add', '--allow-principal', 'User:carol', '--producer', '--consumer', '--topic', 'orders', '--group', 'billing', ...admin]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added 5 ACL\(s\)/);
    const listed = JSON.parse((await samsa(['acls', 'list', '--topic', 'orders', '--json', ...admin])).stdout) as { operation: string }[];
    assert.deepEqual(listed.map((a) => a.operation).sort(), ['CREATE', 'DESCRIBE', 'READ', 'WRITE']);
    const produced = await samsa(['produce', 'orders', ...carol], 'one\ntwo\n');
    assert.equal(produced.code, 0, produced.stderr);
    const consumed = await samsa(['consume', 'orders', '--group', 'billing', '--from-beginning', '--max-messages', '2', ...carol]);
    assert.deepEqual(consumed.stdout.trim().split('\n'), ['one', 'two']);
    assert.deepEqual(JSON.parse((await samsa(['topics', 'list', '--json', ...carol])).stdout), [{ topic: 'orders', partitions: 1 }], 'payroll is hidden from carol');
    const refused = await samsa(['produce', 'payroll', ...carol], 'x\n');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /TOPIC_AUTHORIZATION_FAILED/);
    const removed = await samsa(['acls', 'remove', '--topic', 'orders', ...admin]);
    assert.match(removed.stdout, /removed 4 ACL\(s\)/);
    assert.equal((await samsa(['produce', 'orders', ...carol], 'x\n')).code, 1);
  });

  it('sets and shows quotas', async () => {
    assert.equal((await samsa(['quotas', 'alter', '--user', 'carol', '--add-config', 'producer_byte_rate=1048576,consumer_byte_rate=2097152', ...admin])).code, 0);
    assert.equal((await samsa(['quotas', 'alter', '--client-defaults', '--add-config', 'request_percentage=50', ...admin])).code, 0);
    const all = await samsa(['quotas', 'describe', ...admin]);
    assert.match(all.stdout, /user=carol\s+producer_byte_rate\s+1048576/);
    assert.match(all.stdout, /client-id=<default>\s+request_percentage\s+50/);
    assert.equal((await samsa(['quotas', 'alter', '--user', 'carol', '--delete-config', 'consumer_byte_rate', ...admin])).code, 0);
    const carolQuotas = JSON.parse((await samsa(['quotas', 'describe', '--user', 'carol', '--json', ...admin])).stdout) as { values: Record<string, number> }[];
    assert.deepEqual(carolQuotas, [{ entity: { user: 'carol' }, values: { producer_byte_rate: 1048576 } }]);
  });

  it('refuses a wrong password with the broker\'s error, and takes OAUTHBEARER and SSL configs', async () => {
    const wrong = await samsa(['topics', 'list', '-b', sb.address.SASL_PLAINTEXT, '--command-config', await config('wrong', ['security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=PLAIN', 'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="nope";'])]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /SASL_AUTHENTICATION_FAILED/);
    const oauth = await samsa(['topics', 'list', '-b', sb.address.SASL_PLAINTEXT, '--command-config', await config('oauth', ['security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=OAUTHBEARER', 'sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";'])]);
    assert.equal(oauth.code, 0, oauth.stderr);
    assert.match(oauth.stdout, /payroll/, 'admin (a super user) sees every topic');
    const ssl = await samsa(['topics', 'list', '-b', sb.address.SSL, '--command-config', await config('ssl', ['security.protocol=SSL', `ssl.truststore.location=${sb.certs.caCert}`])]);
    assert.equal(ssl.code, 0, ssl.stderr);
    const typo = await samsa(['topics', 'list', '-b', sb.address.SSL, '--command-config', await config('typo', ['security.protocol=SSL', `ssl.trustore.location=${sb.certs.caCert}`])]);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /ssl\.trustore\.location is not a client config/);
  });

  it('has --help for the new commands', async () => {
    for (const cmd of [['acls', 'add'], ['acls', 'list'], ['acls', 'remove'], ['users', 'alter'], ['users', 'describe'], ['quotas', 'alter'], ['quotas', 'describe']]) {
      const r = await samsa([...cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /--command-config/);
    }
  });
});
