/**
 * ACLs, SCRAM credentials and client quotas are the cluster's, kept in the metadata log: on three
 * combined nodes in one process (on disk, the StandardAuthorizer, SASL on a client listener), what
 * is changed through one node is enforced by another — an ACL created with kafkajs lets a kafkajs
 * client logged in on another node produce, and its deletion through a third node refuses it again;
 * a SCRAM user created through one node logs in with kafkajs on another; a produce quota set
 * through one node throttles a producer on another — and all of it holds after every node restarts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, type SASLOptions, logLevel } from 'kafkajs';
import type { RunningBroker } from '../../src/broker/broker.js';
import { alterClientQuotas, alterUserScramCredentials, createAcls, deleteAcls } from '../../src/client/admin-security.js';
import { BrokerConnection } from '../../src/client/broker-connection.js';
import { systemClock } from '../../src/common/clock.js';
import { nodeNetwork } from '../../src/network/network.js';
import { ProduceApi } from '../../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch } from '../../src/protocol/records/index.js';
import { type ClusterLayout, clusterLayout, inProcessNode, removeLayout } from '../helpers/test-cluster.js';
import { eventually } from '../helpers/eventually.js';

const USERS = { admin: 'admin-secret', alice: 'alice-secret' };
const JAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(USERS)
  .map(([u, p]) => `user_${u}="${p}"`)
  .join(' ')};`;


/** kafkajs refuses with TOPIC_AUTHORIZATION_FAILED from Produce, or a non-retriable error naming it from Metadata. */
const refused = (e: unknown) => (e as { type?: string }).type === 'TOPIC_AUTHORIZATION_FAILED' || /Not authorized to access topics/.test(String((e as Error).message));

