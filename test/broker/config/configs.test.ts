import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerConfig, parseListener } from '../../../src/broker/config/broker-config.js';
import { ConfigError, parseProperties } from '../../../src/common/config-def.js';
import { describeTopicConfigs } from '../../../src/broker/config/describe.js';
import { ConfigSource, effectiveTopicConfig, parseTopicOverrides } from '../../../src/broker/config/topic-configs.js';
import { brokerConfigChangeError } from '../../../src/broker/config/dynamic-broker-configs.js';

describe('properties files', () => {
  it('parses Java properties syntax', () => {
    const p = parseProperties(['# comment', '! also comment', 'a=1', 'b : two words', 'c   3', 'd=multi\\', '  line', 'e\\=x=y', '', 'empty='].join('\n'));
    assert.deepEqual(Object.fromEntries(p), { a: '1', b: 'two words', c: '3', d: 'multiline', 'e=x': 'y', empty: '' });
  });
});

describe('broker config', () => {
  it('has Kafka defaults and accepts Kafka names and aliases', () => {
    const c = new BrokerConfig([['broker.id', '7'], ['log.dir', '/tmp/x'], ['num.partitions', '3']]);
    assert.equal(c.nodeId, 7);
    assert.equal(c.dataDir, '/tmp/x');
    assert.equal(c.num('num.partitions'), 3);
    assert.equal(c.num('socket.request.max.bytes'), 104857600);
    assert.equal(c.bool('auto.create.topics.enable'), true);
  });

  it('leaves unknown names out, as Kafka does (the broker logs them), and rejects bad values with a clear error', () => {
    const c = new BrokerConfig([['no.such.config', '1'], ['num.partitions', '2'], ['num.io.threads', '8']]);
    assert.deepEqual(c.unknown, ['no.such.config']);
    assert.deepEqual([...c.props.keys()], ['num.partitions', 'num.io.threads']);
    assert.throws(() => c.get('no.such.config'), (e: unknown) => e instanceof ConfigError && /Unknown broker config: no.such.config/.test(e.message));
    assert.throws(() => new BrokerConfig([['num.partitions', 'three']]), /Invalid value three for configuration num.partitions/);
    assert.throws(() => new BrokerConfig([['num.partitions', '0']]), /at least 1/);
  });

  it('reads listeners', () => {
    assert.deepEqual(parseListener('PLAINTEXT://127.0.0.1:9092'), { host: '127.0.0.1', port: 9092 });
    assert.deepEqual(parseListener('PLAINTEXT://:0'), { host: '0.0.0.0', port: 0 });
    assert.deepEqual(parseListener('[::1]:19092'), { host: '::1', port: 19092 });
    assert.throws(() => parseListener('nonsense'), ConfigError);
  });
});

