/**
 * BeginQuorumEpoch, EndQuorumEpoch and DescribeQuorum. A new leader sends BeginQuorumEpoch to
 * every voter until each has fetched from it (a voter learns the leader at once instead of after
 * an election timeout). A resigning leader sends EndQuorumEpoch naming its preferred successors
 * (the voters with the longest logs first); a voter that receives it stops waiting for the old
 * leader: the first successor starts its election at once, the others after a backoff that grows
 * with their rank. DescribeQuorum answers from the leader's view of every replica.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ZERO_UUID } from '../../protocol/primitives/codec-support.js';
import type { BeginQuorumEpochRequest, BeginQuorumEpochResponse, EndQuorumEpochRequest, EndQuorumEpochResponse } from '../../protocol/messages/index.js';
import type { LeaderState, ReplicaState } from './leader-state.js';
import { METADATA_PARTITION, METADATA_TOPIC } from './offset-and-epoch.js';
import type { RaftCore } from './raft-core.js';
import type { OutboundResponse } from './raft-rpc.js';

function epochPartition(core: RaftCore, errorCode: number) {
  const { leaderId, epoch } = core.quorum.leaderAndEpoch();
  return { partitionIndex: METADATA_PARTITION, errorCode, leaderId, leaderEpoch: epoch };
}

function clusterMismatch(core: RaftCore, clusterId: string | null): boolean {
  return clusterId !== null && core.clusterId !== null && clusterId !== core.clusterId;
}

/**
 * Kafka's validateVoterOnlyRequest: a stale epoch is fenced, and only a voter may claim to lead.
 * Without the voter check, any node id claiming the current epoch of a leader was a broken
 * invariant (RaftStateError) that failed this node's raft client: one request took the controller down.
 */
function voterOnlyRequestError(core: RaftCore, leaderId: number, epoch: number): number {
  if (epoch < core.quorum.epoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (leaderId < 0) return ErrorCode.INVALID_REQUEST;
  if (!core.quorum.isVoter || !core.config.voters.includes(leaderId)) return ErrorCode.INCONSISTENT_VOTER_SET;
  return ErrorCode.NONE;
}

export async function handleBeginQuorumEpochRequest(core: RaftCore, req: BeginQuorumEpochRequest): Promise<OutboundResponse> {
  const p = req.topics[0]?.partitions[0];
  if (clusterMismatch(core, req.clusterId) || !p) {
    return { api: 'BeginQuorumEpoch', body: { errorCode: p ? ErrorCode.INCONSISTENT_CLUSTER_ID : ErrorCode.INVALID_REQUEST, topics: [] } };
  }
  const error = voterOnlyRequestError(core, p.leaderId, p.leaderEpoch);
  if (error === ErrorCode.NONE) await core.handleEpochInfo(p.leaderId, p.leaderEpoch);
  return { api: 'BeginQuorumEpoch', body: { errorCode: ErrorCode.NONE, topics: [{ topicName: METADATA_TOPIC, partitions: [epochPartition(core, error)] }] } };
}

export async function handleBeginQuorumEpochResponse(core: RaftCore, sender: number, res: BeginQuorumEpochResponse): Promise<void> {
  const p = res.topics[0]?.partitions[0];
  if (res.errorCode !== ErrorCode.NONE || !p) return;
  if ((await core.handleEpochInfo(p.leaderId, p.leaderEpoch)) !== 'same') return;
  const s = core.quorum.state;
  if (s.name === 'Leader' && p.errorCode === ErrorCode.NONE) {
    const voter = s.voterStates.get(sender);
    if (voter) voter.hasAcknowledgedLeader = true;
  }
}

/** A leader's poll: BeginQuorumEpoch to voters that have not fetched in its epoch yet. */
export function sendBeginQuorumEpoch(core: RaftCore, leader: LeaderState): void {
  const now = core.clock.now();
  if (now < leader.beginQuorumEpochAt) return;
  let sent = false;
  for (const voter of leader.nonAcknowledgingVoters(now, core.config.fetchTimeoutMs)) {
    if (!core.requests.isReady(voter, now)) continue;
    sent = true;
    core.send(voter, {
      api: 'BeginQuorumEpoch',
      body: { clusterId: core.clusterId, voterId: voter, topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, leaderId: core.nodeId, leaderEpoch: leader.epoch }] }], leaderEndpoints: [] },
    });
  }
  if (sent) leader.beginQuorumEpochAt = now + Math.floor(core.config.fetchTimeoutMs / 2);
}