describe('security metadata across a three-node cluster', { timeout: 240_000 }, () => {
  let layout: ClusterLayout;
  let nodes: RunningBroker[] = [];
  const node = (id: number) => nodes.find((n) => n.nodeId === id)!;
  const sasl = (n: RunningBroker) => n.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.bootstrap;

  const start = async () => {
    nodes = await Promise.all(
      layout.ids.map((id) =>
        inProcessNode(
          layout,
          id,
          {},
          {
            listeners: `PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:${layout.controllerPorts.get(id)}`,
            'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
            'inter.broker.listener.name': 'PLAINTEXT',
            'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
            'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
            'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
            // Brokers fetch from each other over PLAINTEXT, as User:ANONYMOUS.
            'super.users': 'User:admin;User:ANONYMOUS',
            'offsets.topic.replication.factor': 3,
            'broker.session.timeout.ms': 4000,
            'broker.heartbeat.interval.ms': 300,
          },
        ),
      ),
    );
    for (const n of nodes) await eventually(`node ${n.nodeId} sees three unfenced brokers`, 20_000, () => n.metadata.unfencedBrokers().length === 3);
  };

  /** A node that is not the active controller (so what it receives is forwarded over the network), other than `not`. */
  const follower = (...not: number[]) => nodes.find((n) => n.nodeId !== n.activeControllerId && !not.includes(n.nodeId))!;
  const other = (...not: number[]) => nodes.find((n) => !not.includes(n.nodeId))!;

  const login = (n: RunningBroker, user: keyof typeof USERS) =>
    BrokerConnection.connect({ host: '127.0.0.1', port: Number(sasl(n).split(':')[1]), clientId: `test-${user}`, clock: systemClock, network: nodeNetwork, sasl: { mechanism: 'PLAIN', username: user, password: USERS[user] } });

  const kafkajs = (n: RunningBroker, sasl_: SASLOptions) =>
    new Kafka({ clientId: 'kafkajs-cluster-security', brokers: [sasl(n)], sasl: sasl_, logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 } });

  /** Produces one record as alice through `n` (the topic's only replica is on `n`). */
  const produceAsAlice = async (n: RunningBroker, topic: string) => {
    const producer = kafkajs(n, { mechanism: 'plain', username: 'alice', password: USERS.alice }).producer();
    await producer.connect();
    try {
      await producer.send({ topic, messages: [{ value: 'hello' }] });
    } finally {
      await producer.disconnect();
    }
  };

  const createTopicOn = async (topic: string, replica: number) => {
    const admin = kafkajs(node(replica), { mechanism: 'plain', username: 'admin', password: USERS.admin }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [replica] }] }] });
    } finally {
      await admin.disconnect();
    }
    for (const n of nodes) await eventually(`node ${n.nodeId} has ${topic}`, 10_000, () => n.metadata.topic(topic) !== undefined);
  };

  const aliceWrite = { resourceType: 2 /* TOPIC */, resourceName: 'sec-', resourcePatternType: 4 /* PREFIXED */, principal: 'User:alice', host: '*', operation: 4 /* WRITE */, permissionType: 3 /* ALLOW */ };
  let enforcer: number;
  let quotaNode: number;

  before(async () => {
    layout = await clusterLayout(3);
    await start();
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    if (layout) await removeLayout(layout);
  });

  it('an ACL created with kafkajs through one node lets alice produce on another; deleting it through a third refuses her again', async () => {
    const creator = node(nodes[0]!.activeControllerId);
    enforcer = follower(creator.nodeId).nodeId;
    await createTopicOn('sec-orders', enforcer);
    await assert.rejects(produceAsAlice(node(enforcer), 'sec-orders'), refused);

    // kafkajs sends CreateAcls to the controller its Metadata names; this is the node bootstrapped.
    const admin = kafkajs(creator, { mechanism: 'plain', username: 'admin', password: USERS.admin }).admin();
    await admin.connect();
    try {
      await admin.createAcls({ acl: [aliceWrite] });
    } finally {
      await admin.disconnect();
    }
    await eventually(`node ${enforcer} has the ACL`, 10_000, () => [...node(enforcer).metadata.security.acls()].length === 1);
    await produceAsAlice(node(enforcer), 'sec-orders');

    // Deleted through the third node, a broker that forwards it to the controller.
    const third = other(creator.nodeId, enforcer);
    const conn = await login(third, 'admin');
    try {
      const deleted = await deleteAcls(conn, [{ resourceType: 'topic', resourceName: 'sec-orders', patternType: 'match', principal: 'User:alice' }]);
      assert.deepEqual(deleted.map((d) => [d.resourceName, d.patternType, d.operation]), [['sec-', 'PREFIXED', 'WRITE']]);
    } finally {
      conn.close();
    }
    await eventually(`node ${enforcer} dropped the ACL`, 10_000, () => [...node(enforcer).metadata.security.acls()].length === 0);
    await assert.rejects(produceAsAlice(node(enforcer), 'sec-orders'), refused);

    // Created again for the restart.
    const again = await login(third, 'admin');
    try {
      await createAcls(again, [{ resourceType: 'topic', resourceName: 'sec-', patternType: 'prefixed', principal: 'User:alice', operation: 'write', permission: 'allow' }]);
    } finally {
      again.close();
    }
  });

  it('a SCRAM user created through one node logs in with kafkajs on another', async () => {
    const through = follower();
    const conn = await login(through, 'admin');
    try {
      await alterUserScramCredentials(conn, [{ user: 'carol', mechanism: 'SCRAM-SHA-256', password: 'carol-secret' }], randomBytes);
    } finally {
      conn.close();
    }
    const elsewhere = other(through.nodeId);
    await eventually(`node ${elsewhere.nodeId} has carol`, 10_000, () => node(elsewhere.nodeId).metadata.security.scramCredential('carol', 1) !== undefined);
    const admin = kafkajs(elsewhere, { mechanism: 'scram-sha-256', username: 'carol', password: 'carol-secret' }).admin();
    await admin.connect();
    await admin.listTopics();
    await admin.disconnect();
    const wrong = kafkajs(elsewhere, { mechanism: 'scram-sha-256', username: 'carol', password: 'nope' }).admin();
    await assert.rejects(wrong.connect(), (e: Error) => e.name === 'KafkaJSSASLAuthenticationError');
  });

  /** A produce of 64 KiB as alice on `n`'s SASL listener: the answer's throttle time. */
  const produceThrottle = async (n: RunningBroker, topic: string) => {
    const conn = await login(n, 'alice');
    try {
      const res = await conn.send(ProduceApi, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeUncompressedRecordBatch({ records: [{ value: Buffer.alloc(64 * 1024, 'q') }] }) }] }] });
      assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
      return res.throttleTimeMs;
    } finally {
      conn.close();
    }
  };

  it('a produce quota set through one node throttles a producer on another', async () => {
    const through = follower(enforcer) ?? follower();
    quotaNode = enforcer;
    assert.equal(await produceThrottle(node(quotaNode), 'sec-orders'), 0, 'no quota yet');
    const conn = await login(through, 'admin');
    try {
      await alterClientQuotas(conn, [{ entity: { user: 'alice' }, set: { producer_byte_rate: 1024 } }]);
    } finally {
      conn.close();
    }
    await eventually(`node ${quotaNode} has the quota`, 10_000, () => [...node(quotaNode).metadata.security.quotas()].length === 1);
    assert.ok((await produceThrottle(node(quotaNode), 'sec-orders')) > 0, 'throttled');
  });

  it('keeps the ACL, the SCRAM user and the quota when every node restarts', async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await start();
    for (const n of nodes) await eventually(`node ${n.nodeId} has the ACL again`, 10_000, () => [...n.metadata.security.acls()].length === 1);
    await produceAsAlice(node(enforcer), 'sec-orders');
    const admin = kafkajs(other(enforcer), { mechanism: 'scram-sha-256', username: 'carol', password: 'carol-secret' }).admin();
    await admin.connect();
    await admin.disconnect();
    assert.ok((await produceThrottle(node(quotaNode), 'sec-orders')) > 0, 'still throttled');
  });
});
