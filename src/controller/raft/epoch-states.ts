/**
 * The states a replica of the quorum can be in, one per class as Kafka names them (UnattachedState,
 * FollowerState, ProspectiveState, CandidateState, ResignedState; LeaderState is in
 * leader-state.ts). Each knows its epoch, what it persists (`election()`), its deadline and
 * whether it can grant a vote. Transitions between them are QuorumState's.
 *
 *   Unattached --election timeout--> Prospective --majority of pre-votes--> Candidate --majority--> Leader
 *   Follower --fetch timeout--> Prospective          Candidate --timeout, backoff--> Prospective
 *   any --higher epoch seen--> Unattached or Follower           Leader --lost quorum / shutdown--> Resigned
 */
import type { ElectionState } from './quorum-state-store.js';
import { NO_LEADER } from './offset-and-epoch.js';

export type RoleName = 'Unattached' | 'Follower' | 'Prospective' | 'Candidate' | 'Leader' | 'Resigned';

export const NO_VOTE = -1;

/** A snapshot being fetched from the leader, chunk by chunk. */
export interface FetchingSnapshot {
  readonly id: { readonly offset: number; readonly epoch: number };
  readonly chunks: Buffer[];
  position: number;
}

export interface VoteDecision {
  /** The candidate's log is at least as up to date as ours. */
  readonly logUpToDate: boolean;
  readonly preVote: boolean;
  readonly candidateId: number;
}

/** Kafka's unattachedOrProspectiveCanGrantVote. */
function canGrantAsUnattached(votedId: number, leaderId: number, d: VoteDecision): boolean {
  if (d.preVote) return d.logUpToDate;
  if (votedId !== NO_VOTE) return votedId === d.candidateId;
  if (leaderId !== NO_LEADER) return false;
  return d.logUpToDate;
}

export class UnattachedState {
  readonly name = 'Unattached' as const;
  constructor(
    readonly epoch: number,
    readonly votedId: number,
    /** When a voter starts an election (Infinity for an observer). */
    readonly electionDeadline: number,
  ) {}

  election(): ElectionState {
    return { epoch: this.epoch, leaderId: NO_LEADER, votedId: this.votedId };
  }

  canGrantVote(d: VoteDecision): boolean {
    return canGrantAsUnattached(this.votedId, NO_LEADER, d);
  }
}

export class FollowerState {
  readonly name = 'Follower' as const;
  /** A Fetch to the leader has been answered in this epoch: until then it may be unreachable, so pre-votes are granted. */
  hasFetchedFromLeader = false;
  fetchingSnapshot: FetchingSnapshot | undefined;

  constructor(
    readonly epoch: number,
    readonly leaderId: number,
    readonly votedId: number,
    public fetchDeadline: number,
  ) {}

  election(): ElectionState {
    return { epoch: this.epoch, leaderId: this.leaderId, votedId: this.votedId };
  }

  canGrantVote(d: VoteDecision): boolean {
    return d.preVote && !this.hasFetchedFromLeader && d.logUpToDate;
  }
}

/** A voter tallying an election: the pre-vote of KIP-996 or the real one. */
abstract class NomineeState {
  readonly granted = new Set<number>();
  readonly rejected = new Set<number>();
  /** Set once the election timed out undecided: nothing is sent until then, and then a new round begins. */
  backoffUntil: number | undefined;

  constructor(
    readonly localId: number,
    readonly voters: readonly number[],
    public electionDeadline: number,
  ) {
    this.granted.add(localId);
  }

  private get majority(): number {
    return Math.floor(this.voters.length / 2) + 1;
  }

  isVoteGranted(): boolean {
    return this.granted.size >= this.majority;
  }

  isVoteRejected(): boolean {
    return this.rejected.size > this.voters.length - this.majority;
  }

  /** Voters asked nothing yet in this round. */
  unrecordedVoters(): number[] {
    return this.voters.filter((v) => !this.granted.has(v) && !this.rejected.has(v));
  }
}

export class ProspectiveState extends NomineeState {
  readonly name = 'Prospective' as const;
  constructor(
    localId: number,
    voters: readonly number[],
    readonly epoch: number,
    readonly votedId: number,
    /** The leader of this epoch it followed before, if any (kept in the persisted state). */
    readonly leaderId: number,
    electionDeadline: number,
  ) {
    super(localId, voters, electionDeadline);
  }

  election(): ElectionState {
    return { epoch: this.epoch, leaderId: this.leaderId, votedId: this.votedId };
  }

  canGrantVote(d: VoteDecision): boolean {
    return canGrantAsUnattached(this.votedId, this.leaderId, d);
  }
}

export class CandidateState extends NomineeState {
  readonly name = 'Candidate' as const;
  constructor(
    localId: number,
    voters: readonly number[],
    readonly epoch: number,
    electionDeadline: number,
  ) {
    super(localId, voters, electionDeadline);
  }

  election(): ElectionState {
    return { epoch: this.epoch, leaderId: NO_LEADER, votedId: this.localId };
  }

  canGrantVote(d: VoteDecision): boolean {
    // It voted for itself; a pre-vote for the next epoch is judged on the log alone.
    return d.preVote ? d.logUpToDate : d.candidateId === this.localId;
  }
}

/** A leader that gave up its epoch (shutdown or lost quorum): it tells the voters and waits out the election. */
export class ResignedState {
  readonly name = 'Resigned' as const;
  readonly unackedVoters: Set<number>;

  constructor(
    readonly localId: number,
    readonly epoch: number,
    voters: readonly number[],
    readonly electionDeadline: number,
    readonly preferredSuccessors: readonly number[],
  ) {
    this.unackedVoters = new Set(voters.filter((v) => v !== localId));
  }

  election(): ElectionState {
    return { epoch: this.epoch, leaderId: this.localId, votedId: this.localId };
  }

  canGrantVote(): boolean {
    return false;
  }
}
