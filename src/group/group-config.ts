/**
 * The group coordinator's settings, under Kafka's broker-config names and with Kafka's defaults,
 * plus the few Samsa limits Kafka lacks (principle 5: everything bounded). The broker reads them
 * from its own config (GROUP_CONFIG_KEYS lists them for server.properties and DescribeConfigs) and
 * hands the coordinator a plain, typed object.
 */
import type { ConfigKey, ConfigValue } from '../common/config-def.js';

/** Which non-empty groups may change protocol while their members stay (empty ones always may). */
export const MIGRATION_POLICIES = ['disabled', 'upgrade', 'downgrade', 'bidirectional'] as const;
export type MigrationPolicy = (typeof MIGRATION_POLICIES)[number];

export interface GroupConfig {
  /** Smallest session timeout a member may ask for (INVALID_SESSION_TIMEOUT below it). */
  readonly 'group.min.session.timeout.ms': number;
  /** Largest session timeout a member may ask for (INVALID_SESSION_TIMEOUT above it). */
  readonly 'group.max.session.timeout.ms': number;
  /** How long an empty group waits for more members before its first rebalance completes. */
  readonly 'group.initial.rebalance.delay.ms': number;
  /** Most members in one group (GROUP_MAX_SIZE_REACHED beyond it). */
  readonly 'group.max.size': number;
  /** KIP-848 consumer groups: a member not heard from for this long is removed. */
  readonly 'group.consumer.session.timeout.ms': number;
  /** KIP-848 consumer groups: how often members are told to heartbeat. */
  readonly 'group.consumer.heartbeat.interval.ms': number;
  /** KIP-848 consumer groups: most members in one group (GROUP_MAX_SIZE_REACHED beyond it). */
  readonly 'group.consumer.max.size': number;
  /**
   * Kafka 4's online migration: a classic group with members becomes a consumer group when a
   * ConsumerGroupHeartbeat joins it (upgrade), and a consumer group whose last consumer-protocol
   * member leaves becomes a classic group again (downgrade).
   */
  readonly 'group.consumer.migration.policy': MigrationPolicy;
  /** How long offsets of an empty group (or a standalone consumer) are kept after their last commit. */
  readonly 'offsets.retention.minutes': number;
  /** How often expired offsets are looked for. */
  readonly 'offsets.retention.check.interval.ms': number;
  /** Partitions of __consumer_offsets; a group lives in partition abs(hash(groupId)) % this. */
  readonly 'offsets.topic.num.partitions': number;
  /** Segment size of __consumer_offsets (used by whoever creates the topic). */
  readonly 'offsets.topic.segment.bytes': number;
  /** Longest commit metadata string (OFFSET_METADATA_TOO_LARGE beyond it). */
  readonly 'offset.metadata.max.bytes': number;
  /** How long a write to __consumer_offsets may take before the request fails. */
  readonly 'offsets.commit.timeout.ms': number;
  /** Bytes read at a time from __consumer_offsets while loading. */
  readonly 'offsets.load.buffer.size': number;
  /** Samsa: most groups held (a new group beyond it gets COORDINATOR_NOT_AVAILABLE). */
  readonly 'samsa.group.max.groups': number;
  /** Samsa: most members per group given an id (MEMBER_ID_REQUIRED) that have not joined with it yet. */
  readonly 'samsa.group.max.pending.members': number;
  /** Samsa: most bytes of protocol names and metadata in one JoinGroup, and of one member's assignment. */
  readonly 'samsa.group.max.member.metadata.bytes': number;
}

const INT_MAX = 2147483647;

export const DEFAULT_GROUP_CONFIG: GroupConfig = {
  'group.min.session.timeout.ms': 6000,
  'group.max.session.timeout.ms': 1800000,
  'group.initial.rebalance.delay.ms': 3000,
  'group.max.size': INT_MAX,
  'group.consumer.session.timeout.ms': 45000,
  'group.consumer.heartbeat.interval.ms': 5000,
  'group.consumer.max.size': INT_MAX,
  'group.consumer.migration.policy': 'bidirectional',
  'offsets.retention.minutes': 10080,
  'offsets.retention.check.interval.ms': 600000,
  'offsets.topic.num.partitions': 50,
  'offsets.topic.segment.bytes': 104857600,
  'offset.metadata.max.bytes': 4096,
  'offsets.commit.timeout.ms': 5000,
  'offsets.load.buffer.size': 5242880,
  'samsa.group.max.groups': 100000,
  'samsa.group.max.pending.members': 1000,
  'samsa.group.max.member.metadata.bytes': 1048576,
};

