/**
 * What the Raft client's handler modules (election, replication, snapshot transfer, epoch RPCs)
 * share: the client's components and the few transitions that have side effects beyond the
 * quorum state. Everything here runs on the client's single event queue.
 */
import type { Clock } from '../../common/clock.js';
import type { Random } from '../../common/random.js';
import type { LeaderState } from './leader-state.js';
import type { QuorumConfig } from './quorum-config.js';
import type { QuorumState } from './quorum-state.js';
import type { RaftLog } from './raft-log.js';
import type { OutboundRequest } from './raft-rpc.js';
import type { RequestManager } from './request-manager.js';
import type { SnapshotContents, SnapshotStore } from './snapshots.js';
import type { LeaderAndEpoch } from './offset-and-epoch.js';

/** Deliberate defects for the simulator's controls (does it catch a broken node?). Never set in production. */
export interface RaftFaults {
  /** Grant votes without Raft's log-up-to-date check. */
  readonly grantVotesWithoutLogCheck?: boolean;
  /** Skip every fsync (log, quorum-state, snapshots): acknowledge what a power loss can take back. */
  readonly skipFsync?: boolean;
  /** Let a new leader commit entries of older epochs before one of its own (Raft's figure 8). */
  readonly commitOlderEpochs?: boolean;
}

/** One committed data batch, as the state machine receives it. */
export interface CommittedBatch {
  readonly baseOffset: number;
  /** Inclusive. */
  readonly lastOffset: number;
  readonly epoch: number;
  readonly appendTimestamp: number;
  /** The values of its records (a metadata record frame each, for the metadata log). */
  readonly records: readonly Buffer[];
}

/** The state machine on top of the log (Kafka's RaftClient.Listener). Called on the event queue: keep it quick. */
export interface RaftListener {
  /** Committed batches, in offset order, each once per load (control batches are left out). */
  handleCommit(batch: CommittedBatch): void;
  /** Replace the whole state with a snapshot's (at start, or when the leader sent one). */
  handleLoadSnapshot(snapshot: SnapshotContents): void;
  /**
   * The leader or epoch changed. When this node becomes leader it is told only once everything
   * before its epoch is committed and delivered, so its state is complete (as Kafka does).
   */
  handleLeaderChange?(leader: LeaderAndEpoch): void;
  /** The state as of the last delivered batch, as records for a snapshot; without it no snapshots are taken. */
  snapshotRecords?(): Buffer[];
}

/** A leader of the quorum heard from, at `at` on the local clock. */
export interface LeaderContact {
  readonly leaderId: number;
  readonly at: number;
}

export type EpochInfoResult = 'stale' | 'same' | 'transitioned';

export interface RaftCore {
  readonly nodeId: number;
  readonly config: QuorumConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: RaftLog;
  readonly quorum: QuorumState;
  readonly snapshots: SnapshotStore;
  readonly requests: RequestManager;
  readonly faults: RaftFaults;
  readonly clusterId: string | null;
  readonly listener: RaftListener;

  /** The highest offset known committed (exclusive); never moves back while the process lives. */
  readonly highWatermark: number;

  /** The leader this node last had a successful Fetch (or FetchSnapshot) answered by as a follower, and when (this node's clock). */
  lastLeaderContact: LeaderContact | undefined;

  /** Sends a request; its answer (or failure) comes back as a task on the queue. */
  send(destination: number, request: OutboundRequest): void;

  /**
   * Acts on the leader and epoch another node reported (Kafka's maybeHandleCommonResponse): a
   * higher epoch moves this node there, a leader of the current epoch is followed. 'stale' means
   * the report is older than this node's epoch.
   */
  handleEpochInfo(leaderId: number, epoch: number): Promise<EpochInfoResult>;

  becomeProspective(): void;
  becomeCandidate(): Promise<void>;
  becomeLeader(): Promise<void>;
  becomeUnattached(epoch: number): Promise<void>;
  resign(preferredSuccessors: readonly number[]): void;

  /** A follower learned a higher committed offset, or the leader computed one. */
  updateHighWatermark(offset: number): void;
  /** The leader's state after a replica's progress changed the high watermark. */
  onLeaderProgress(leader: LeaderState, highWatermarkMoved: boolean): void;
  /** A snapshot fetched from the leader replaces the log and the state. */
  installSnapshot(contents: SnapshotContents, bytes: Buffer): Promise<void>;
}
