/**
 * The controller listener over SSL and SASL_SSL, as Kafka 4 serves it: three combined nodes in one
 * process reach each other's controller listener (Raft, registrations, heartbeats, forwarded
 * requests) with TLS trusting the listener's truststore and presenting the node's keystore, and
 * over SASL_SSL with a PLAIN login (`sasl.mechanism.controller.protocol`) as the listener's JAAS
 * username. Metadata flows, a topic created with kafkajs through one node is served by another,
 * a restarted node rejoins; connections without TLS, without a client certificate or with a wrong
 * password are refused while the quorum keeps working.
 *
 * With the StandardAuthorizer the active controller authorizes what reaches it as Kafka's
 * ControllerApis does: an Envelope needs CLUSTER_ACTION for the principal that sends it, and the
 * request it carries is checked as the client's principal written in it, so a raw Envelope from a
 * broker principal wrapping a CreateTopics of a principal without CREATE gets
 * TOPIC_AUTHORIZATION_FAILED inside, and other controller APIs from a principal without
 * CLUSTER_ACTION / ALTER are answered CLUSTER_AUTHORIZATION_FAILED. With
 * `connections.max.reauth.ms` on a SASL controller listener, the nodes' connections log in again
 * before their sessions end (KIP-368) rather than being closed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Kafka, logLevel } from 'kafkajs';
import type { RunningBroker } from '../../src/broker/broker.js';
import { principalData, requestData } from '../../src/broker/cluster/envelope.js';
import { BrokerConnection } from '../../src/client/broker-connection.js';
import { systemClock } from '../../src/common/clock.js';
import { nodeNetwork } from '../../src/network/network.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { readResponseFrame } from '../../src/protocol/frames.js';
import { CreateTopicsApi, type CreateTopicsResponse, DescribeClusterApi, EnvelopeApi } from '../../src/protocol/messages/index.js';
import { type CertFiles, makeCerts } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { type ClusterLayout, clusterLayout, inProcessNode, removeLayout } from '../helpers/test-cluster.js';

type Extra = Record<string, string | number>;

/** Three nodes started together with per-node settings; each sees three unfenced brokers. */
async function startCluster(layout: ClusterLayout, extra: (id: number) => Extra): Promise<RunningBroker[]> {
  const started = await Promise.allSettled(layout.ids.map((id) => inProcessNode(layout, id, {}, extra(id))));
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(nodes.map((n) => n.close()));
    throw (failed as PromiseRejectedResult).reason;
  }
  for (const n of nodes) await eventually(`node ${n.nodeId} sees three unfenced brokers`, 30_000, () => n.metadata.unfencedBrokers().length === 3);
  return nodes;
}

const controllerTls = (certs: CertFiles): Extra => ({
  'listener.name.controller.ssl.keystore.type': 'PEM',
  'listener.name.controller.ssl.keystore.location': certs.brokerKeystore,
  'listener.name.controller.ssl.truststore.type': 'PEM',
  'listener.name.controller.ssl.truststore.location': certs.caCert,
});

/** A node restarted on its data directory rejoins: unfenced again, and it knows what was created while it was down. */
async function restartRejoins(layout: ClusterLayout, nodes: RunningBroker[], extra: (id: number) => Extra, createWhileDown: () => Promise<void>, topic: string): Promise<void> {
  const id = nodes[2]!.nodeId;
  await nodes[2]!.close();
  await createWhileDown();
  nodes[2] = await inProcessNode(layout, id, {}, extra(id));
  for (const n of nodes) await eventually(`node ${n.nodeId} sees three unfenced brokers after the restart`, 30_000, () => n.metadata.unfencedBrokers().length === 3);
  await eventually(`the restarted node knows ${topic}`, 20_000, () => nodes[2]!.metadata.topic(topic) !== undefined);
}

