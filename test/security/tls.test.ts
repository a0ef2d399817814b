/**
 * TLS listeners: PEM (plain and with an encrypted key), inline PEM and PKCS12 keystores; client
 * certificates requested or required, trusted or not; the principal a certificate gives through
 * `ssl.principal.mapping.rules`; a client that does not trust the broker failing at once; and
 * certificates reloaded without a restart (AlterConfigs on the broker, as `kafka-configs` does it,
 * or `broker.reloadCertificates()`), with a bad keystore refused and the old one kept.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { KafkaProtocolError, SamsaClient, SamsaClientError } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { IncrementalAlterConfigsApi } from '../../src/protocol/messages/index.js';
import { type CertFiles, makeCerts } from '../helpers/certs.js';
import { RawClient } from '../helpers/raw-client.js';
import { distinguishedName } from '../../src/security/ssl-principal-mapper.js';
import { tempDir, testBroker } from '../helpers/test-broker.js';

/** The TLS 1.3 suite a listener picks for a node:tls client offering `ciphers` (node's default order: AES-256-GCM first). */
async function negotiated(port: number, ca: Buffer, ciphers?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...(ciphers ? { ciphers } : {}) }, () => {
      resolve(s.getCipher().name);
      s.destroy();
    });
    s.once('error', reject);
  });
}

/** The suite Python's ssl module (its own OpenSSL defaults) negotiates with a listener. */
async function negotiatedByPython(port: number, caFile: string): Promise<string> {
  const script = `import socket, ssl\nctx = ssl.create_default_context(cafile=${JSON.stringify(caFile)})\nctx.check_hostname = False\ns = ctx.wrap_socket(socket.create_connection(('127.0.0.1', ${port}), timeout=10))\nprint(s.cipher()[0])\ns.close()`;
  // Not execFileSync: the broker runs in this process.
  return (await promisify(execFile)('/usr/bin/python3', ['-c', script], { encoding: 'utf8', timeout: 20_000 })).stdout.trim();
}

/** The CN of the certificate a TLS listener presents now. */
async function servedCn(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(String(s.getPeerCertificate().subject.CN));
      s.destroy();
    });
    s.once('error', reject);
  });
}

