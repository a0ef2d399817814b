/**
 * The controller listener's certificate replaced at run time, as Kafka 4 lets a controller's
 * listener SSL configs change (a BROKER ConfigRecord for the node, applied by the controller's
 * DynamicConfigPublisher; sent through a broker, or straight to a controller with
 * `kafka-configs --bootstrap-controller`, KIP-919). Three voters over an SSL controller listener
 * with client certificates: nodes 0 and 1 combined, node 2 a controller only. A node's new
 * certificate (same CA and subject, a new key) is served to new connections — its fingerprint
 * changes — while a connection opened before keeps working and the quorum goes on; a keystore that
 * does not load on the node it is meant for is refused (INVALID_CONFIG) and changes nothing.
 */
import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import type { RunningBroker } from '../../src/broker/broker.js';
import { BrokerConnection } from '../../src/client/broker-connection.js';
import { systemClock } from '../../src/common/clock.js';
import { ConfigResourceType } from '../../src/controller/image/image-types.js';
import { nodeNetwork } from '../../src/network/network.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ApiVersionsApi, IncrementalAlterConfigsApi } from '../../src/protocol/messages/index.js';
import { type CertFiles, makeCerts } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { type ClusterLayout, clusterLayout, inProcessNode, removeLayout } from '../helpers/test-cluster.js';

const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;
const KEYSTORE = 'listener.name.controller.ssl.keystore.location';