describe('topic configs', () => {
  it('resolve override, then broker synonym (with units), then default', () => {
    const broker = new BrokerConfig([['log.retention.hours', '1'], ['log.segment.bytes', '4096']]);
    const e = effectiveTopicConfig(parseTopicOverrides([['segment.bytes', '8192'], ['cleanup.policy', 'compact,delete']]), broker.props);
    assert.equal(e.log.retentionMs, 3600000);
    assert.equal(e.log.segmentBytes, 8192);
    assert.deepEqual(e.log.cleanupPolicy, { delete: true, compact: true });
    assert.equal(e.log.flushMessages, Number.MAX_SAFE_INTEGER);
    assert.equal(e.policy.maxMessageBytes, 1048588);
    assert.equal(e.policy.timestampType, 'CreateTime');
  });

  it('the most specific broker synonym wins (log.retention.ms over hours)', () => {
    const broker = new BrokerConfig([['log.retention.hours', '1'], ['log.retention.ms', '5000']]);
    assert.equal(effectiveTopicConfig(new Map(), broker.props).log.retentionMs, 5000);
  });

  it('reject unknown names, bad values and out-of-range values', () => {
    assert.throws(() => parseTopicOverrides([['retention.mss', '1']]), /Unknown topic config name/);
    assert.throws(() => parseTopicOverrides([['cleanup.policy', 'archive']]), /must be one of/);
    assert.throws(() => parseTopicOverrides([['min.cleanable.dirty.ratio', '2']]), /no more than 1/);
    assert.throws(() => parseTopicOverrides([['segment.bytes', '9999999999']]), /Not a number of type INT/);
    assert.throws(() => parseTopicOverrides([['retention.ms', null]]), /Null value/);
  });

  it('describe every config with its source and synonyms', () => {
    const broker = new BrokerConfig([['log.retention.minutes', '2'], ['log.segment.bytes', '4096']]);
    const all = describeTopicConfigs(parseTopicOverrides([['max.message.bytes', '2000']]), broker);
    const byName = new Map(all.map((c) => [c.name, c]));
    const { STATIC_BROKER_CONFIG: STATIC, DEFAULT_CONFIG: DEFAULT, TOPIC_CONFIG: TOPIC } = ConfigSource;
    assert.equal(byName.get('max.message.bytes')!.value, '2000');
    assert.equal(byName.get('max.message.bytes')!.source, TOPIC);
    assert.deepEqual(byName.get('max.message.bytes')!.synonyms, [{ name: 'max.message.bytes', value: '2000', source: TOPIC }, { name: 'message.max.bytes', value: '1048588', source: DEFAULT }]);
    assert.deepEqual(byName.get('segment.bytes')!.synonyms, [{ name: 'log.segment.bytes', value: '4096', source: STATIC }, { name: 'log.segment.bytes', value: '1073741824', source: DEFAULT }]);
    assert.equal(byName.get('segment.bytes')!.source, STATIC);
    assert.equal(byName.get('compression.type')!.source, DEFAULT);
    assert.deepEqual(byName.get('compression.type')!.synonyms, [{ name: 'compression.type', value: 'producer', source: DEFAULT }]);
    // Kafka lists a topic config's broker synonyms from the most specific one on: log.retention.ms
    // has no default, so unless it is set retention.ms lists none and reports DEFAULT_CONFIG, even
    // though its value comes from log.retention.minutes (as `kafka-configs --describe` shows it).
    assert.equal(byName.get('retention.ms')!.value, '120000');
    assert.equal(byName.get('retention.ms')!.source, DEFAULT);
    assert.deepEqual(byName.get('retention.ms')!.synonyms, []);
    assert.deepEqual(byName.get('segment.ms')!.synonyms, []);
    assert.deepEqual(byName.get('flush.ms')!.synonyms, []);
    assert.equal(byName.get('flush.ms')!.value, '9223372036854775807');
    assert.equal(byName.get('flush.ms')!.source, DEFAULT);
  });

  it('retention.ms lists its synonyms once log.retention.ms is set, the defaulted hours last', () => {
    const broker = new BrokerConfig([['log.retention.ms', '5000'], ['log.retention.hours', '3']]);
    const retention = describeTopicConfigs(new Map(), broker).find((c) => c.name === 'retention.ms')!;
    assert.equal(retention.value, '5000');
    assert.equal(retention.source, ConfigSource.STATIC_BROKER_CONFIG);
    assert.deepEqual(retention.synonyms, [
      { name: 'log.retention.ms', value: '5000', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '3', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ]);
  });
});

describe('run-time broker configs', () => {
  it('layer per-broker over cluster default over static for topic defaults, with Kafka\'s synonyms', () => {
    const broker = new BrokerConfig([['log.retention.ms', '5000'], ['log.segment.bytes', '4096']]);
    const changed = broker.applyDynamic({ 'log.retention.ms': '7000', 'no.such.config': 'x' }, { 'log.retention.ms': '6000', 'log.segment.bytes': '8192' });
    assert.deepEqual(changed.sort(), ['log.retention.ms', 'log.segment.bytes']);
    const e = effectiveTopicConfig(new Map(), broker.topicDefaults);
    assert.deepEqual([e.log.retentionMs, e.log.segmentBytes], [7000, 8192]);
    const retention = describeTopicConfigs(new Map(), broker).find((c) => c.name === 'retention.ms')!;
    assert.equal(retention.source, ConfigSource.DYNAMIC_BROKER_CONFIG);
    assert.deepEqual(retention.synonyms.slice(0, 3), [
      { name: 'log.retention.ms', value: '7000', source: ConfigSource.DYNAMIC_BROKER_CONFIG },
      { name: 'log.retention.ms', value: '6000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG },
      { name: 'log.retention.ms', value: '5000', source: ConfigSource.STATIC_BROKER_CONFIG },
    ]);
    assert.deepEqual(broker.applyDynamic({}, {}).sort(), ['log.retention.ms', 'log.segment.bytes'], 'removing them is a change too');
    assert.equal(effectiveTopicConfig(new Map(), broker.topicDefaults).log.retentionMs, 5000);
  });

  it('refuses configs that do not change at run time, per-broker-only ones at the cluster level, bad values; passes unknown names', () => {
    assert.equal(brokerConfigChangeError([['auto.create.topics.enable', 'false'], ['num.partitions', '3']], true), 'Cannot update these configs dynamically: Set(auto.create.topics.enable, num.partitions)');
    assert.match(brokerConfigChangeError([['listener.name.ssl.ssl.keystore.location', '/k.pem']], false)!, /^Cannot update these configs at default cluster level, broker id must be specified: Set\(listener.name.ssl.ssl.keystore.location\)$/);
    assert.equal(brokerConfigChangeError([['listener.name.ssl.ssl.keystore.location', '/k.pem']], true), undefined);
    assert.match(brokerConfigChangeError([['log.retention.ms', 'soon']], false)!, /Invalid value soon for configuration log.retention.ms/);
    assert.match(brokerConfigChangeError([['max.connections.per.ip.overrides', 'nonsense']], false)!, /max.connections.per.ip.overrides/);
    assert.equal(brokerConfigChangeError([['cleanup.policy', 'delete'], ['message.max.bytes', '1000'], ['max.connections.per.ip', '5']], false), undefined);
  });

  it('takes every connection quota at run time, broker-wide and per listener, at the cluster level and per broker (Kafka\'s DynamicConnectionQuota and ListenerConnectionQuota)', () => {
    const names = ['max.connections', 'max.connections.per.ip', 'max.connections.per.ip.overrides', 'max.connection.creation.rate', 'listener.name.plaintext.max.connections', 'listener.name.controller.max.connections', 'listener.name.sasl_ssl.max.connection.creation.rate'];
    for (const name of names) {
      const value = name.endsWith('overrides') ? '127.0.0.1:3' : '3';
      assert.equal(brokerConfigChangeError([[name, value]], false), undefined, `${name} at the cluster level`);
      assert.equal(brokerConfigChangeError([[name, value]], true), undefined, `${name} per broker`);
    }
    assert.match(brokerConfigChangeError([['listener.name.plaintext.max.connections', '-1']], true)!, /listener.name.plaintext.max.connections/);
    assert.match(brokerConfigChangeError([['max.connections', 'many']], false)!, /Invalid value many for configuration max.connections/);
    assert.equal(brokerConfigChangeError([['listener.name.plaintext.plain.max.connections', '3']], true), 'Cannot update these configs dynamically: Set(listener.name.plaintext.plain.max.connections)', 'a SASL mechanism prefix means nothing for a connection limit');
  });
});
