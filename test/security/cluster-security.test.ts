/**
 * Security on a cluster with separate roles: a controller-only node (its CONTROLLER listener SSL,
 * which the broker reaches with only a truststore for it) and a broker-only node whose one client listener is named CLIENTS and mapped to
 * SASL_SSL by listener.security.protocol.map, with the StandardAuthorizer. The broker registers
 * and serves over its secure listener; the admin requests it forwards to the controller are
 * authorized on the broker first, as the principal that logged in: refused entries never reach the
 * controller, allowed ones are created there; the Envelope carries the principal. A SASL
 * controller listener without `sasl.mechanism.controller.protocol` is refused at start
 * (test/cluster/controller-listener-security.test.ts runs SSL and SASL_SSL controller listeners).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { RunningBroker } from '../../src/broker/broker.js';
import { startBroker } from '../../src/broker/broker.js';
import { principalData, principalOf } from '../../src/broker/cluster/envelope.js';
import { BrokerConnection } from '../../src/client/broker-connection.js';
import { SamsaClient } from '../../src/client/index.js';
import { systemClock } from '../../src/common/clock.js';
import { nodeNetwork } from '../../src/network/network.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { CreateTopicsApi } from '../../src/protocol/messages/index.js';
import { type CertFiles, makeCerts } from '../helpers/certs.js';
import { freePort } from '../helpers/test-broker.js';

const USERS = { admin: 'admin-secret', alice: 'alice-secret' };
// username and password: the broker's own login to the inter-broker listener (this one).
const JAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ${Object.entries(USERS)
  .map(([u, p]) => `user_${u}="${p}"`)
  .join(' ')};`;

describe('security on a cluster with separate controller and broker nodes', { timeout: 60_000 }, () => {
  let certs: CertFiles;
  let ca: Buffer;
  let controller: RunningBroker;
  let broker: RunningBroker;
  let controllerPort: number;

  before(async () => {
    certs = await makeCerts();
    ca = readFileSync(certs.caCert);
    controllerPort = await freePort();
    const base = { 'controller.quorum.voters': `100@127.0.0.1:${controllerPort}`, 'controller.listener.names': 'CONTROLLER' };
    // The controller listener is SSL; the broker-only node reaches it trusting the CA, with no keystore of its own for it.
    controller = await startBroker({
      storage: 'memory',
      logLevel: 'silent',
      nodeId: 100,
      config: {
        ...base,
        'process.roles': 'controller',
        listeners: `CONTROLLER://127.0.0.1:${controllerPort}`,
        'listener.security.protocol.map': 'CONTROLLER:SSL',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.brokerKeystore,
      },
    });
    broker = await startBroker({
      storage: 'memory',
      logLevel: 'silent',
      nodeId: 1,
      config: {
        ...base,
        'process.roles': 'broker',
        listeners: 'CLIENTS://127.0.0.1:0',
        'listener.security.protocol.map': 'CLIENTS:SASL_SSL,CONTROLLER:SSL',
        'listener.name.controller.ssl.truststore.type': 'PEM',
        'listener.name.controller.ssl.truststore.location': certs.caCert,
        'inter.broker.listener.name': 'CLIENTS',
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        'offsets.topic.replication.factor': 1,
        'listener.name.clients.ssl.keystore.type': 'PEM',
        'listener.name.clients.ssl.keystore.location': certs.brokerKeystore,
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.clients.plain.sasl.jaas.config': JAAS,
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:admin',
      },
    });
  });

  after(async () => {
    await broker?.close();
    await controller?.close();
    await certs?.cleanup();
  });

  const login = (user: keyof typeof USERS) =>
    BrokerConnection.connect({ host: '127.0.0.1', port: broker.port, clientId: user, clock: systemClock, network: nodeNetwork, tls: { ca }, sasl: { mechanism: 'PLAIN', username: user, password: USERS[user] } });

  const createTopics = async (user: keyof typeof USERS, names: string[]) => {
    const conn = await login(user);
    try {
      const res = await conn.send(CreateTopicsApi, { topics: names.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 15_000, validateOnly: false }, { version: 7 });
      return Object.fromEntries(res.topics.map((t) => [t.name, t.errorCode]));
    } finally {
      conn.close();
    }
  };

  it('the broker serves its SASL_SSL listener named by listener.security.protocol.map', () => {
    assert.deepEqual(
      broker.listeners.map((l) => [l.name, l.securityProtocol]),
      [['CLIENTS', 'SASL_SSL']],
    );
    assert.deepEqual(controller.listeners, [], 'a controller-only node has no client listener');
  });

  it('forwarded CreateTopics are authorized on the broker as the logged-in principal', async () => {
    assert.deepEqual(await createTopics('alice', ['alice-orders']), { 'alice-orders': ErrorCode.TOPIC_AUTHORIZATION_FAILED });
    assert.equal(controller.metadata.topic('alice-orders'), undefined, 'a refused topic never reaches the controller');

    const admin = new SamsaClient({ bootstrapServers: [`127.0.0.1:${broker.port}`], ssl: { ca }, sasl: { mechanism: 'PLAIN', username: 'admin', password: USERS.admin } });
    try {
      await admin.admin().createAcls([{ resourceType: 'topic', resourceName: 'alice-', patternType: 'prefixed', principal: 'User:alice', operation: 'create', permission: 'allow' }]);
    } finally {
      await admin.close();
    }
    // One request, one entry allowed and one refused: only the allowed one is forwarded and created.
    assert.deepEqual(await createTopics('alice', ['alice-orders', 'payments']), { 'alice-orders': ErrorCode.NONE, payments: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
    assert.ok(controller.metadata.topic('alice-orders'), 'created by the controller');
    assert.equal(controller.metadata.topic('payments'), undefined);
    assert.deepEqual(await createTopics('admin', ['payments']), { payments: ErrorCode.NONE }, 'the super user may create anything');
  });

  it("the Envelope carries the client's principal (Kafka's DefaultPrincipalData)", () => {
    assert.equal(principalOf(principalData('User', 'alice')), 'User:alice');
    assert.equal(principalOf(principalData()), 'User:ANONYMOUS');
    assert.equal(principalOf(null), undefined);
    assert.equal(principalOf(Buffer.from([0xff])), undefined, 'unreadable bytes name no principal');
  });

  it('a SASL controller listener needs sasl.mechanism.controller.protocol: GSSAPI, Kafka\'s default, is refused at start', async () => {
    const port = await freePort();
    await assert.rejects(
      startBroker({
        storage: 'memory',
        logLevel: 'silent',
        nodeId: 200,
        config: {
          'process.roles': 'controller',
          'controller.quorum.voters': `200@127.0.0.1:${port}`,
          'controller.listener.names': 'CONTROLLER',
          listeners: `CONTROLLER://127.0.0.1:${port}`,
          'listener.security.protocol.map': 'CONTROLLER:SASL_PLAINTEXT',
          'sasl.enabled.mechanisms': 'PLAIN',
          'listener.name.controller.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username="c" password="c" user_c="c";',
        },
      }),
      /set sasl.mechanism.controller.protocol to one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 \(it is GSSAPI\)/,
    );
  });
});
