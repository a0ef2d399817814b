/** What request handlers can reach of the broker. */
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import type { ReadBufferPool } from '../log/index.js';
import type { GroupCoordinator } from '../group/group-coordinator.js';
import type { BrokerConfig, ListenerAddress } from './config/broker-config.js';
import type { FetchSessionCache } from './fetch/fetch-sessions.js';
import type { Faults } from './faults/faults.js';
import type { ClusterMetadata } from './metadata/cluster-metadata.js';
import type { ReplicaManager } from './partitions/replica-manager.js';
import type { Disk } from '../storage/disk.js';
import type { TopicManager } from './topic-manager.js';
import type { ProducerIdManager } from './txn/producer-ids.js';
import type { StandardAuthorizer } from '../security/authorizer.js';
import type { BrokerSecurity } from './security/broker-security.js';

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clusterId: string;
  /** Where clients of the first listener reach this broker. */
  readonly advertised: ListenerAddress;
  /** Where clients of a listener reach this broker (Metadata, FindCoordinator, DescribeCluster answer a client on its listener). */
  advertisedFor(listenerName: string): ListenerAddress;
  /** Authentication, authorization, quotas and the security metadata. */
  readonly security: BrokerSecurity;
  /** The ACL authorizer, when `authorizer.class.name` sets one (undefined: everything is allowed). */
  readonly authorizer: StandardAuthorizer | undefined;
  readonly metadata: ClusterMetadata;
  readonly topics: TopicManager;
  /** The partitions this broker holds: lookups, appends, fetches and their purgatories. */
  readonly replicaManager: ReplicaManager;
  readonly fetchSessions: FetchSessionCache;
  readonly fetchBuffers: ReadBufferPool;
  /** Where the data directory lives (DescribeLogDirs asks it for space). */
  readonly disk: Disk;
  readonly dataDir: string;
  /** Producer ids for InitProducerId. */
  readonly producerIds: ProducerIdManager;
  /** Consumer groups and committed offsets (FindCoordinator answers this node for every group). */
  readonly groups: GroupCoordinator;
  readonly clock: Clock;
  readonly log: Logger;
  /** Injected faults and observed requests (faults/faults.ts). */
  readonly faults: Faults;
  /** The versions served per API, as ApiVersions reports them. */
  readonly apiVersions: readonly { apiKey: number; minVersion: number; maxVersion: number }[];
}
