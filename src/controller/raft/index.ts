/** The Raft metadata quorum (KRaft): what the broker wiring uses. See docs/cluster.md. */
export { RaftClient, type RaftClientOptions, type RaftInspection } from './raft-client.js';
export type { CommittedBatch, RaftFaults, RaftListener } from './raft-core.js';
export { NotLeaderError, QuorumConfigError, RaftClosedError, RaftStateError } from './errors.js';
export { DEFAULT_QUORUM_CONFIG, type QuorumConfig, type VoterEndpoint, majority, parseQuorumVoters, quorumConfig } from './quorum-config.js';
export { type LeaderAndEpoch, METADATA_PARTITION, METADATA_TOPIC, METADATA_TOPIC_ID, NO_LEADER, type OffsetAndEpoch } from './offset-and-epoch.js';
export type { QuorumDescription, ReplicaDescription } from './raft-epoch-rpcs.js';
export {
  type InboundRequest,
  type InboundResponse,
  type OutboundRequest,
  type OutboundResponse,
  RAFT_APIS,
  RAFT_API_VERSIONS,
  type RaftApi,
  type RaftTransport,
  decodeRaftRequest,
  decodeRaftResponse,
  encodeRaftRequest,
  encodeRaftResponse,
} from './raft-rpc.js';
export type { SnapshotContents } from './snapshots.js';
export { QUORUM_STATE_FILE } from './quorum-state-store.js';