export async function handleEndQuorumEpochRequest(core: RaftCore, req: EndQuorumEpochRequest): Promise<OutboundResponse> {
  const p = req.topics[0]?.partitions[0];
  if (clusterMismatch(core, req.clusterId) || !p) {
    return { api: 'EndQuorumEpoch', body: { errorCode: p ? ErrorCode.INCONSISTENT_CLUSTER_ID : ErrorCode.INVALID_REQUEST, topics: [] } };
  }
  const error = voterOnlyRequestError(core, p.leaderId, p.leaderEpoch);
  if (error === ErrorCode.NONE && (await core.handleEpochInfo(p.leaderId, p.leaderEpoch)) !== 'stale') {
    const s = core.quorum.state;
    if (s.name === 'Follower' && s.leaderId === p.leaderId && s.epoch === p.leaderEpoch && core.quorum.isVoter) {
      const successors = p.preferredCandidates.length > 0 ? p.preferredCandidates.map((c) => c.candidateId) : p.preferredSuccessors;
      const rank = successors.indexOf(core.nodeId);
      const delay = rank < 0 ? core.quorum.randomElectionTimeoutMs() : rank === 0 ? 0 : core.quorum.electionBackoffMs(rank);
      // Stop waiting for the resigned leader: the fetch timeout now ends the epoch for this voter.
      s.fetchDeadline = Math.min(s.fetchDeadline, core.clock.now() + delay);
      s.hasFetchedFromLeader = false;
    }
  }
  return { api: 'EndQuorumEpoch', body: { errorCode: ErrorCode.NONE, topics: [{ topicName: METADATA_TOPIC, partitions: [epochPartition(core, error)] }] } };
}

export async function handleEndQuorumEpochResponse(core: RaftCore, sender: number, res: EndQuorumEpochResponse): Promise<void> {
  const p = res.topics[0]?.partitions[0];
  if (res.errorCode !== ErrorCode.NONE || !p) return;
  if ((await core.handleEpochInfo(p.leaderId, p.leaderEpoch)) !== 'same') return;
  const s = core.quorum.state;
  if (s.name === 'Resigned') s.unackedVoters.delete(sender);
}

/** A resigned leader's poll: EndQuorumEpoch to the voters that have not acknowledged it. */
export function sendEndQuorumEpoch(core: RaftCore): void {
  const s = core.quorum.state;
  if (s.name !== 'Resigned') return;
  const now = core.clock.now();
  for (const voter of s.unackedVoters) {
    if (!core.requests.isReady(voter, now)) continue;
    core.send(voter, {
      api: 'EndQuorumEpoch',
      body: {
        clusterId: core.clusterId,
        topics: [{
          topicName: METADATA_TOPIC,
          partitions: [{ partitionIndex: METADATA_PARTITION, leaderId: core.nodeId, leaderEpoch: s.epoch, preferredCandidates: s.preferredSuccessors.map((candidateId) => ({ candidateId, candidateDirectoryId: ZERO_UUID })) }],
        }],
        leaderEndpoints: [],
      },
    });
  }
}

/** The quorum as DescribeQuorum reports it (and `samsa metadata-quorum describe`). */
export interface QuorumDescription {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  readonly voters: readonly ReplicaDescription[];
  readonly observers: readonly ReplicaDescription[];
}

export interface ReplicaDescription {
  readonly replicaId: number;
  /** -1 when this node does not know (it is not the leader, or the replica has not fetched). */
  readonly logEndOffset: number;
  readonly lastFetchTimestamp: number;
  readonly lastCaughtUpTimestamp: number;
}

function describeReplica(r: ReplicaState): ReplicaDescription {
  return { replicaId: r.nodeId, logEndOffset: r.endOffset ?? -1, lastFetchTimestamp: r.lastFetchTimestamp, lastCaughtUpTimestamp: r.lastCaughtUpTimestamp };
}

export function describeQuorum(core: RaftCore): QuorumDescription {
  const s = core.quorum.state;
  const { leaderId, epoch } = core.quorum.leaderAndEpoch();
  if (s.name !== 'Leader') {
    const unknown = (replicaId: number): ReplicaDescription => ({ replicaId, logEndOffset: replicaId === core.nodeId ? core.log.endOffset : -1, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 });
    return { leaderId, leaderEpoch: epoch, highWatermark: core.highWatermark, voters: core.config.voters.map(unknown), observers: [] };
  }
  return {
    leaderId,
    leaderEpoch: epoch,
    highWatermark: core.highWatermark,
    voters: [...s.voterStates.values()].map(describeReplica),
    observers: s.activeObservers(core.clock.now()).map(describeReplica),
  };
}

export function handleDescribeQuorumRequest(core: RaftCore): OutboundResponse {
  const d = describeQuorum(core);
  const replica = (r: ReplicaDescription) => ({ replicaId: r.replicaId, logEndOffset: BigInt(r.logEndOffset), lastFetchTimestamp: BigInt(r.lastFetchTimestamp), lastCaughtUpTimestamp: BigInt(r.lastCaughtUpTimestamp) });
  const isLeader = core.quorum.state.name === 'Leader';
  return {
    api: 'DescribeQuorum',
    body: {
      errorCode: ErrorCode.NONE,
      topics: [{
        topicName: METADATA_TOPIC,
        partitions: [{
          partitionIndex: METADATA_PARTITION,
          errorCode: isLeader ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER,
          errorMessage: isLeader ? null : `node ${core.nodeId} is not the leader`,
          leaderId: d.leaderId,
          leaderEpoch: d.leaderEpoch,
          highWatermark: BigInt(d.highWatermark),
          currentVoters: isLeader ? d.voters.map(replica) : [],
          observers: isLeader ? d.observers.map(replica) : [],
        }],
      }],
      nodes: [],
    },
  };
}
