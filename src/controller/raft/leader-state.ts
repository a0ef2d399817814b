/**
 * The leader of an epoch (Kafka's LeaderState): it tracks how far each voter's log reaches (the
 * fetch offsets its followers report, its own flushed end) and advances the high watermark to the
 * largest offset a majority of voters hold durably. As in KRaft, nothing is committed in an epoch
 * until an entry of that epoch is: the high watermark must pass the epoch start offset (the
 * LeaderChange record the leader writes first), so a new leader never exposes an entry of an older
 * epoch that a later leader could still truncate.
 *
 * Check quorum: a leader that has not heard a Fetch from a majority of voters within 1.5 fetch
 * timeouts resigns, so a leader cut off from the quorum does not keep its epoch forever.
 */
import type { ElectionState } from './quorum-state-store.js';

export interface ReplicaState {
  readonly nodeId: number;
  /** The replica's log end as it last reported (fetch offset), undefined before it fetched in this epoch. */
  endOffset: number | undefined;
  lastFetchTimestamp: number;
  /** When the replica last fetched at or past the leader's end offset of that moment. */
  lastCaughtUpTimestamp: number;
  /** Whether it has fetched in this epoch (BeginQuorumEpoch is resent until it has). */
  hasAcknowledgedLeader: boolean;
  /** The high watermark last sent to it in a Fetch answer (-1: none yet). */
  sentHighWatermark: number;
}

function newReplica(nodeId: number): ReplicaState {
  return { nodeId, endOffset: undefined, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1, hasAcknowledgedLeader: false, sentHighWatermark: -1 };
}

const CHECK_QUORUM_TIMEOUT_FACTOR = 1.5;
/** Observers not heard from this long are dropped from DescribeQuorum (Kafka's 5 minutes). */
const OBSERVER_SESSION_TIMEOUT_MS = 300_000;

export interface LeaderStateOptions {
  /** Simulator control only: count entries of older epochs as committed (Raft's figure-8 bug). */
  readonly unsafeCommitOlderEpochs?: boolean;
}

export class LeaderState {
  readonly name = 'Leader' as const;
  readonly voterStates = new Map<number, ReplicaState>();
  readonly observerStates = new Map<number, ReplicaState>();
  /** The high watermark this leader established, undefined until an entry of its epoch is committed. */
  highWatermark: number | undefined;
  private readonly fetchedVoters = new Set<number>();
  checkQuorumDeadline: number;
  /** When BeginQuorumEpoch may next be sent to voters that have not fetched yet. */
  beginQuorumEpochAt = 0;
  /** Set by a graceful shutdown: the leader resigns once it has handed over. */
  resignRequested = false;

  constructor(
    readonly localId: number,
    readonly epoch: number,
    /** The offset of this epoch's first entry (the LeaderChange record). */
    readonly epochStartOffset: number,
    readonly voters: readonly number[],
    readonly grantingVoters: ReadonlySet<number>,
    private readonly checkQuorumTimeoutMs: number,
    now: number,
    private readonly options: LeaderStateOptions = {},
  ) {
    for (const v of voters) this.voterStates.set(v, newReplica(v));
    const self = this.voterStates.get(localId)!;
    self.hasAcknowledgedLeader = true;
    this.checkQuorumDeadline = now + checkQuorumTimeoutMs;
  }

  static checkQuorumTimeout(fetchTimeoutMs: number): number {
    return Math.floor(fetchTimeoutMs * CHECK_QUORUM_TIMEOUT_FACTOR);
  }

  election(): ElectionState {
    return { epoch: this.epoch, leaderId: this.localId, votedId: this.localId };
  }

  canGrantVote(): boolean {
    return false;
  }

  /** The leader's own durable log end moved (a flush finished). Returns whether the high watermark moved. */
  updateLocalState(flushedEndOffset: number, now: number): boolean {
    const self = this.voterStates.get(this.localId)!;
    self.endOffset = flushedEndOffset;
    self.lastFetchTimestamp = now;
    self.lastCaughtUpTimestamp = now;
    return this.maybeUpdateHighWatermark();
  }

  /**
   * A replica fetched at `fetchOffset` (so its log durably reaches it). Returns whether the high
   * watermark moved. `leaderEndOffset` is the leader's log end, for the caught-up time.
   */
  /** A voter's or observer's state, if it is known. */
  replicaState(nodeId: number): ReplicaState | undefined {
    return this.voterStates.get(nodeId) ?? this.observerStates.get(nodeId);
  }

  updateReplicaState(nodeId: number, fetchOffset: number, leaderEndOffset: number, now: number): boolean {
    const voter = this.voterStates.get(nodeId);
    const state = voter ?? this.observerStates.get(nodeId) ?? newReplica(nodeId);
    if (!voter) this.observerStates.set(nodeId, state);
    state.endOffset = fetchOffset;
    state.lastFetchTimestamp = now;
    state.hasAcknowledgedLeader = true;
    if (fetchOffset >= leaderEndOffset) state.lastCaughtUpTimestamp = now;
    if (!voter) return false;
    this.fetchedVoters.add(nodeId);
    if (this.fetchedVoters.size + 1 >= Math.floor(this.voters.length / 2) + 1) {
      this.fetchedVoters.clear();
      this.checkQuorumDeadline = now + this.checkQuorumTimeoutMs;
    }
    return this.maybeUpdateHighWatermark();
  }

  private maybeUpdateHighWatermark(): boolean {
    const offsets = [...this.voterStates.values()].map((r) => r.endOffset ?? -1).sort((a, b) => b - a);
    const candidate = offsets[Math.floor(this.voters.length / 2)]!;
    if (candidate < 0) return false;
    // Kafka's rule: commit only once an entry of this epoch (at epochStartOffset) is on a majority.
    if (candidate <= this.epochStartOffset && !this.options.unsafeCommitOlderEpochs) return false;
    if (this.highWatermark !== undefined && candidate <= this.highWatermark) return false;
    this.highWatermark = candidate;
    return true;
  }

  /** Whether a majority of voters has fetched within the check-quorum timeout (always true alone). */
  hasQuorum(now: number): boolean {
    return this.voters.length === 1 || now < this.checkQuorumDeadline;
  }

  /**
   * Voters to (re)send BeginQuorumEpoch to: those that have not fetched in this epoch, and those
   * silent for `silentAfterMs`. The second is Samsa's addition: a voter stranded in a higher epoch
   * (its candidacy failed behind a partition) cannot win a pre-vote while this leader holds a
   * majority and does not fetch from a leader of a lower epoch, so only the leader can find out;
   * the voter's FENCED_LEADER_EPOCH answer carries its epoch and this leader steps down, as a Raft
   * leader does on an AppendEntries answer with a higher term.
   */
  nonAcknowledgingVoters(now = -Infinity, silentAfterMs = Infinity): number[] {
    return [...this.voterStates.values()]
      .filter((r) => r.nodeId !== this.localId && (!r.hasAcknowledgedLeader || now - r.lastFetchTimestamp > silentAfterMs))
      .map((r) => r.nodeId);
  }

  /** Observers still fetching (DescribeQuorum). */
  activeObservers(now: number): ReplicaState[] {
    for (const [id, o] of this.observerStates) if (now - o.lastFetchTimestamp > OBSERVER_SESSION_TIMEOUT_MS) this.observerStates.delete(id);
    return [...this.observerStates.values()];
  }
}
