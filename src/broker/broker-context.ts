/** What request handlers can reach of the broker. */
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import type { ReadBufferPool } from '../log/index.js';
import type { GroupCoordinator } from '../group/group-coordinator.js';
import type { BrokerConfig, ListenerAddress } from './config/broker-config.js';
import type { FetchSessionCache } from './fetch/fetch-sessions.js';
import type { MetadataImage } from '../controller/image/metadata-image.js';
import type { Forwarder } from './cluster/forwarding.js';
import type { ReplicaManager } from './partitions/replica-manager.js';
import type { Disk } from '../storage/disk.js';
import type { TopicManager } from './topic-manager.js';
import type { BrokerTransactions } from './txn/broker-transactions.js';
import type { ProducerIdManager } from './txn/producer-ids.js';
import type { StandardAuthorizer } from '../security/authorizer.js';
import type { BrokerSecurity } from './security/broker-security.js';
import type { ReplicationQuotas } from './replication/replication-quotas.js';

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clusterId: string;
  /** Where clients reach this broker on its first client listener. */
  readonly advertised: ListenerAddress;
  /** The committed cluster metadata (the image the metadata log builds). */
  readonly metadata: MetadataImage;
  /** The controller this broker knows leads the metadata quorum (-1: none known). */
  readonly activeControllerId: number;
  /** The controllers (`controller.quorum.voters`; a standalone node: itself at its client endpoint). */
  controllerEndpoints(): { id: number; host: string; port: number }[];
  /** Sends admin requests to the active controller (CreateTopics, configs, ...). */
  readonly forwarder: Forwarder;
  /** Has __consumer_offsets created if it does not exist yet (FindCoordinator). */
  ensureOffsetsTopic(): void;
  /** Authentication, authorization, quotas and the security metadata. */
  readonly security: BrokerSecurity;
  /** The ACL authorizer, when `authorizer.class.name` sets one (undefined: everything is allowed). */
  readonly authorizer: StandardAuthorizer | undefined;
  readonly topics: TopicManager;
  /** The partitions this broker holds: lookups, appends, fetches and their purgatories. */
  readonly replicaManager: ReplicaManager;
  readonly fetchSessions: FetchSessionCache;
  /** The replication quotas (KIP-73): what this broker serves to, and fetches as, followers of throttled replicas. */
  readonly replicationQuotas: ReplicationQuotas;
  readonly fetchBuffers: ReadBufferPool;
  /** Where the data directory lives (DescribeLogDirs asks it for space). */
  readonly disk: Disk;
  readonly dataDir: string;
  /** Producer ids for InitProducerId. */
  readonly producerIds: ProducerIdManager;
  /** Consumer groups and committed offsets (FindCoordinator answers this node for every group). */
  readonly groups: GroupCoordinator;
  /** The transaction coordinator and its paths to the partitions (markers, KIP-890 verification). */
  readonly transactions: BrokerTransactions;
  readonly clock: Clock;
  readonly log: Logger;
  /** The versions served per API, as ApiVersions reports them. */
  readonly apiVersions: readonly { apiKey: number; minVersion: number; maxVersion: number }[];
}
