/**
 * The replica's current state and the transitions between states (Kafka's QuorumState). A
 * transition that changes what a restart must remember (a new epoch, a vote, a leader) is written
 * to the quorum-state file before it takes effect, and the Raft client awaits it before it answers
 * anyone: a vote is granted, and an epoch acted in, only once durable.
 */
import type { Clock } from '../../common/clock.js';
import { type Random, randomInt } from '../../common/random.js';
import { CandidateState, FollowerState, NO_VOTE, ProspectiveState, ResignedState, UnattachedState } from './epoch-states.js';
import { RaftStateError } from './errors.js';
import { LeaderState, type LeaderStateOptions } from './leader-state.js';
import { type LeaderAndEpoch, NO_LEADER, type OffsetAndEpoch } from './offset-and-epoch.js';
import type { QuorumConfig } from './quorum-config.js';
import type { ElectionState, FileQuorumStateStore } from './quorum-state-store.js';

export type EpochState = UnattachedState | FollowerState | ProspectiveState | CandidateState | LeaderState | ResignedState;

export class QuorumState {
  private current: EpochState | undefined;
  readonly isVoter: boolean;

  constructor(
    readonly localId: number,
    private readonly config: QuorumConfig,
    private readonly store: FileQuorumStateStore,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly onTransition: (from: EpochState | undefined, to: EpochState) => void,
    private readonly leaderOptions: LeaderStateOptions = {},
  ) {
    this.isVoter = config.voters.includes(localId);
  }

  get state(): EpochState {
    if (!this.current) throw new RaftStateError('the quorum state is not initialized');
    return this.current;
  }

  get epoch(): number {
    return this.state.epoch;
  }

  get voters(): readonly number[] {
    return this.config.voters;
  }

  /** The leader known in the current epoch, -1 when none. */
  get leaderId(): number {
    const s = this.state;
    if (s.name === 'Leader' || s.name === 'Resigned') return this.localId;
    if (s.name === 'Follower' || s.name === 'Prospective') return s.leaderId;
    return NO_LEADER;
  }

  leaderAndEpoch(): LeaderAndEpoch {
    return { leaderId: this.leaderId, epoch: this.epoch };
  }

  /** Kafka's randomized election timeout: the base plus up to the base again. */
  randomElectionTimeoutMs(): number {
    const base = this.config.electionTimeoutMs;
    return base + randomInt(this.random, base);
  }

  /** Exponential backoff with jitter after `attempt` failed elections, capped (Kafka's election backoff). */
  electionBackoffMs(attempt: number): number {
    const max = this.config.electionBackoffMaxMs;
    const exp = Math.min(max, this.config.retryBackoffMs * 2 ** Math.min(attempt, 20));
    return Math.max(1, randomInt(this.random, Math.max(1, exp)) + 1);
  }

  private electionDeadline(): number {
    return this.isVoter ? this.clock.now() + this.randomElectionTimeoutMs() : Infinity;
  }

  /** Reads the stored state and starts from it; `logEnd` is the log's last epoch and end offset. */
  async initialize(logEnd: OffsetAndEpoch): Promise<void> {
    const stored: ElectionState = (await this.store.read()) ?? { epoch: 0, leaderId: NO_LEADER, votedId: NO_VOTE };
    if (logEnd.epoch > stored.epoch) {
      // The log holds an epoch the state file never recorded (it was lost): begin there, unattached.
      await this.durable(new UnattachedState(logEnd.epoch, NO_VOTE, this.electionDeadline()));
    } else if (stored.leaderId === this.localId && this.isVoter) {
      this.memory(new ResignedState(this.localId, stored.epoch, this.config.voters, this.electionDeadline(), []));
    } else if (stored.leaderId !== NO_LEADER && stored.leaderId !== this.localId) {
      this.memory(new FollowerState(stored.epoch, stored.leaderId, stored.votedId, this.clock.now() + this.config.fetchTimeoutMs));
    } else {
      this.memory(new UnattachedState(stored.epoch, stored.votedId, this.electionDeadline()));
    }
  }

