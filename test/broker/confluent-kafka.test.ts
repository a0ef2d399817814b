/**
 * confluent-kafka-python (Debian's python3-confluent-kafka on librdkafka, seen by /usr/bin/python3)
 * against an in-process broker: its AdminClient creates a topic, its Producer sends keyed records
 * with headers and every codec, and a Consumer in a group reads them all back and commits.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker } from '../helpers/test-broker.js';
import { GROUP_TEST_CONFIG } from '../group/kafkajs-helpers.js';

const run = promisify(execFile);

const SCRIPT = `
import json, sys
from confluent_kafka import Producer, Consumer
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, topic = sys.argv[1], sys.argv[2]
admin = AdminClient({'bootstrap.servers': bootstrap})
for f in admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1, config={'retention.ms': '3600000'})]).values():
    f.result()
acked = []
for codec in ['none', 'gzip', 'snappy', 'lz4', 'zstd']:
    p = Producer({'bootstrap.servers': bootstrap, 'compression.type': codec, 'linger.ms': 5, 'acks': 'all'})
    for i in range(100):
        p.produce(topic, key=('%s-k%d' % (codec, i % 7)).encode(), value=('%s-%d' % (codec, i)).encode(), headers=[('codec', codec.encode())],
                  on_delivery=lambda err, m: acked.append(None if err else m.partition()))
    p.flush(30)
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'confluent', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
              'session.timeout.ms': 6000, 'heartbeat.interval.ms': 300})
c.subscribe([topic])
out = []
for _ in range(600):
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    out.append([m.partition(), m.key().decode(), m.value().decode(), [[k, v.decode()] for k, v in m.headers()]])
    if len(out) == 500:
        break
c.commit(asynchronous=False)
c.close()
print(json.dumps({'acked': acked, 'records': out}))
`;

describe('confluent-kafka-python (librdkafka)', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => {
    broker = await testBroker({ config: GROUP_TEST_CONFIG });
  });
  after(() => broker.stop());

  it('creates a topic, produces with every codec, consumes in a group and commits', async () => {
    const { stdout } = await run('/usr/bin/python3', ['-c', SCRIPT, broker.bootstrap, 'confluent'], { timeout: 100_000 });
    const { acked, records } = JSON.parse(stdout) as { acked: (number | null)[]; records: [number, string, string, [string, string][]][] };
    assert.equal(acked.length, 500);
    assert.ok(acked.every((p) => p !== null), 'every record acknowledged');
    assert.equal(records.length, 500);
    const expected = ['none', 'gzip', 'snappy', 'lz4', 'zstd'].flatMap((codec) => Array.from({ length: 100 }, (_, i) => `${codec}-${i}`));
    assert.deepEqual(records.map((r) => r[2]).sort(), expected.sort());
    for (const [, key, value, headers] of records) {
      const codec = value.split('-')[0]!;
      assert.ok(key.startsWith(`${codec}-k`));
      assert.deepEqual(headers, [['codec', codec]]);
    }
    // One key, one partition: records of a key stay in order.
    const byKey = new Map<string, number[]>();
    for (const [partition, key, value] of records) {
      assert.equal(byKey.get(key)?.[0] ?? partition, partition, `key ${key} on one partition`);
      byKey.set(key, [partition, ...(byKey.get(key)?.slice(1) ?? []), Number(value.split('-')[1])]);
    }
    for (const [key, [, ...seq]] of byKey) assert.deepEqual(seq, [...seq].sort((a, b) => a - b), `key ${key} in order`);

    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: 'confluent', topics: ['confluent'] });
      const total = committed!.partitions.reduce((n, p) => n + Number(p.offset), 0);
      assert.equal(total, 500, 'the group committed everything it read');
      const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'confluent', configNames: ['retention.ms'] }], includeSynonyms: false });
      assert.equal(configs.resources[0]!.configEntries[0]!.configValue, '3600000');
    } finally {
      await admin.disconnect();
    }
  });
});

const BROKER_CONFIG_SCRIPT = `
import json, sys
from confluent_kafka.admin import AdminClient, ConfigResource
bootstrap, broker_id = sys.argv[1], sys.argv[2]
admin = AdminClient({'bootstrap.servers': bootstrap})
res = ConfigResource(ConfigResource.Type.BROKER, broker_id, set_config={'log.retention.ms': '7200000'})
for f in admin.alter_configs([res]).values():
    f.result()
refused = ''
try:
    for f in admin.alter_configs([ConfigResource(ConfigResource.Type.BROKER, broker_id, set_config={'auto.create.topics.enable': 'false'})]).values():
        f.result()
except Exception as e:
    refused = str(e)
out = {}
for f in admin.describe_configs([ConfigResource(ConfigResource.Type.BROKER, broker_id)]).values():
    for name, entry in f.result().items():
        if name in ('log.retention.ms', 'auto.create.topics.enable'):
            out[name] = {'value': entry.value, 'source': int(entry.source), 'read_only': entry.is_read_only}
print(json.dumps({'configs': out, 'refused': refused}))
`;

describe('confluent-kafka-python: broker configs at run time', { timeout: 120_000 }, () => {
  it('alters a dynamic broker config (DYNAMIC_BROKER_CONFIG in DescribeConfigs) and is refused a static one', async () => {
    const broker = await testBroker();
    try {
      const { stdout } = await run('/usr/bin/python3', ['-c', BROKER_CONFIG_SCRIPT, broker.bootstrap, String(broker.nodeId)], { timeout: 100_000 });
      const { configs, refused } = JSON.parse(stdout) as { configs: Record<string, { value: string; source: number; read_only: boolean }>; refused: string };
      assert.deepEqual(configs['log.retention.ms'], { value: '7200000', source: 2, read_only: false }, 'DYNAMIC_BROKER_CONFIG');
      assert.deepEqual(configs['auto.create.topics.enable'], { value: 'true', source: 5, read_only: true }, 'unchanged, DEFAULT_CONFIG, read-only');
      assert.match(refused, /Cannot update these configs dynamically: Set\(auto.create.topics.enable\)/);
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic: 'follows-default' }] });
        const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'follows-default', configNames: ['retention.ms'] }] });
        assert.equal(d.resources[0]!.configEntries[0]!.configValue, '7200000', 'a topic without an override follows the run-time default');
      } finally {
        await admin.disconnect();
      }
    } finally {
      await broker.stop();
    }
  });
});