describe('the controller listener over SSL with client certificates', { timeout: 180_000 }, () => {
  let certs: CertFiles;
  let layout: ClusterLayout;
  let nodes: RunningBroker[] = [];
  const extra = (id: number): Extra => ({
    listeners: `PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:${layout.controllerPorts.get(id)}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:SSL',
    'listener.name.controller.ssl.client.auth': 'required',
    ...controllerTls(certs),
  });
  const kafka = (n: RunningBroker) => new Kafka({ clientId: 'controller-ssl', brokers: [`127.0.0.1:${n.port}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } });

  before(async () => {
    certs = await makeCerts();
    layout = await clusterLayout(3);
    nodes = await startCluster(layout, extra);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    if (layout) await removeLayout(layout);
    await certs?.cleanup();
  });

  it('serves the metadata: a topic created with kafkajs on one node is served by another', async () => {
    const admin = kafka(nodes[0]!).admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'over-ssl', numPartitions: 2, replicationFactor: 3 }] }), true);
    } finally {
      await admin.disconnect();
    }
    await eventually('node 1 has over-ssl', 10_000, () => nodes[1]!.metadata.topic('over-ssl') !== undefined);
    const producer = kafka(nodes[1]!).producer();
    await producer.connect();
    try {
      const [r] = await producer.send({ topic: 'over-ssl', acks: -1, messages: [{ partition: 0, value: 'v' }] });
      assert.equal(r!.errorCode, 0);
    } finally {
      await producer.disconnect();
    }
  });

  it('refuses a connection without TLS and a TLS one without a client certificate; the quorum keeps working', async () => {
    const port = layout.controllerPorts.get(nodes[0]!.nodeId)!;
    const base = { host: '127.0.0.1', port, clientId: 'intruder', clock: systemClock, network: nodeNetwork, requestTimeoutMs: 5000, connectTimeoutMs: 5000 };
    await assert.rejects(BrokerConnection.connect(base), 'no TLS');
    await assert.rejects(BrokerConnection.connect({ ...base, tls: { ca: readFileSync(certs.caCert) } }), 'no client certificate');
    const admin = kafka(nodes[2]!).admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'after-intruders', numPartitions: 1, replicationFactor: 3 }] }), true);
    } finally {
      await admin.disconnect();
    }
    for (const n of nodes) await eventually(`node ${n.nodeId} has after-intruders`, 10_000, () => n.metadata.topic('after-intruders') !== undefined);
  });

  it('a restarted node rejoins over SSL', async () => {
    await restartRejoins(
      layout,
      nodes,
      extra,
      async () => {
        const admin = kafka(nodes[0]!).admin();
        await admin.connect();
        try {
          await admin.createTopics({ topics: [{ topic: 'while-down', numPartitions: 1, replicationFactor: 2 }] });
        } finally {
          await admin.disconnect();
        }
      },
      'while-down',
    );
  });
});

