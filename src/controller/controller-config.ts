/**
 * What the quorum controller is configured with: the broker-wide topic defaults it applies to
 * CreateTopics, the broker session timeout, and the validation of topic configs. The config
 * definitions live with the broker (src/broker/config), so the node injects the validators; the
 * controller itself knows no config names beyond Kafka's here.
 */
import type { ConfigType } from '../common/config-def.js';

export interface ControllerConfig {
  /** `num.partitions`: partitions of a topic created with -1. */
  readonly numPartitions: number;
  /** `default.replication.factor`: replicas of a topic created with -1. */
  readonly defaultReplicationFactor: number;
  /** `delete.topic.enable`. */
  readonly deleteTopicEnable: boolean;
  /** Partitions one topic may have. */
  readonly maxPartitionsPerTopic: number;
  /** `broker.session.timeout.ms`: a broker not heard from this long is fenced. */
  readonly brokerSessionTimeoutMs: number;
  /**
   * The least time a new active controller leaves the previous one's broker to heartbeat before
   * its session (counted from when it was last heard from as the quorum's leader) may end; absent:
   * a full session from the takeover, as Kafka gives. Samsa sets it to two
   * `broker.heartbeat.interval.ms`.
   */
  readonly sessionGraceMs?: number;
  /**
   * Automatic preferred leader election (`auto.leader.rebalance.enable`), every
   * `leader.imbalance.check.interval.seconds`, for brokers whose share of partitions led by
   * another than their preferred replica is above `leader.imbalance.per.broker.percentage`.
   * Absent: not done.
   */
  readonly leaderBalance?: { readonly checkIntervalMs: number; readonly imbalancePerBrokerPercentage: number };
  /** `unclean.leader.election.enable` in this node's static config (the default when neither the topic nor a dynamic broker config sets it). */
  readonly uncleanLeaderElectionEnable?: boolean;
  /** The `metadata.version` feature level a new cluster starts at. */
  readonly metadataVersion: number;
  /** Why these topic config overrides are invalid (Kafka's wording), or undefined. */
  validateTopicConfigs(configs: readonly (readonly [string, string | null])[]): string | undefined;
  /** A topic config's type and default, or undefined for a name that is not a topic config. */
  topicConfigKey(name: string): { readonly type: ConfigType; readonly default: unknown } | undefined;
  /**
   * Why these values cannot be set on a broker resource at run time (`perBroker`: a broker id,
   * else the cluster-wide default), in Kafka's words, or undefined (unknown names pass). Absent:
   * broker configs cannot be altered at all.
   */
  validateBrokerConfigs?(configs: readonly (readonly [string, string])[], perBroker: boolean): string | undefined;
  /** The voters' node ids: a controller-only node is not a registered broker, yet its run-time configs (its listener's certificates) are set on its BROKER resource. */
  controllerIds?: readonly number[];
  /** A broker config's type and default (for APPEND and SUBTRACT), or undefined for a name Samsa does not know. */
  brokerConfigKey?(name: string): { readonly type: ConfigType; readonly default: unknown } | undefined;
}

/**
 * Kafka 4.0's metadata.version (MetadataVersion.IBP_4_0_IV3). Samsa writes the records of this
 * version's features that it implements; a Kafka controller would read them.
 */
export const METADATA_VERSION_4_0 = 25;
