/**
 * Brokers reach each other over a SASL_SSL inter-broker listener: three combined nodes in one
 * process whose only client listener is SASL_SSL (TLS with the listener's keystore and truststore,
 * a PLAIN login as the JAAS config's username, a super user under the StandardAuthorizer). A topic
 * replicated three times, produced to with kafkajs (acks=all), is on every follower.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { RunningBroker } from '../../src/broker/broker.js';
import { type CertFiles, makeCerts } from '../helpers/certs.js';
import { type ClusterLayout, clusterLayout, inProcessNode, removeLayout } from '../helpers/test-cluster.js';
import { eventually } from '../helpers/eventually.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret" user_admin="admin-secret";';

interface BrokerInternals {
  replicaManager: { getPartition(topic: string, partition: number): { logEndOffset: bigint } | undefined };
}


describe('inter-broker connections over SASL_SSL', { timeout: 120_000 }, () => {
  let layout: ClusterLayout;
  let certs: CertFiles;
  let nodes: RunningBroker[] = [];

  before(async () => {
    certs = await makeCerts();
    layout = await clusterLayout(3);
    nodes = await Promise.all(
      layout.ids.map((id) =>
        inProcessNode(
          layout,
          id,
          {},
          {
            listeners: `SASL_SSL://127.0.0.1:0,CONTROLLER://127.0.0.1:${layout.controllerPorts.get(id)}`,
            'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
            'inter.broker.listener.name': 'SASL_SSL',
            'ssl.keystore.type': 'PEM',
            'ssl.keystore.location': certs.brokerKeystore,
            'ssl.truststore.type': 'PEM',
            'ssl.truststore.location': certs.caCert,
            'sasl.enabled.mechanisms': 'PLAIN',
            'sasl.mechanism.inter.broker.protocol': 'PLAIN',
            'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS,
            'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
            // The controller listener is PLAINTEXT: its clients (the other nodes) are User:ANONYMOUS, which needs CLUSTER_ACTION there, as in Kafka.
            'super.users': 'User:broker;User:admin;User:ANONYMOUS',
            'offsets.topic.replication.factor': 3,
          },
        ),
      ),
    );
    for (const n of nodes) await eventually(`node ${n.nodeId} sees three unfenced brokers`, 20_000, () => n.metadata.unfencedBrokers().length === 3);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    if (layout) await removeLayout(layout);
    await certs?.cleanup();
  });

  it('followers fetch a kafkajs producer’s records from the leader over TLS with a SASL login', async () => {
    const kafka = new Kafka({
      clientId: 'kafkajs-inter-broker',
      brokers: [nodes[0]!.listeners[0]!.bootstrap],
      ssl: { ca: [readFileSync(certs.caCert)] },
      sasl: { mechanism: 'plain', username: 'admin', password: 'admin-secret' },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ib', numPartitions: 1, replicationFactor: 3 }] });
    await admin.disconnect();
    for (const n of nodes) await eventually(`node ${n.nodeId} holds ib`, 10_000, () => (n as unknown as BrokerInternals).replicaManager.getPartition('ib', 0) !== undefined);
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'ib', acks: -1, messages: [{ value: `v${i}` }] });
    await producer.disconnect();
    for (const n of nodes) {
      await eventually(`node ${n.nodeId} has the ten records`, 20_000, () => (n as unknown as BrokerInternals).replicaManager.getPartition('ib', 0)?.logEndOffset === 10n);
    }
    assert.deepEqual([...nodes[0]!.metadata.topic('ib')!.partitions[0]!.isr].sort(), [0, 1, 2]);
  });
});