describe('the controller listener over SASL_SSL (PLAIN) with the StandardAuthorizer', { timeout: 180_000 }, () => {
  let certs: CertFiles;
  let ca: Buffer;
  let layout: ClusterLayout;
  let nodes: RunningBroker[] = [];
  const clientJaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret" user_admin="admin-secret" user_alice="alice-secret";';
  const controllerJaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="controller-secret" user_controller="controller-secret" user_alice="alice-secret";';
  const extra = (id: number): Extra => ({
    listeners: `SASL_PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:${layout.controllerPorts.get(id)}`,
    'listener.security.protocol.map': 'SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_SSL',
    'inter.broker.listener.name': 'SASL_PLAINTEXT',
    'sasl.enabled.mechanisms': 'PLAIN',
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'sasl.mechanism.controller.protocol': 'PLAIN',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': clientJaas,
    'listener.name.controller.plain.sasl.jaas.config': controllerJaas,
    ...controllerTls(certs),
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:broker;User:admin;User:controller',
  });
  const kafka = (n: RunningBroker, user: 'admin' | 'alice') =>
    new Kafka({ clientId: `controller-sasl-${user}`, brokers: [`127.0.0.1:${n.port}`], sasl: { mechanism: 'plain', username: user, password: `${user}-secret` }, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const activeController = () => nodes.find((n) => n.nodeId === nodes[0]!.activeControllerId)!;
  const controllerLogin = (node: RunningBroker, username: string, password: string) =>
    BrokerConnection.connect({
      host: '127.0.0.1',
      port: layout.controllerPorts.get(node.nodeId)!,
      clientId: 'raw-controller-client',
      clock: systemClock,
      network: nodeNetwork,
      requestTimeoutMs: 10_000,
      connectTimeoutMs: 5000,
      tls: { ca },
      sasl: { mechanism: 'PLAIN', username, password },
    });
  /** An Envelope sent as `sender` carrying a CreateTopics of `principal`: the Envelope's error and the CreateTopics answer inside. */
  const envelopeCreate = async (sender: { username: string; password: string }, principal: string, topic: string) => {
    const conn = await controllerLogin(activeController(), sender.username, sender.password);
    try {
      const body = { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false };
      const res = await conn.send(EnvelopeApi, { requestData: requestData(CreateTopicsApi, 7, 1, 'forwarded', body), requestPrincipal: principalData('User', principal), clientHostAddress: Buffer.from([127, 0, 0, 1]) }, { version: 0 });
      const inner = res.responseData ? (readResponseFrame(CreateTopicsApi, 7, res.responseData).body as CreateTopicsResponse) : undefined;
      return { errorCode: res.errorCode, topicErrorCode: inner?.topics[0]?.errorCode };
    } finally {
      conn.close();
    }
  };

  before(async () => {
    certs = await makeCerts();
    ca = readFileSync(certs.caCert);
    layout = await clusterLayout(3);
    nodes = await startCluster(layout, extra);
    await eventually('a controller is active', 10_000, () => nodes[0]!.activeControllerId >= 0 && activeController() !== undefined);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    if (layout) await removeLayout(layout);
    await certs?.cleanup();
  });

  it('serves the metadata: a topic created with kafkajs on one node is served by another', async () => {
    const admin = kafka(nodes[0]!, 'admin').admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'over-sasl-ssl', numPartitions: 1, replicationFactor: 3 }] }), true);
    } finally {
      await admin.disconnect();
    }
    const producer = kafka(nodes[1]!, 'admin').producer();
    await producer.connect();
    try {
      const [r] = await producer.send({ topic: 'over-sasl-ssl', acks: -1, messages: [{ value: 'v' }] });
      assert.equal(r!.errorCode, 0);
    } finally {
      await producer.disconnect();
    }
  });

  it('refuses a login with a wrong password; the quorum keeps working', async () => {
    await assert.rejects(controllerLogin(nodes[1]!, 'controller', 'wrong-secret'));
    const admin = kafka(nodes[1]!, 'admin').admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'after-wrong-password', numPartitions: 1, replicationFactor: 3 }] }), true);
    } finally {
      await admin.disconnect();
    }
    for (const n of nodes) await eventually(`node ${n.nodeId} has after-wrong-password`, 10_000, () => n.metadata.topic('after-wrong-password') !== undefined);
  });

  it('the controller authorizes a forwarded request as the principal its Envelope carries', async () => {
    const broker = { username: 'controller', password: 'controller-secret' };
    assert.deepEqual(await envelopeCreate(broker, 'alice', 'alice-raw'), { errorCode: ErrorCode.NONE, topicErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
    assert.equal(activeController().metadata.topic('alice-raw'), undefined);
    assert.deepEqual(await envelopeCreate(broker, 'admin', 'admin-raw'), { errorCode: ErrorCode.NONE, topicErrorCode: ErrorCode.NONE }, 'a super user inside the Envelope may create it');
  });

  it('refuses an Envelope, and a controller-only API, from a principal without CLUSTER_ACTION / ALTER on the cluster', async () => {
    assert.deepEqual(await envelopeCreate({ username: 'alice', password: 'alice-secret' }, 'admin', 'via-alice'), { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, topicErrorCode: undefined });
    assert.equal(activeController().metadata.topic('via-alice'), undefined);
    const conn = await controllerLogin(activeController(), 'alice', 'alice-secret');
    try {
      const res = await conn.send(DescribeClusterApi, { includeClusterAuthorizedOperations: false }, { version: 0 });
      assert.equal(res.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    } finally {
      conn.close();
    }
  });

  it('kafkajs through a broker sees the same errors as before: a principal without CREATE is refused', async () => {
    const admin = kafka(nodes[2]!, 'alice').admin();
    await admin.connect();
    try {
      await assert.rejects(admin.createTopics({ topics: [{ topic: 'alice-kafkajs', numPartitions: 1, replicationFactor: 1 }] }), (err: Error & { type?: string; errors?: { type?: string }[] }) => {
        const types = [err.type, ...(err.errors ?? []).map((e) => e.type)];
        return types.includes('TOPIC_AUTHORIZATION_FAILED');
      });
    } finally {
      await admin.disconnect();
    }
  });

  it('a restarted node rejoins over SASL_SSL', async () => {
    await restartRejoins(
      layout,
      nodes,
      extra,
      async () => {
        const admin = kafka(nodes[0]!, 'admin').admin();
        await admin.connect();
        try {
          await admin.createTopics({ topics: [{ topic: 'sasl-while-down', numPartitions: 1, replicationFactor: 2 }] });
        } finally {
          await admin.disconnect();
        }
      },
      'sasl-while-down',
    );
  });
});

describe('re-authentication (KIP-368) on a SASL controller listener', { timeout: 120_000 }, () => {
  let layout: ClusterLayout;
  let nodes: RunningBroker[] = [];
  const lines: { msg?: string; reauthentication?: boolean; listener?: string }[] = [];
  const jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="controller-secret" user_controller="controller-secret";';
  const extra = (id: number): Extra => ({
    listeners: `PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:${layout.controllerPorts.get(id)}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
    'sasl.enabled.mechanisms': 'PLAIN',
    'sasl.mechanism.controller.protocol': 'PLAIN',
    'listener.name.controller.plain.sasl.jaas.config': jaas,
    'listener.name.controller.connections.max.reauth.ms': 1500,
  });

  before(async () => {
    layout = await clusterLayout(3);
    // Every node's log, to see its controller listener's logins.
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as (typeof lines)[number]);
        done();
      },
    });
    const started = await Promise.allSettled(layout.ids.map((id) => inProcessNode(layout, id, { logger: pino({ level: 'debug' }, sink) }, extra(id))));
    nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    for (const n of nodes) await eventually(`node ${n.nodeId} sees three unfenced brokers`, 30_000, () => n.metadata.unfencedBrokers().length === 3);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    if (layout) await removeLayout(layout);
  });

  it('the nodes log in again on their open connections before their sessions end, and none is closed for an expired session', async () => {
    // Sessions of 1.5 s: within a few of them, every connection between the nodes has logged in again.
    await eventually('three re-authentications on the controller listeners', 20_000, () => lines.filter((l) => l.msg === 'authenticated' && l.reauthentication === true).length >= 3);
    assert.deepEqual(
      lines.filter((l) => l.msg === 'closing connection: its SASL session expired without re-authentication'),
      [],
    );
    const admin = new Kafka({ clientId: 'reauth', brokers: [`127.0.0.1:${nodes[1]!.port}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'after-reauth', numPartitions: 1, replicationFactor: 3 }] }), true);
    } finally {
      await admin.disconnect();
    }
  });
});