  private async durable(next: EpochState): Promise<void> {
    await this.store.write(next.election());
    this.memory(next);
  }

  private memory(next: EpochState): void {
    const from = this.current;
    this.current = next;
    this.onTransition(from, next);
  }

  /** Whom this replica voted for in the current epoch (itself once it stood as candidate). */
  private votedInCurrentEpoch(): number {
    const s = this.state;
    return 'votedId' in s ? s.votedId : this.localId;
  }

  private checkEpoch(epoch: number, allowSame: boolean): void {
    const cur = this.current?.epoch ?? 0;
    if (epoch < cur || (!allowSame && epoch === cur)) throw new RaftStateError(`transition to epoch ${epoch} from epoch ${cur}`);
  }

  /** A new epoch with no known leader, or (same epoch) giving up a candidacy or leadership seen to be lost. */
  async transitionToUnattached(epoch: number, votedId = NO_VOTE): Promise<void> {
    this.checkEpoch(epoch, true);
    if (epoch === this.epoch && votedId === NO_VOTE) votedId = this.votedInCurrentEpoch();
    await this.durable(new UnattachedState(epoch, votedId, this.electionDeadline()));
  }

  /** Grants a vote to `candidateId` in `epoch` (current or higher); durable before the answer goes out. */
  async transitionToUnattachedVoted(epoch: number, candidateId: number): Promise<void> {
    this.checkEpoch(epoch, true);
    await this.durable(new UnattachedState(epoch, candidateId, this.electionDeadline()));
  }

  async transitionToFollower(epoch: number, leaderId: number): Promise<void> {
    this.checkEpoch(epoch, true);
    if (leaderId === this.localId) throw new RaftStateError('cannot follow itself');
    const votedId = epoch === this.epoch ? this.votedInCurrentEpoch() : NO_VOTE;
    await this.durable(new FollowerState(epoch, leaderId, votedId, this.clock.now() + this.config.fetchTimeoutMs));
  }

  /** Starts (or restarts) a pre-vote round in the current epoch; nothing to persist. */
  transitionToProspective(): void {
    if (!this.isVoter) throw new RaftStateError('an observer cannot stand for election');
    const s = this.state;
    const votedId = this.votedInCurrentEpoch();
    const leaderId = s.name === 'Follower' || s.name === 'Prospective' ? s.leaderId : NO_LEADER;
    this.memory(new ProspectiveState(this.localId, this.config.voters, s.epoch, votedId, leaderId, this.clock.now() + this.randomElectionTimeoutMs()));
  }

  /** Bumps the epoch and votes for itself, durably. */
  async transitionToCandidate(): Promise<void> {
    if (!this.isVoter) throw new RaftStateError('an observer cannot stand for election');
    await this.durable(new CandidateState(this.localId, this.config.voters, this.epoch + 1, this.clock.now() + this.randomElectionTimeoutMs()));
  }

  async transitionToLeader(epochStartOffset: number): Promise<LeaderState> {
    const s = this.state;
    if (s.name !== 'Candidate' || !s.isVoteGranted()) throw new RaftStateError(`cannot lead from ${s.name}`);
    const now = this.clock.now();
    const leader = new LeaderState(this.localId, s.epoch, epochStartOffset, this.config.voters, new Set(s.granted), LeaderState.checkQuorumTimeout(this.config.fetchTimeoutMs), now, this.leaderOptions);
    await this.durable(leader);
    return leader;
  }

  /** The leader gives up its epoch: it keeps it (no new epoch) and waits out an election. */
  transitionToResigned(preferredSuccessors: readonly number[]): void {
    const s = this.state;
    if (s.name !== 'Leader') throw new RaftStateError(`cannot resign from ${s.name}`);
    this.memory(new ResignedState(this.localId, s.epoch, this.config.voters, this.clock.now() + this.randomElectionTimeoutMs(), preferredSuccessors));
  }
}