const ssl = (extra: Record<string, string> = {}) => ({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', ...extra });

describe('TLS listeners', { timeout: 120_000 }, () => {
  let certs: CertFiles;
  let ca: Buffer;
  before(async () => {
    certs = await makeCerts();
    ca = await readFile(certs.caCert);
  });
  after(() => certs.cleanup());

  it('serves PEM, encrypted PEM, inline PEM and PKCS12 keystores', async () => {
    const variants: Record<string, string>[] = [
      { 'ssl.keystore.location': certs.brokerKeystore },
      { 'ssl.keystore.location': certs.brokerEncryptedKeystore, 'ssl.key.password': certs.password },
      { 'ssl.keystore.key': await readFile(certs.brokerKey, 'utf8'), 'ssl.keystore.certificate.chain': await readFile(certs.brokerCert, 'utf8') },
      { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': certs.brokerP12, 'ssl.keystore.password': certs.password },
    ];
    for (const v of variants) {
      const broker = await testBroker({ config: ssl(v) });
      try {
        const c = new SamsaClient({ bootstrapServers: [broker.bootstrap], ssl: { ca } });
        await c.admin().createTopics([{ name: 'tls', partitions: 1 }]);
        assert.deepEqual(await c.admin().listTopics(), ['tls']);
        await c.close();
      } finally {
        await broker.stop();
      }
    }
  });

  it("picks the suite by its own order, as a Kafka broker does: node's defaults (AES-256-GCM first), or ssl.cipher.suites' order", async () => {
    const b = await testBroker({ config: ssl({ 'ssl.keystore.location': certs.brokerKeystore }) });
    try {
      assert.equal(await negotiated(b.port, ca, 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384'), 'TLS_AES_256_GCM_SHA384', 'a client preferring AES-128-GCM gets the listener\'s first choice');
      assert.equal(await negotiated(b.port, ca, 'TLS_AES_128_GCM_SHA256'), 'TLS_AES_128_GCM_SHA256', 'a client offering only AES-128-GCM gets it');
      assert.equal(await negotiatedByPython(b.port, certs.caCert), 'TLS_AES_256_GCM_SHA384', "Python's ssl");
    } finally {
      await b.stop();
    }
    const ordered = await testBroker({ config: ssl({ 'ssl.keystore.location': certs.brokerKeystore, 'ssl.cipher.suites': 'TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384' }) });
    try {
      assert.equal(await negotiated(ordered.port, ca), 'TLS_AES_128_GCM_SHA256', "node:tls offers AES-256-GCM first; the listener's order wins");
      assert.equal(await negotiatedByPython(ordered.port, certs.caCert), 'TLS_AES_128_GCM_SHA256', "Python's ssl offers AES-256-GCM first; the listener's order wins");
      await assert.rejects(negotiated(ordered.port, ca, 'TLS_CHACHA20_POLY1305_SHA256'), 'a suite outside ssl.cipher.suites is refused');
    } finally {
      await ordered.stop();
    }
  });

  it('refuses to start with a missing or wrong keystore, saying which', async () => {
    await assert.rejects(testBroker({ config: ssl() }), /has no keystore/);
    await assert.rejects(testBroker({ config: ssl({ 'ssl.keystore.location': '/nonexistent/k.pem' }) }), /not found/);
    await assert.rejects(testBroker({ config: ssl({ 'ssl.keystore.location': certs.brokerEncryptedKeystore, 'ssl.key.password': 'wrong' }) }), /cannot use its keystore/);
    await assert.rejects(testBroker({ config: ssl({ 'ssl.keystore.type': 'JKS', 'ssl.keystore.location': certs.brokerP12 }) }), /JKS|PEM or PKCS12/);
  });

  it('fails at once, without retrying, when the client does not trust the broker', async () => {
    const broker = await testBroker({ config: ssl({ 'ssl.keystore.location': certs.brokerKeystore }) });
    try {
      const c = new SamsaClient({ bootstrapServers: [broker.bootstrap], ssl: { ca: await readFile(certs.otherCaCert) } });
      const t0 = Date.now();
      await assert.rejects(c.admin().listTopics(), (e: Error) => e instanceof SamsaClientError && e.code === 'SAMSA_TLS');
      assert.ok(Date.now() - t0 < 2000);
      await c.close();
    } finally {
      await broker.stop();
    }
  });

  it('names a client by its certificate through ssl.principal.mapping.rules (ANONYMOUS without one), and refuses untrusted ones', async () => {
    const alice = await certs.client('alice', '/O=Samsa/OU=eng/CN=Alice');
    const mallory = await certs.client('mallory', '/O=Samsa/OU=eng/CN=Alice', true);
    const broker = await testBroker({
      config: ssl({
        'ssl.keystore.location': certs.brokerKeystore,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': certs.caCert,
        'ssl.client.auth': 'requested',
        'ssl.principal.mapping.rules': 'RULE:^CN=(.*?),OU=eng,.*$/$1/L,DEFAULT',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:alice',
      }),
    });
    try {
      const asAlice = new SamsaClient({ bootstrapServers: [broker.bootstrap], ssl: { ca, cert: await readFile(alice.cert), key: await readFile(alice.key) } });
      await asAlice.admin().createAcls([{ resourceType: 'topic', resourceName: 'x', principal: 'User:bob', operation: 'read', permission: 'allow' }]);
      assert.equal((await asAlice.admin().describeAcls()).length, 1, 'User:alice (a super user) may alter ACLs');
      await asAlice.close();
      const anonymous = new SamsaClient({ bootstrapServers: [broker.bootstrap], ssl: { ca } });
      await assert.rejects(anonymous.admin().describeAcls(), (e: Error) => e instanceof KafkaProtocolError && e.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      await anonymous.close();
      const forged = new SamsaClient({ bootstrapServers: [broker.bootstrap], ssl: { ca, cert: await readFile(mallory.cert), key: await readFile(mallory.key) } });
      await assert.rejects(forged.admin().listTopics(), SamsaClientError);
      await forged.close();
    } finally {
      await broker.stop();
    }
  });

  it("writes a certificate's subject as Java's X500Principal does (most specific first)", async () => {
    const c = await certs.client('dn', '/C=US/ST=CA/O=Samsa, Inc./OU=eng/CN=alice');
    assert.equal(distinguishedName(await readFile(c.cert)), 'CN=alice,OU=eng,O=Samsa\\, Inc.,ST=CA,C=US');
  });

  it('with ssl.client.auth=required, refuses a client without a certificate', async () => {
    const bob = await certs.client('bob', '/CN=bob');
    const broker = await testBroker({ config: ssl({ 'ssl.keystore.location': certs.brokerKeystore, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caCert, 'ssl.client.auth': 'required' }) });
    try {
      const none = new SamsaClient({ bootstrapServers: [broker.bootstrap], ssl: { ca }, retry: { retries: 0 } });
      await assert.rejects(none.admin().listTopics(), SamsaClientError);
      await none.close();
      const withCert = new SamsaClient({ bootstrapServers: [broker.bootstrap], ssl: { ca, cert: await readFile(bob.cert), key: await readFile(bob.key) } });
      assert.deepEqual(await withCert.admin().listTopics(), []);
      await withCert.close();
    } finally {
      await broker.stop();
    }
  });

  it('keeps a keystore set at run time across a restart (it is in the metadata log)', async () => {
    const keystore = `${certs.dir}/restart-static.pem`;
    await copyFile(certs.brokerKeystore, keystore);
    const dataDir = await tempDir();
    const config = { ...ssl({ 'ssl.keystore.location': keystore }), listeners: 'SSL://127.0.0.1:0,PLAINTEXT://127.0.0.1:0' };
    try {
      const first = await testBroker({ dataDir, config });
      try {
        const moved = await certs.newBrokerKeystore('restart-dynamic', '/CN=dynamic/O=Samsa');
        const raw = await RawClient.connect(first.listeners[1]!.port);
        const [set] = (await raw.send(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: 4, resourceName: String(first.nodeId), configs: [{ name: 'listener.name.ssl.ssl.keystore.location', configOperation: 0, value: moved }] }], validateOnly: false })).responses;
        raw.close();
        assert.equal(set!.errorCode, ErrorCode.NONE, set!.errorMessage ?? '');
        assert.equal(await servedCn(first.listeners[0]!.port, ca), 'dynamic');
      } finally {
        await first.close();
      }
      const second = await testBroker({ dataDir, config });
      try {
        assert.equal(await servedCn(second.listeners[0]!.port, ca), 'dynamic', 'the restarted broker serves the run-time keystore, not the static one');
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('reloads certificates without a restart: AlterConfigs on the broker, and reloadCertificates()', async () => {
    const keystore = `${certs.dir}/reloadable.pem`;
    await copyFile(certs.brokerKeystore, keystore);
    const broker = await testBroker({ config: { ...ssl({ 'ssl.keystore.location': keystore }), listeners: 'SSL://127.0.0.1:0,PLAINTEXT://127.0.0.1:0' } });
    try {
      const port = broker.listeners[0]!.port;
      const open = await (async () => {
        const c = new SamsaClient({ bootstrapServers: [broker.bootstrap], ssl: { ca } });
        await c.admin().listTopics();
        return c;
      })();
      assert.equal(await servedCn(port, ca), 'localhost');
      // As kafka-configs --alter --entity-type brokers --entity-name 1 --add-config listener.name.ssl.ssl.keystore.location=…
      const second = await certs.newBrokerKeystore('broker2', '/CN=second/O=Samsa');
      const raw = await RawClient.connect(broker.listeners[1]!.port);
      const set = (value: string) => raw.send(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: 4, resourceName: '1', configs: [{ name: 'listener.name.ssl.ssl.keystore.location', configOperation: 0, value }] }], validateOnly: false });
      const ok = await set(second);
      assert.equal(ok.responses[0]!.errorCode, ErrorCode.NONE, ok.responses[0]!.errorMessage ?? '');
      assert.equal(await servedCn(port, ca), 'second');
      const bad = await set(certs.caCert);
      assert.equal(bad.responses[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'a keystore without a key is refused');
      assert.equal(await servedCn(port, ca), 'second', 'the old certificate keeps serving');
      raw.close();
      // The same path with new content: reloadCertificates().
      const third = await certs.newBrokerKeystore('broker3', '/CN=third/O=Samsa');
      await copyFile(third, second);
      await broker.reloadCertificates();
      assert.equal(await servedCn(port, ca), 'third');
      assert.deepEqual(await open.admin().listTopics(), [], 'a connection opened before the reloads still works');
      await open.close();
    } finally {
      await broker.stop();
    }
  });
});
