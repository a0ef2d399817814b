/**
 * Replication quotas (KIP-73) on two nodes in one process, set as `kafka-reassign-partitions
 * --throttle` sets them, through kafkajs's admin: a partition of ~2 MB moved onto a second broker
 * while the leader's (then the follower's) throttled rate is 100 KB/s copies a bounded share of
 * it in three seconds (unthrottled, the whole of it takes a fraction of a second), and completes
 * once the throttle is removed; `samsa reassign-partitions --throttle` setting and removing the
 * throttles as Kafka's tool does. Also the answers to malformed throttled-replica lists and rates.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import kafkajs, { type Admin, Kafka, logLevel } from 'kafkajs';
import type { RunningBroker } from '../../src/broker/broker.js';
import { SamsaClient } from '../../src/client/index.js';
import { eventually } from '../helpers/eventually.js';
import { SAMSA_BIN } from '../helpers/test-broker.js';
import { inProcessClusterSuite } from '../helpers/test-cluster.js';

const { ConfigResourceTypes } = kafkajs;
const RECORDS = 2000;
const RATE = 100_000;
/** What three seconds at RATE can move, with the quota's windows and a fetch over the bound: far below the ~2.1 MB of RECORDS. */
const BOUND_RECORDS = 1000;

interface BrokerInternals {
  replicaManager: { getPartition(t: string, p: number): { log: { logEndOffset: bigint } } | undefined };
  config: { num(name: string): number };
  topics: { effectiveConfig(topic: string): { throttledReplicas: { leader: readonly string[]; follower: readonly string[] } } };
}
/** The CLI's output; `--verify` exits 1 while a reassignment is in progress, which is an answer here. */
const samsa = (args: string[]) => promisify(execFile)(process.execPath, [SAMSA_BIN(), ...args]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
const internals = (n: RunningBroker) => n as unknown as BrokerInternals;
const logEnd = (n: RunningBroker, topic: string) => internals(n).replicaManager.getPartition(topic, 0)?.log.logEndOffset ?? 0n;

describe('replication quotas on two nodes in one process', { timeout: 120_000 }, () => {
  // Samples of one second, two of them, and small replica fetches: the quota bites within a test's seconds.
  const cluster = inProcessClusterSuite(2, { storage: 'memory' }, { 'replication.quota.window.num': 2, 'replication.quota.window.size.seconds': 1, 'replica.fetch.max.bytes': 65536, 'replica.fetch.backoff.ms': 100, 'broker.session.timeout.ms': 3000, 'broker.heartbeat.interval.ms': 300 });
  let client: SamsaClient;
  let admin: Admin;
  const node = (id: number) => cluster.nodes.find((n) => n.nodeId === id)!;

  before(async () => {
    client = new SamsaClient({ bootstrapServers: cluster.nodes.map((n) => n.bootstrap) });
    admin = new Kafka({ clientId: 'quota-test', brokers: [cluster.nodes[0]!.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  after(async () => {
    await admin?.disconnect();
    await client?.close();
  });

  /** Fills a one-replica topic on `from`, throttles it, moves it onto both brokers: what `to` holds after three seconds. */
  async function throttledMove(topic: string, from: number, to: number, throttle: { broker: number; rate: string; topicConfig: string; replicas: string }): Promise<bigint> {
    await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [from] }] }] });
    const producer = client.producer({ acks: 1 });
    const value = Buffer.alloc(1000, 'q');
    for (let i = 0; i < RECORDS; i += 200) await producer.send(topic, Array.from({ length: 200 }, () => ({ value, partition: 0 })));
    await producer.close();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: ConfigResourceTypes.BROKER, name: String(throttle.broker), configEntries: [{ name: throttle.rate, value: String(RATE) }] },
        { type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: throttle.topicConfig, value: throttle.replicas }] },
      ],
    });
    const throttled = internals(node(throttle.broker));
    const side = throttle.topicConfig.startsWith('leader') ? 'leader' : 'follower';
    await eventually('the throttle reached its broker', 10_000, () => throttled.config.num(throttle.rate) === RATE && throttled.topics.effectiveConfig(topic).throttledReplicas[side].length > 0);
    await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [from, to] }] }] });
    const target = node(to);
    await eventually('the new replica copies some records', 10_000, () => logEnd(target, topic) > 0n);
    await sleep(3000);
    return logEnd(target, topic);
  }

  /** Removes the throttle; the reassignment then completes with every record on `to`. */
  async function unthrottle(topic: string, to: number, throttle: { broker: number }): Promise<void> {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: ConfigResourceTypes.BROKER, name: String(throttle.broker), configEntries: [] },
        { type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [] },
      ],
    });
    const target = node(to);
    await eventually('the reassignment completes', 30_000, async () => {
      const listed = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0] }] });
      return listed.topics.length === 0 && logEnd(target, topic) === BigInt(RECORDS);
    });
  }

  it("holds back a new follower at the leader's leader.replication.throttled.rate, and lets it finish once the throttle is gone", async () => {
    const [a, b] = cluster.layout.ids as [number, number];
    const throttle = { broker: a, rate: 'leader.replication.throttled.rate', topicConfig: 'leader.replication.throttled.replicas', replicas: `0:${a}` };
    const copied = await throttledMove('throttled-at-leader', a, b, throttle);
    assert.ok(copied < BigInt(BOUND_RECORDS), `the follower copied ${copied} of ${RECORDS} records in 3 s at ${RATE} B/s`);
    await unthrottle('throttled-at-leader', b, throttle);
  });

  it("holds back a follower at its own follower.replication.throttled.rate ('*': every replica of the topic)", async () => {
    const [a, b] = cluster.layout.ids as [number, number];
    const throttle = { broker: b, rate: 'follower.replication.throttled.rate', topicConfig: 'follower.replication.throttled.replicas', replicas: '*' };
    const copied = await throttledMove('throttled-at-follower', a, b, throttle);
    assert.ok(copied < BigInt(BOUND_RECORDS), `the follower copied ${copied} of ${RECORDS} records in 3 s at ${RATE} B/s`);
    await unthrottle('throttled-at-follower', b, throttle);
  });

  it("refuses a malformed throttled-replica list (Kafka's INVALID_CONFIG and message) or rate, and describes the lists", async () => {
    await assert.rejects(
      admin.createTopics({ topics: [{ topic: 'bad-throttle', configEntries: [{ name: 'leader.replication.throttled.replicas', value: '0:1,*' }] }] }),
      (err: Error & { errors?: { type: string }[] }) => err.errors?.[0]?.type === 'INVALID_CONFIG',
    );
    await assert.rejects(client.admin().createTopics([{ name: 'bad-throttle', configs: { 'follower.replication.throttled.replicas': '1' } }]), /follower.replication.throttled.replicas must be the literal '\*' or a list of replicas/);
    await assert.rejects(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: String(cluster.layout.ids[0]), configEntries: [{ name: 'follower.replication.throttled.rate', value: '-1' }] }] }), { name: 'KafkaJSProtocolError' });
    await admin.createTopics({ topics: [{ topic: 'good-throttle', configEntries: [{ name: 'follower.replication.throttled.replicas', value: '0:1, 1:2,' }] }] });
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'good-throttle' }] });
    const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    assert.equal(entries.get('follower.replication.throttled.replicas'), '0:1,1:2,');
    assert.equal(entries.get('leader.replication.throttled.replicas'), '');
  });

  it("samsa reassign-partitions --execute --throttle sets the throttles as Kafka's tool does, and --verify removes them once done", async () => {
    const [a, b] = cluster.layout.ids as [number, number];
    const bootstrap = ['-b', cluster.nodes.map((n) => n.bootstrap).join(',')];
    await admin.createTopics({ topics: [{ topic: 'cli-throttle', replicaAssignment: [{ partition: 0, replicas: [a] }, { partition: 1, replicas: [b] }] }] });
    const configs = async (type: number, name: string) => {
      const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type, name }] });
      return new Map(d.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    };
    const dir = await mkdtemp(join(tmpdir(), 'samsa-throttle-'));
    try {
      const plan = join(dir, 'plan.json');
      // Partition 1 stays where it is: only partition 0's replicas are throttled.
      await writeFile(plan, JSON.stringify({ version: 1, partitions: [{ topic: 'cli-throttle', partition: 0, replicas: [b, a] }, { topic: 'cli-throttle', partition: 1, replicas: [b] }] }));
      const executed = await samsa(['reassign-partitions', '--execute', '--throttle', '50000000', '--reassignment-json-file', plan, ...bootstrap]);
      assert.match(executed.stdout, /started the reassignment of cli-throttle-0/);
      const topic = await configs(ConfigResourceTypes.TOPIC, 'cli-throttle');
      assert.deepEqual([topic.get('leader.replication.throttled.replicas'), topic.get('follower.replication.throttled.replicas')], [`0:${a}`, `0:${b}`]);
      for (const id of [a, b]) {
        const broker = await configs(ConfigResourceTypes.BROKER, String(id));
        assert.deepEqual([broker.get('leader.replication.throttled.rate'), broker.get('follower.replication.throttled.rate')], ['50000000', '50000000'], `broker ${id}`);
        // Asked through the other node: the CLI goes to the broker itself, whose configs they are.
        const other = cluster.nodes.find((n) => n.nodeId !== id)!.bootstrap;
        const described = JSON.parse((await samsa(['cluster', 'describe-configs', '--broker', String(id), '--json', '-b', other])).stdout) as { name: string; value: string }[];
        assert.equal(described.find((c) => c.name === 'leader.replication.throttled.rate')?.value, '50000000', `broker ${id} through ${other}`);
      }
      await eventually('--verify says completed and removes the throttles', 20_000, async () => /Throttle was removed/.test((await samsa(['reassign-partitions', '--verify', '--reassignment-json-file', plan, ...bootstrap])).stdout));
      const after = await configs(ConfigResourceTypes.TOPIC, 'cli-throttle');
      assert.deepEqual([after.get('leader.replication.throttled.replicas'), after.get('follower.replication.throttled.replicas')], ['', '']);
      for (const id of [a, b]) assert.equal((await configs(ConfigResourceTypes.BROKER, String(id))).get('leader.replication.throttled.rate'), '9223372036854775807', `broker ${id}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
