/**
 * Kafka's topic-level configs: names, defaults and the broker configs that set their defaults
 * (synonyms, e.g. retention.ms ← log.retention.ms ← log.retention.minutes ← log.retention.hours).
 * A topic's effective config resolves override → broker setting → default, and each value knows
 * where it came from, as DescribeConfigs reports.
 */
import { DEFAULT_LOG_CONFIG, type LogConfig, NEVER } from '../../log/log-config.js';
import { type ConfigKey, type ConfigValue, ConfigError, formatConfigValue, key, parseConfigValue } from '../../common/config-def.js';
import { COMPRESSION_LEVELS, isCompressionLevel } from '../../protocol/compression/index.js';

/** Where a config value comes from (DescribeConfigs ConfigSource ids). */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource];

export interface Synonym {
  /** The broker config name. */
  name: string;
  /** Multiplier from the broker config's unit to the topic config's (hours → ms: 3,600,000). */
  scale?: number;
  /** Kafka gives this broker config no default: unset, it defers to the next synonym (log.retention.ms → log.retention.hours). */
  noDefault?: true;
}

export interface TopicConfigKey extends ConfigKey {
  /** Broker configs that set this topic config's default, most specific first. */
  readonly synonyms: readonly Synonym[];
}

/** Log settings keep their defaults in the log layer; the topic configs that set them start from those. */
const LOG = DEFAULT_LOG_CONFIG;

function topicKey(k: ConfigKey, ...synonyms: (string | Synonym)[]): TopicConfigKey {
  return { ...k, synonyms: synonyms.map((s) => (typeof s === 'string' ? { name: s } : s)) };
}