const DOCS: Record<keyof GroupConfig, [type: 'INT' | 'LONG' | 'STRING', min: number, doc: string]> = {
  'group.min.session.timeout.ms': ['INT', 0, 'The minimum allowed session timeout for registered consumers.'],
  'group.max.session.timeout.ms': ['INT', 0, 'The maximum allowed session timeout for registered consumers.'],
  'group.initial.rebalance.delay.ms': ['INT', 0, 'The amount of time the group coordinator will wait for more consumers to join a new group before performing the first rebalance.'],
  'group.max.size': ['INT', 1, 'The maximum number of consumers that a single consumer group can accommodate.'],
  'group.consumer.session.timeout.ms': ['INT', 1, 'The timeout to detect client failures when using the consumer group protocol.'],
  'group.consumer.heartbeat.interval.ms': ['INT', 1, 'The heartbeat interval given to the members of a consumer group.'],
  'group.consumer.max.size': ['INT', 1, 'The maximum number of consumers that a single consumer group can accommodate.'],
  'group.consumer.migration.policy': ['STRING', 0, 'The config that enables converting the non-empty classic group using the consumer embedded protocol to the non-empty consumer group using the consumer group protocol and vice versa; conversions of empty groups in both directions are always enabled regardless of this policy.'],
  'offsets.retention.minutes': ['INT', 1, 'For subscribed consumers, committed offset of a specific partition will be expired and discarded when the consumer group is empty for this long; for standalone consumers, after this long since the last commit.'],
  'offsets.retention.check.interval.ms': ['LONG', 1, 'Frequency at which to check for stale offsets.'],
  'offsets.topic.num.partitions': ['INT', 1, 'The number of partitions for the offset commit topic (should not change after deployment).'],
  'offsets.topic.segment.bytes': ['INT', 1, 'The offsets topic segment bytes should be kept relatively small in order to facilitate faster log compaction and cache loads.'],
  'offset.metadata.max.bytes': ['INT', 0, 'The maximum size for a metadata entry associated with an offset commit.'],
  'offsets.commit.timeout.ms': ['INT', 1, 'Offset commit will be delayed until the offsets topic write is durable or this timeout is reached.'],
  'offsets.load.buffer.size': ['INT', 1, 'Batch size for reading from the offsets segments when loading offsets into the cache.'],
  'samsa.group.max.groups': ['INT', 1, 'Samsa: the most consumer groups the coordinator holds; creating one more fails with COORDINATOR_NOT_AVAILABLE.'],
  'samsa.group.max.pending.members': ['INT', 1, 'Samsa: the most members of one group that were given a member id and have not yet joined with it.'],
  'samsa.group.max.member.metadata.bytes': ['INT', 1, 'Samsa: the most bytes of protocol metadata in one JoinGroup request and of one member assignment in SyncGroup.'],
};

/** The coordinator's configs as broker config keys, for the broker's registry (server.properties, DescribeConfigs). */
export const GROUP_CONFIG_KEYS: readonly ConfigKey[] = (Object.keys(DOCS) as (keyof GroupConfig)[]).map((name) => {
  const [type, min, doc] = DOCS[name];
  const def = DEFAULT_GROUP_CONFIG[name];
  return type === 'STRING' ? { name, type, default: def, doc, validValues: MIGRATION_POLICIES } : { name, type, default: def, doc, min };
});

/** A full config from overrides, e.g. `groupConfig({ 'group.initial.rebalance.delay.ms': 0 })`. */
export function groupConfig(overrides: Partial<GroupConfig> = {}): GroupConfig {
  return { ...DEFAULT_GROUP_CONFIG, ...overrides };
}

/** Reads every group config through a getter, e.g. `groupConfigFrom((n) => brokerConfig.get(n))`. */
export function groupConfigFrom(get: (name: keyof GroupConfig) => ConfigValue | null): GroupConfig {
  const out: Record<string, ConfigValue | null> = {};
  for (const name of Object.keys(DEFAULT_GROUP_CONFIG) as (keyof GroupConfig)[]) out[name] = get(name);
  return out as unknown as GroupConfig;
}

/** Whether group.consumer.migration.policy lets groups with members convert this way. */
export function migrationAllowed(c: GroupConfig, direction: 'upgrade' | 'downgrade'): boolean {
  const policy = c['group.consumer.migration.policy'];
  return policy === direction || policy === 'bidirectional';
}

export function offsetsRetentionMs(c: GroupConfig): number {
  return c['offsets.retention.minutes'] * 60_000;
}
