/**
 * What the metadata image holds (Kafka's TopicImage, PartitionRegistration, BrokerRegistration):
 * plain data, built and changed only by MetadataImage as it replays records.
 */

/** One partition's replicas and leadership (Kafka's PartitionRegistration). */
export interface PartitionRegistration {
  readonly topicId: string;
  readonly partitionId: number;
  /** In preferred order: the first is the preferred leader. */
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly removingReplicas: readonly number[];
  readonly addingReplicas: readonly number[];
  /** -1 when the partition has no leader. */
  readonly leader: number;
  readonly leaderRecoveryState: number;
  /** Bumped whenever the leader changes. */
  readonly leaderEpoch: number;
  /** Bumped on every change of the partition. */
  readonly partitionEpoch: number;
  /** The log directory (its directory id) of each replica, or empty. */
  readonly directories: readonly string[];
  readonly eligibleLeaderReplicas: readonly number[] | null;
  readonly lastKnownElr: readonly number[] | null;
}

export interface TopicImage {
  readonly name: string;
  /** Kafka's topic id: 16 bytes in URL-safe base64. */
  readonly id: string;
  /** Indexed by partition id (partitions are numbered 0..n-1). */
  readonly partitions: readonly PartitionRegistration[];
}

/** A listener a broker advertises (Kafka's Endpoint). */
export interface BrokerEndpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Kafka's SecurityProtocol id: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL. */
  readonly securityProtocol: number;
}

export interface SupportedFeature {
  readonly name: string;
  readonly minSupportedVersion: number;
  readonly maxSupportedVersion: number;
}

/** A registered broker (Kafka's BrokerRegistration). */
export interface BrokerRegistration {
  readonly id: number;
  /** The offset of the record that registered this incarnation. */
  readonly epoch: bigint;
  readonly incarnationId: string;
  readonly endpoints: readonly BrokerEndpoint[];
  readonly features: readonly SupportedFeature[];
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
  readonly logDirs: readonly string[];
}

/** ConfigResource.Type ids, as ConfigRecord and the config APIs name them. */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4 } as const;

/** Kafka's "no leader" and the PartitionChangeRecord's "leader unchanged". */
export const NO_LEADER = -1;
export const NO_LEADER_CHANGE = -2;