export const TOPIC_CONFIG_KEYS: readonly TopicConfigKey[] = [
  topicKey(key.list('cleanup.policy', Object.entries(LOG.cleanupPolicy).flatMap(([policy, on]) => (on ? [policy] : [])), 'The retention policy: "delete" discards old segments, "compact" keeps the latest value per key.', ['delete', 'compact']), 'log.cleanup.policy'),
  topicKey(key.string('compression.type', 'producer', 'Final compression type: batches compressed otherwise are recompressed on produce; "producer" keeps what the producer used.', ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']), 'compression.type'),
  topicKey(levelKey('gzip', 'The gzip level (-1: zlib\'s default) batches are recompressed with when compression.type is gzip.'), 'compression.gzip.level'),
  topicKey(levelKey('lz4', 'The lz4 level batches are recompressed with when compression.type is lz4 (Samsa\'s lz4 codec has one level: accepted, not applied).'), 'compression.lz4.level'),
  topicKey(levelKey('zstd', 'The zstd level batches are recompressed with when compression.type is zstd.'), 'compression.zstd.level'),
  topicKey(key.long('delete.retention.ms', LOG.deleteRetentionMs, 'How long tombstones are kept in compacted topics.', 0), 'log.cleaner.delete.retention.ms'),
  topicKey(key.long('file.delete.delay.ms', LOG.fileDeleteDelayMs, 'Time to wait before deleting a file from the filesystem.', 0), 'log.segment.delete.delay.ms'),
  topicKey(key.long('flush.messages', LOG.flushMessages, 'Force an fsync after this many messages.', 1), 'log.flush.interval.messages'),
  topicKey(key.long('flush.ms', LOG.flushMs, 'Force an fsync after this much time since the last one.', 0), { name: 'log.flush.interval.ms', noDefault: true }),
  topicKey(key.int('index.interval.bytes', LOG.indexIntervalBytes, 'How often an offset index entry is added.', 0), 'log.index.interval.bytes'),
  topicKey(key.long('max.compaction.lag.ms', LOG.maxCompactionLagMs, 'Maximum time a message stays ineligible for compaction.', 1), 'log.cleaner.max.compaction.lag.ms'),
  topicKey(key.int('max.message.bytes', 1048588, 'Largest record batch size allowed.', 0), 'message.max.bytes'),
  topicKey(key.long('message.timestamp.after.max.ms', 3600000, 'Largest allowed amount a message timestamp may be ahead of the broker time.', 0), 'log.message.timestamp.after.max.ms'),
  topicKey(key.long('message.timestamp.before.max.ms', NEVER, 'Largest allowed amount a message timestamp may be behind the broker time.', 0), 'log.message.timestamp.before.max.ms'),
  topicKey(key.string('message.timestamp.type', 'CreateTime', 'Whether a record timestamp is the create time or the log append time.', ['CreateTime', 'LogAppendTime']), 'log.message.timestamp.type'),
  topicKey(key.double('min.cleanable.dirty.ratio', LOG.minCleanableDirtyRatio, 'Dirty share of the log that triggers compaction.', 0, 1), 'log.cleaner.min.cleanable.ratio'),
  topicKey(key.long('min.compaction.lag.ms', LOG.minCompactionLagMs, 'Minimum time a message stays uncompacted.', 0), 'log.cleaner.min.compaction.lag.ms'),
  topicKey(key.int('min.insync.replicas', 1, 'Minimum replicas that must acknowledge a write with acks=all.', 1), 'min.insync.replicas'),
  topicKey(key.bool('preallocate', LOG.preallocate, 'Preallocate the file on disk when creating a new segment.'), 'log.preallocate'),
  topicKey(key.long('retention.bytes', LOG.retentionBytes, 'Maximum size of a partition before old segments are deleted; -1 for no limit.'), 'log.retention.bytes'),
  topicKey(key.long('retention.ms', LOG.retentionMs, 'Maximum age of a segment before it is deleted; -1 for no limit.', -1), { name: 'log.retention.ms', noDefault: true }, { name: 'log.retention.minutes', scale: 60000, noDefault: true }, { name: 'log.retention.hours', scale: 3600000 }),
  topicKey(key.int('segment.bytes', LOG.segmentBytes, 'Segment file size.', 1024), 'log.segment.bytes'),
  topicKey(key.int('segment.index.bytes', LOG.segmentIndexBytes, 'Size of the offset and time index of each segment.', 1024), 'log.index.size.max.bytes'),
  topicKey(key.long('segment.jitter.ms', LOG.segmentJitterMs, 'Maximum random jitter subtracted from segment.ms.', 0), { name: 'log.roll.jitter.ms', noDefault: true }, { name: 'log.roll.jitter.hours', scale: 3600000 }),
  topicKey(key.long('segment.ms', LOG.segmentMs, 'Time after which a segment is rolled even if not full.', 1), { name: 'log.roll.ms', noDefault: true }, { name: 'log.roll.hours', scale: 3600000 }),
  topicKey(throttledReplicasKey('leader.replication.throttled.replicas', 'leader')),
  topicKey(throttledReplicasKey('follower.replication.throttled.replicas', 'follower')),
  topicKey(key.bool('unclean.leader.election.enable', false, 'Allow replicas not in the ISR to become leader.'), 'unclean.leader.election.enable'),
  topicKey(key.bool('samsa.fsync.before.ack', LOG.fsyncBeforeAck, 'Samsa: acknowledge an append only after it is fsynced (group commit shares fsyncs).'), 'samsa.log.fsync.before.ack'),
];

/** A codec's `compression.<codec>.level` (KIP-390), with the codec's range. */
function levelKey(codec: keyof typeof COMPRESSION_LEVELS, doc: string): ConfigKey {
  const r = COMPRESSION_LEVELS[codec];
  return { ...key.int(`compression.${codec}.level`, r.default, doc, r.min, r.max), check: (v) => (isCompressionLevel(codec, v as number) ? undefined : codec === 'gzip' ? 'Expected value to be -1 or in the range [1, 9]' : `Expected value in the range [${r.min}, ${r.max}]`) };
}

/** A replication quota's list of throttled replicas (KIP-73): `*`, or `partition:broker` entries. */
function throttledReplicasKey(name: string, side: 'leader' | 'follower'): ConfigKey {
  return {
    ...key.list(name, [], `Replicas whose replication is throttled on the ${side} side (by ${side}.replication.throttled.rate): [partitionId]:[brokerId],... or '*' for every replica of the topic.`),
    check: (v) =>
      (v as string[]).every((item) => /^(\d+:\d+)?$/.test(item)) || (v as string[]).join('') === '*'
        ? undefined
        : `${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`,
  };
}

const BY_NAME = new Map(TOPIC_CONFIG_KEYS.map((k) => [k.name, k]));

export function topicConfigKey(name: string): TopicConfigKey | undefined {
  return BY_NAME.get(name);
}

/** Every broker config name that is a synonym of some topic config (for DescribeConfigs on brokers). */
export function topicSynonymKeys(): { synonym: Synonym; topicKey: TopicConfigKey }[] {
  return TOPIC_CONFIG_KEYS.flatMap((k) => k.synonyms.map((synonym) => ({ synonym, topicKey: k })));
}

/** Validates topic overrides (CreateTopics, AlterConfigs): unknown names and bad values are ConfigErrors. */
export function parseTopicOverrides(configs: Iterable<readonly [string, string | null]>): Map<string, ConfigValue> {
  const out = new Map<string, ConfigValue>();
  for (const [name, text] of configs) {
    const k = BY_NAME.get(name);
    if (!k) throw new ConfigError(name, `Unknown topic config name: ${name}`);
    if (text === null) throw new ConfigError(name, `Null value not supported for topic config ${name}`);
    out.set(name, parseConfigValue(k, text));
  }
  return out;
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: ConfigSource;
}

export interface ResolvedTopicConfig {
  value: ConfigValue | null;
  /** Where the value comes from as DescribeConfigs reports it: the first synonym's source, else DEFAULT_CONFIG. */
  source: ConfigSource;
  /** DescribeConfigs synonyms: the topic override, then the broker configs, as Kafka lists them. */
  synonyms: ConfigSynonym[];
}

/** One layer of broker settings with the source DescribeConfigs gives its values. */
export interface BrokerLayer {
  readonly source: ConfigSource;
  readonly values: ReadonlyMap<string, string>;
}

/**
 * The broker settings a topic config defaults to: the layers, most specific first (run-time
 * per-broker, run-time cluster-wide default, static: Kafka's order), or a plain map of static ones.
 */
export type BrokerSettings = ReadonlyMap<string, string> | readonly BrokerLayer[];

function layersOf(broker: BrokerSettings): readonly BrokerLayer[] {
  return broker instanceof Map ? [{ source: ConfigSource.STATIC_BROKER_CONFIG, values: broker }] : (broker as readonly BrokerLayer[]);
}

/** A broker setting from the most specific layer that has it. */
function layered(layers: readonly BrokerLayer[], name: string): string | undefined {
  for (const l of layers) {
    const v = l.values.get(name);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** The value of one topic config (the override, else a broker setting, scaled, else the default), with its source and synonyms. */
export function resolveTopicConfig(k: TopicConfigKey, overrides: ReadonlyMap<string, ConfigValue>, settings: BrokerSettings): ResolvedTopicConfig {
  const broker = layersOf(settings);
  let value: ConfigValue | null = k.default;
  for (const s of [...k.synonyms].reverse()) {
    const text = layered(broker, s.name);
    if (text === undefined) continue;
    const { min: _min, ...unbounded } = k;
    const parsed = parseConfigValue({ ...unbounded, name: s.name }, text);
    value = typeof parsed === 'number' && s.scale ? Math.min(parsed * s.scale, Number.MAX_SAFE_INTEGER) : parsed;
  }
  const synonyms = brokerSynonyms(k, broker);
  const override = overrides.get(k.name);
  if (override !== undefined) {
    synonyms.unshift({ name: k.name, value: formatConfigValue(k, override), source: ConfigSource.TOPIC_CONFIG });
    value = override;
  }
  return { value, source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG, synonyms };
}

/**
 * A topic config's broker synonyms as Kafka's DescribeConfigs lists them (ConfigHelper): those set
 * in each layer of the broker's config (run-time per-broker, run-time cluster default, static),
 * then those with a default, each group in synonym order; then everything
 * before the first entry named after the most specific synonym is dropped. So retention.ms lists
 * nothing unless log.retention.ms is set (log.retention.ms and .minutes have no default, and a
 * lone log.retention.hours is dropped), and its source is then DEFAULT_CONFIG, while
 * segment.bytes lists log.segment.bytes as set and as defaulted.
 */
function brokerSynonyms(k: TopicConfigKey, broker: readonly BrokerLayer[]): ConfigSynonym[] {
  const first = k.synonyms[0];
  if (!first) return [];
  const all: ConfigSynonym[] = [];
  for (const layer of broker) {
    for (const s of k.synonyms) {
      const text = layer.values.get(s.name);
      if (text !== undefined) all.push({ name: s.name, value: text, source: layer.source });
    }
  }
  for (const s of k.synonyms) {
    const text = synonymDefault(k, s);
    if (text !== null) all.push({ name: s.name, value: text, source: ConfigSource.DEFAULT_CONFIG });
  }
  const start = all.findIndex((x) => x.name === first.name);
  return start < 0 ? [] : all.slice(start);
}

/** A broker synonym's default in its own unit (log.retention.hours: 168), or null when Kafka gives it none. */
function synonymDefault(k: ConfigKey, s: Synonym): string | null {
  if (s.noDefault || k.default === null) return null;
  if (typeof k.default === 'number' && s.scale) return formatConfigValue(k, k.default / s.scale);
  return formatConfigValue(k, k.default);
}

/** The broker-side rules a produce request is checked against. */
export interface TopicPolicy {
  maxMessageBytes: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  minInsyncReplicas: number;
  compressionType: string;
  compressionLevels: CompressionLevels;
  /** `cleanup.policy` includes compact: every record must have a key (Kafka's LogValidator). */
  compacted: boolean;
}

/** KIP-390's levels, used when the broker recompresses (produce/recompress.ts). */
export interface CompressionLevels {
  gzip: number;
  lz4: number;
  zstd: number;
}

export interface EffectiveTopicConfig {
  log: LogConfig;
  policy: TopicPolicy;
  /** The replicas whose replication the replication quotas throttle (replication-quotas.ts). */
  throttledReplicas: { leader: readonly string[]; follower: readonly string[] };
}

/** Resolves every topic config and maps them onto the log's settings and the produce policy. */
export function effectiveTopicConfig(overrides: ReadonlyMap<string, ConfigValue>, broker: BrokerSettings): EffectiveTopicConfig {
  const get = (name: string): ConfigValue => resolveTopicConfig(BY_NAME.get(name)!, overrides, broker).value!;
  const num = (name: string) => get(name) as number;
  const policy = get('cleanup.policy') as string[];
  return {
    log: {
      segmentBytes: num('segment.bytes'),
      segmentMs: num('segment.ms'),
      segmentJitterMs: num('segment.jitter.ms'),
      segmentIndexBytes: num('segment.index.bytes'),
      indexIntervalBytes: num('index.interval.bytes'),
      retentionMs: num('retention.ms'),
      retentionBytes: num('retention.bytes'),
      cleanupPolicy: { delete: policy.includes('delete'), compact: policy.includes('compact') },
      deleteRetentionMs: num('delete.retention.ms'),
      minCleanableDirtyRatio: num('min.cleanable.dirty.ratio'),
      minCompactionLagMs: num('min.compaction.lag.ms'),
      maxCompactionLagMs: num('max.compaction.lag.ms'),
      fileDeleteDelayMs: num('file.delete.delay.ms'),
      flushMessages: num('flush.messages'),
      flushMs: num('flush.ms'),
      fsyncBeforeAck: get('samsa.fsync.before.ack') as boolean,
      preallocate: get('preallocate') as boolean,
    },
    policy: {
      maxMessageBytes: num('max.message.bytes'),
      timestampType: get('message.timestamp.type') as TopicPolicy['timestampType'],
      timestampBeforeMaxMs: num('message.timestamp.before.max.ms'),
      timestampAfterMaxMs: num('message.timestamp.after.max.ms'),
      minInsyncReplicas: num('min.insync.replicas'),
      compressionType: get('compression.type') as string,
      compressionLevels: { gzip: num('compression.gzip.level'), lz4: num('compression.lz4.level'), zstd: num('compression.zstd.level') },
      compacted: policy.includes('compact'),
    },
    throttledReplicas: { leader: get('leader.replication.throttled.replicas') as string[], follower: get('follower.replication.throttled.replicas') as string[] },
  };
}
