/**
 * Elections (KIP-595 with KIP-996's pre-vote): the Vote RPC on both sides and what a nominee does
 * on each poll. A voter whose leader went quiet first asks for pre-votes in its current epoch
 * (nothing is persisted, no epoch is bumped); only with a majority of pre-votes does it become a
 * candidate, bump the epoch and vote for itself durably, then ask for real votes. A voter grants a
 * vote when the candidate's log is at least as up to date as its own (last epoch, then end offset)
 * and it has not voted for another in that epoch; the vote is on disk before the answer leaves.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { VoteRequest, VoteResponse } from '../../protocol/messages/index.js';
import { type VoteDecision } from './epoch-states.js';
import { METADATA_PARTITION, METADATA_TOPIC, NO_LEADER, compareOffsetAndEpoch } from './offset-and-epoch.js';
import type { RaftCore } from './raft-core.js';
import { type OutboundResponse, isPreVote, preVoteMarker } from './raft-rpc.js';

function voteResponse(core: RaftCore, errorCode: number, voteGranted: boolean): OutboundResponse {
  const { leaderId, epoch } = core.quorum.leaderAndEpoch();
  return {
    api: 'Vote',
    body: {
      errorCode: ErrorCode.NONE,
      topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, errorCode, leaderId, leaderEpoch: epoch, voteGranted }] }],
    },
  };
}

function clusterMismatch(core: RaftCore, clusterId: string | null): boolean {
  return clusterId !== null && core.clusterId !== null && clusterId !== core.clusterId;
}

export async function handleVoteRequest(core: RaftCore, req: VoteRequest): Promise<OutboundResponse> {
  if (clusterMismatch(core, req.clusterId)) {
    return { api: 'Vote', body: { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, topics: [] } };
  }
  const p = req.topics[0]?.partitions[0];
  if (!p || req.topics[0]!.topicName !== METADATA_TOPIC) return voteResponse(core, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, false);
  const preVote = isPreVote(p);
  if (!core.quorum.isVoter || !core.config.voters.includes(p.candidateId)) return voteResponse(core, ErrorCode.INVALID_REQUEST, false);
  if (p.candidateEpoch < core.quorum.epoch) return voteResponse(core, ErrorCode.FENCED_LEADER_EPOCH, false);
  // A pre-vote asks about the epoch after the requester's: one this node has reached already is refused.
  if (preVote && p.candidateEpoch === core.quorum.epoch) return voteResponse(core, ErrorCode.NONE, false);
  if (!preVote && p.candidateEpoch > core.quorum.epoch) await core.becomeUnattached(p.candidateEpoch);

  const candidateLog = { offset: Number(p.lastOffset), epoch: p.lastOffsetEpoch };
  const logUpToDate = compareOffsetAndEpoch(candidateLog, core.log.endOffsetAndEpoch()) >= 0;
  const decision: VoteDecision = { logUpToDate: logUpToDate || core.faults.grantVotesWithoutLogCheck === true, preVote, candidateId: p.candidateId };
  const granted = core.quorum.state.canGrantVote(decision);
  if (granted && !preVote) await core.quorum.transitionToUnattachedVoted(core.quorum.epoch, p.candidateId);
  return voteResponse(core, ErrorCode.NONE, granted);
}

export async function handleVoteResponse(core: RaftCore, sender: number, res: VoteResponse): Promise<void> {
  const p = res.topics[0]?.partitions[0];
  if (res.errorCode !== ErrorCode.NONE || !p) {
    core.requests.backoff(sender, core.clock.now());
    return;
  }
  const result = await core.handleEpochInfo(p.leaderId, p.leaderEpoch);
  if (result !== 'same') return;
  const s = core.quorum.state;
  if (s.name !== 'Prospective' && s.name !== 'Candidate') return;
  if (p.errorCode !== ErrorCode.NONE) {
    core.requests.backoff(sender, core.clock.now());
    return;
  }
  if (p.voteGranted) s.granted.add(sender);
  else s.rejected.add(sender);
}

function sendVotes(core: RaftCore, preVote: boolean): void {
  const s = core.quorum.state;
  if (s.name !== 'Prospective' && s.name !== 'Candidate') return;
  const now = core.clock.now();
  const end = core.log.endOffsetAndEpoch();
  for (const voter of s.unrecordedVoters()) {
    if (!core.requests.isReady(voter, now)) continue;
    core.send(voter, {
      api: 'Vote',
      body: {
        clusterId: core.clusterId,
        voterId: voter,
        topics: [{
          topicName: METADATA_TOPIC,
          partitions: [{
            partitionIndex: METADATA_PARTITION,
            candidateEpoch: preVote ? s.epoch + 1 : s.epoch,
            candidateId: core.nodeId,
            lastOffsetEpoch: end.epoch,
            lastOffset: BigInt(end.offset),
            ...(preVote ? { unknownTaggedFields: preVoteMarker() } : {}),
          }],
        }],
      },
    });
  }
}

/**
 * One poll of a Prospective or Candidate replica: win, give up, or keep asking. A pre-vote round
 * that fails goes back to following the leader it knew (Kafka 4's rule: a prospective voter whose
 * leader is alive after all hears from it again, and until it does it grants others' pre-votes),
 * or to Unattached; a failed candidacy backs off and starts over with a pre-vote.
 */
export async function pollNominee(core: RaftCore): Promise<void> {
  const s = core.quorum.state;
  if (s.name !== 'Prospective' && s.name !== 'Candidate') return;
  const now = core.clock.now();
  if (s.isVoteGranted()) {
    if (s.name === 'Prospective') await core.becomeCandidate();
    else await core.becomeLeader();
    return;
  }
  const lost = now >= s.electionDeadline || s.isVoteRejected();
  if (s.name === 'Prospective') {
    if (!lost) sendVotes(core, true);
    else if (s.leaderId !== NO_LEADER) await core.quorum.transitionToFollower(s.epoch, s.leaderId);
    else await core.becomeUnattached(s.epoch);
    return;
  }
  if (s.backoffUntil !== undefined) {
    if (now >= s.backoffUntil) core.becomeProspective();
  } else if (lost) {
    s.backoffUntil = now + core.quorum.electionBackoffMs(s.rejected.size + 1);
  } else {
    sendVotes(core, false);
  }
}

/** When a nominee next needs a poll without any message arriving. */
export function nomineeDeadline(core: RaftCore): number {
  const s = core.quorum.state;
  if (s.name !== 'Prospective' && s.name !== 'Candidate') return Infinity;
  if (s.isVoteGranted()) return core.clock.now();
  return s.backoffUntil ?? s.electionDeadline;
}