describe('the controller listener reloads its certificate at run time', { timeout: 180_000 }, () => {
  let certs: CertFiles;
  let layout: ClusterLayout;
  let nodes: RunningBroker[] = [];
  let tls: { ca: Buffer; key: Buffer; cert: Buffer };
  const extra = (id: number): Record<string, string> => ({
    ...(id === 2 ? { 'process.roles': 'controller', listeners: `CONTROLLER://127.0.0.1:${layout.controllerPorts.get(id)}` } : { listeners: `PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:${layout.controllerPorts.get(id)}` }),
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:SSL',
    'listener.name.controller.ssl.client.auth': 'required',
    'listener.name.controller.ssl.keystore.type': 'PEM',
    [KEYSTORE]: `${certs.dir}/node-${id}.pem`,
    'listener.name.controller.ssl.truststore.type': 'PEM',
    'listener.name.controller.ssl.truststore.location': certs.caCert,
    'offsets.topic.replication.factor': '2',
    'transaction.state.log.replication.factor': '2',
  });
  const node = (id: number) => nodes.find((n) => n.nodeId === id)!;
  const controllerPort = (id: number) => layout.controllerPorts.get(id)!;
  const kafka = () => new Kafka({ clientId: 'controller-reload', brokers: [`127.0.0.1:${node(0).port}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } });

  /** The SHA-256 fingerprint of the certificate a new TLS connection to the node's controller listener is served. */
  const servedFingerprint = (id: number) =>
    new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: controllerPort(id), servername: 'localhost', ...tls }, () => {
        resolve(s.getPeerX509Certificate()!.fingerprint256);
        s.destroy();
      });
      s.once('error', reject);
    });
  const fingerprintOf = async (keystore: string) => {
    const { X509Certificate } = await import('node:crypto');
    const pem = (await readFile(keystore, 'utf8')).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
    return new X509Certificate(pem).fingerprint256;
  };
  const rawController = (id: number) =>
    BrokerConnection.connect({ host: '127.0.0.1', port: controllerPort(id), clientId: 'reload-test', clock: systemClock, network: nodeNetwork, requestTimeoutMs: 10_000, connectTimeoutMs: 5000, tls: { ...tls, servername: 'localhost' } });
  /** Every node knows a topic created now through node 1 (the quorum works). */
  const quorumWorks = async (topic: string) => {
    const admin = new Kafka({ clientId: 'controller-reload', brokers: [`127.0.0.1:${node(1).port}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 2 }] }), true);
    } finally {
      await admin.disconnect();
    }
    for (const n of nodes) await eventually(`node ${n.nodeId} knows ${topic}`, 15_000, () => n.metadata.topic(topic) !== undefined);
  };

  before(async () => {
    certs = await makeCerts();
    tls = { ca: await readFile(certs.caCert), key: await readFile(certs.brokerKey), cert: await readFile(certs.brokerCert) };
    layout = await clusterLayout(3);
    for (const id of layout.ids) await copyFile(certs.brokerKeystore, `${certs.dir}/node-${id}.pem`);
    const started = await Promise.allSettled(layout.ids.map((id) => inProcessNode(layout, id, {}, extra(id))));
    nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    for (const n of nodes) await eventually(`node ${n.nodeId} sees the two brokers unfenced`, 30_000, () => n.metadata.unfencedBrokers().length === 2);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    if (layout) await removeLayout(layout);
    await certs?.cleanup();
  });

  it("replaces a combined node's controller certificate through its broker (kafkajs alterConfigs); an open connection stays up", async () => {
    const old = await servedFingerprint(1);
    assert.equal(old, await fingerprintOf(certs.brokerKeystore));
    const open = await rawController(1);
    const admin = kafka().admin();
    await admin.connect();
    try {
      const alter = (value: string) => admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: KEYSTORE, value }] }] });
      await assert.rejects(alter(certs.caCert), /configuration/i, 'a keystore without a key is refused by the node it is for');
      assert.equal(await servedFingerprint(1), old, 'and changes nothing');
      const renewed = await certs.newBrokerKeystore('node-1-renewed', '/CN=localhost/O=Samsa');
      const expected = await fingerprintOf(renewed);
      assert.notEqual(expected, old);
      await alter(renewed);
      await eventually('node 1 serves its new certificate', 15_000, async () => (await servedFingerprint(1)) === expected);
      assert.equal(await servedFingerprint(0), old, 'the other nodes keep theirs');
      const versions = await open.send(ApiVersionsApi, { clientSoftwareName: 'reload-test', clientSoftwareVersion: '1' }, { version: 3 });
      assert.equal(versions.errorCode, ErrorCode.NONE, 'a connection opened before the reload still works');
    } finally {
      await admin.disconnect();
      open.close();
    }
    await quorumWorks('after-combined-reload');
  });

  it("replaces a controller-only node's certificate through the active controller (KIP-919's bootstrap-controller path)", async () => {
    await eventually('a controller is active', 10_000, () => nodes[0]!.activeControllerId >= 0);
    const old = await servedFingerprint(2);
    const renewed = await certs.newBrokerKeystore('node-2-renewed', '/CN=localhost/O=Samsa');
    const expected = await fingerprintOf(renewed);
    assert.notEqual(expected, old);
    // As the Java admin in bootstrap-controller mode sends a broker resource: to the active controller.
    const conn = await rawController(nodes[0]!.activeControllerId);
    try {
      const res = await conn.send(IncrementalAlterConfigsApi, { resources: [{ resourceType: ConfigResourceType.BROKER, resourceName: '2', configs: [{ name: KEYSTORE, configOperation: 0, value: renewed }] }], validateOnly: false }, { version: 1 });
      assert.equal(res.responses[0]!.errorCode, ErrorCode.NONE, res.responses[0]!.errorMessage ?? '');
    } finally {
      conn.close();
    }
    await eventually('node 2 serves its new certificate', 15_000, async () => (await servedFingerprint(2)) === expected);
    await quorumWorks('after-controller-only-reload');
  });

  it('on the controller listener itself (KIP-919): a bad keystore is refused and changes nothing, a good one is served', async () => {
    await eventually('a controller is active', 10_000, () => nodes[0]!.activeControllerId >= 0);
    const active = nodes[0]!.activeControllerId;
    const before = await servedFingerprint(active);
    const storedBefore = node(active).metadata.configs(ConfigResourceType.BROKER, String(active))[KEYSTORE];
    const conn = await rawController(active);
    try {
      const set = (value: string) =>
        conn.send(IncrementalAlterConfigsApi, { resources: [{ resourceType: ConfigResourceType.BROKER, resourceName: String(active), configs: [{ name: KEYSTORE, configOperation: 0, value }] }], validateOnly: false }, { version: 1 });
      const missing = await set(`${certs.dir}/no-such-keystore.pem`);
      assert.equal(missing.responses[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'a keystore that is not there');
      assert.match(missing.responses[0]!.errorMessage ?? '', /not found/);
      const keyless = await set(certs.caCert);
      assert.equal(keyless.responses[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'a keystore without a key');
      assert.equal(node(active).metadata.configs(ConfigResourceType.BROKER, String(active))[KEYSTORE], storedBefore, 'nothing was stored');
      assert.equal(await servedFingerprint(active), before, 'the old certificate keeps serving');

      const renewed = await certs.newBrokerKeystore(`node-${active}-renewed-direct`, '/CN=localhost/O=Samsa');
      const ok = await set(renewed);
      assert.equal(ok.responses[0]!.errorCode, ErrorCode.NONE, ok.responses[0]!.errorMessage ?? '');
      const expected = await fingerprintOf(renewed);
      await eventually(`node ${active} serves its new certificate`, 15_000, async () => (await servedFingerprint(active)) === expected);
      assert.equal(node(active).metadata.configs(ConfigResourceType.BROKER, String(active))[KEYSTORE], renewed);
    } finally {
      conn.close();
    }
    await quorumWorks('after-direct-reload');
  });
});
