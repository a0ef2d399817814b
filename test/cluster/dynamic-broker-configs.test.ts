/**
 * Broker configs altered at run time on three nodes in one process, through kafkajs's admin (as
 * `kafka-configs --entity-type brokers --alter` does it; the cluster-wide default, which kafkajs
 * cannot name, through IncrementalAlterConfigs as kafka-configs sends it): a cluster-wide default and a per-broker
 * value of `message.max.bytes` go through the controller into the metadata log, and every node
 * applies them — a produce to a partition led by each node is refused or taken by that node's
 * value; DescribeConfigs shows the source and synonyms; the values survive a restart of the whole
 * cluster; a config that cannot change at run time is refused with Kafka's message; a name Samsa
 * does not know is stored, as Kafka 4 does (kafkajs's own "alter broker configs" spec).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs, { type Admin, Kafka, logLevel } from 'kafkajs';
import type { RunningBroker } from '../../src/broker/broker.js';
import { ConfigSource } from '../../src/broker/config/topic-configs.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { IncrementalAlterConfigsApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { type ClusterLayout, clusterLayout, inProcessCluster, removeLayout } from '../helpers/test-cluster.js';
import { eventually } from '../helpers/eventually.js';

const { ConfigResourceTypes } = kafkajs;


const TOPIC = 'dyn-configs';
const BIG = 'x'.repeat(4000);
const EXTRA = { 'broker.session.timeout.ms': 3000, 'broker.heartbeat.interval.ms': 300 };

describe('dynamic broker configs on three nodes', { timeout: 180_000 }, () => {
  let layout: ClusterLayout;
  let nodes: RunningBroker[] = [];
  let kafka: Kafka;
  let admin: Admin;

  const start = async () => {
    nodes = await inProcessCluster(layout, {}, EXTRA, 20_000);
    kafka = new Kafka({ clientId: 'dyn-configs-test', brokers: nodes.map((n) => n.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
    admin = kafka.admin();
    await admin.connect();
  };
  const stop = async () => {
    await admin?.disconnect();
    await Promise.all(nodes.map((n) => n.close()));
    nodes = [];
  };

  /** Whether the node leading partition `p` (node p) takes a 4000-byte record: 'ok', or the error's type. */
  const produceTo = async (p: number): Promise<string> => {
    const producer = kafka.producer({ retry: { retries: 0 }, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic: TOPIC, acks: 1, messages: [{ value: BIG, partition: p }] });
      return 'ok';
    } catch (err) {
      return (err as { type?: string }).type ?? String(err);
    } finally {
      await producer.disconnect();
    }
  };
  const produceToEach = async (): Promise<string[]> => {
    const got: string[] = [];
    for (const p of [0, 1, 2]) got.push(await produceTo(p));
    return got;
  };
  const everyPartition = (want: string[]) => async () => (await produceToEach()).every((g, i) => g === want[i]);
  const describeOn = async (broker: string, name: string) => {
    const r = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.BROKER, name: broker, configNames: [name] }] });
    return r.resources[0]!.configEntries[0]!;
  };

  before(async () => {
    layout = await clusterLayout(3);
    await start();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, replicaAssignment: [0, 1, 2].map((p) => ({ partition: p, replicas: [p] })) }] });
    // kafkajs waited for the leaders in one node's metadata; a produce (not retried) needs its leader to know it leads.
    await eventually('node p leads partition p by its own metadata', 20_000, () => nodes.every((n) => n.metadata.topic(TOPIC)?.partitions[n.nodeId]?.leader === n.nodeId));
  });

  after(async () => {
    await stop();
    if (layout) await removeLayout(layout);
  });

  it('a cluster-wide default reaches every node, a per-broker value overrides it on its node, and both survive a restart', async () => {
    assert.deepEqual(await produceToEach(), ['ok', 'ok', 'ok'], 'a 4000-byte record fits the default message.max.bytes');

    // kafkajs takes no empty resource name: the cluster-wide default as `kafka-configs --entity-default` sets it.
    const raw = await RawClient.connect(nodes[0]!.port);
    try {
      const [set] = (await raw.send(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName: '', configs: [{ name: 'message.max.bytes', configOperation: 0, value: '1000' }] }], validateOnly: false })).responses;
      assert.equal(set!.errorCode, ErrorCode.NONE, set!.errorMessage ?? '');
    } finally {
      raw.close();
    }
    await eventually('every node refuses a record above the new cluster-wide message.max.bytes', 20_000, everyPartition(['MESSAGE_TOO_LARGE', 'MESSAGE_TOO_LARGE', 'MESSAGE_TOO_LARGE']));

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'message.max.bytes', value: '100000' }] }] });
    await eventually('node 1 takes its own value, the others keep the default', 20_000, everyPartition(['MESSAGE_TOO_LARGE', 'ok', 'MESSAGE_TOO_LARGE']));

    const onOne = await describeOn('1', 'message.max.bytes');
    assert.equal(onOne.configValue, '100000');
    assert.equal(onOne.configSource, ConfigSource.DYNAMIC_BROKER_CONFIG);
    assert.equal(onOne.readOnly, false);
    assert.deepEqual(
      onOne.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]),
      [
        ['message.max.bytes', '100000', ConfigSource.DYNAMIC_BROKER_CONFIG],
        ['message.max.bytes', '1000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
        ['message.max.bytes', '1048588', ConfigSource.DEFAULT_CONFIG],
      ],
    );
    const onTwo = await describeOn('2', 'message.max.bytes');
    assert.deepEqual([onTwo.configValue, onTwo.configSource], ['1000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]);

    await stop();
    await start();
    await eventually('after a restart, the run-time values still apply', 20_000, everyPartition(['MESSAGE_TOO_LARGE', 'ok', 'MESSAGE_TOO_LARGE']));
    assert.equal((await describeOn('1', 'message.max.bytes')).configValue, '100000');
  });

  it('refuses a config that cannot change at run time with Kafka\'s message, and stores a name it does not know', async () => {
    const raw = await RawClient.connect(nodes[0]!.port);
    try {
      const alter = (resourceName: string, name: string, value: string) =>
        raw.send(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName, configs: [{ name, configOperation: 0, value }] }], validateOnly: false });
      const [refused] = (await alter('2', 'auto.create.topics.enable', 'false')).responses;
      assert.equal(refused!.errorCode, ErrorCode.INVALID_REQUEST);
      assert.equal(refused!.errorMessage, 'Cannot update these configs dynamically: Set(auto.create.topics.enable)');
      const [sslAtDefault] = (await alter('', 'ssl.keystore.location', '/nowhere.pem')).responses;
      assert.equal(sslAtDefault!.errorCode, ErrorCode.INVALID_REQUEST);
      assert.match(sslAtDefault!.errorMessage ?? '', /^Cannot update these configs at default cluster level, broker id must be specified/);
      const [badValue] = (await alter('', 'log.retention.ms', 'soon')).responses;
      assert.equal(badValue!.errorCode, ErrorCode.INVALID_REQUEST);
      const [noSuchBroker] = (await alter('7', 'log.retention.ms', '1000')).responses;
      assert.equal(noSuchBroker!.errorCode, ErrorCode.INVALID_REQUEST);
    } finally {
      raw.close();
    }
    // kafkajs's "alter broker configs" spec: a topic config name on a broker resource (not a broker config) is accepted and kept.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '2', configEntries: [{ name: 'cleanup.policy', value: 'delete' }] }] });
    await eventually('node 2 has the unknown name in its metadata', 10_000, () => nodes.find((n) => n.nodeId === 2)!.metadata.configs(4, '2')['cleanup.policy'] === 'delete');
  });
});
