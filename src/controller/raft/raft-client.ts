/**
 * A member of the metadata quorum (Kafka's KafkaRaftClient): a deterministic event loop over one
 * queue. Inbound requests, responses, timer polls and flushes are tasks run one at a time, each to
 * completion (awaiting its disk writes) before the next, as Kafka's single raft thread does; after
 * each task the current state is polled (send what is due, act on expired timers) and one timer is
 * set for the next deadline. Nothing here reads a real clock, draws real randomness or touches a
 * socket or file directly: the Clock, Random, Disk and RaftTransport are injected, so the
 * simulator can run several clients in one process and replay a run from its seed.
 *
 * The user of the quorum (the metadata image, a controller) appends records on the leader with
 * `append`, hears committed batches, snapshot loads and leader changes through its RaftListener,
 * and wires `handleRequest` to the network for the six Raft RPCs.
 */
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { type Random, randomInt } from '../../common/random.js';
import type { Disk } from '../../storage/disk.js';
import { committedBatch, leaderChangeRecord } from './batch-contents.js';
import { NotLeaderError, RaftClosedError, RaftStateError } from './errors.js';
import { LeaderState } from './leader-state.js';
import { type LeaderAndEpoch, NO_LEADER } from './offset-and-epoch.js';
import type { QuorumConfig } from './quorum-config.js';
import { type EpochState, QuorumState } from './quorum-state.js';
import { FileQuorumStateStore } from './quorum-state-store.js';
import { type QuorumDescription, describeQuorum, handleBeginQuorumEpochRequest, handleBeginQuorumEpochResponse, handleDescribeQuorumRequest, handleEndQuorumEpochRequest, handleEndQuorumEpochResponse, sendBeginQuorumEpoch, sendEndQuorumEpoch } from './raft-epoch-rpcs.js';
import type { EpochInfoResult, LeaderContact, RaftCore, RaftFaults, RaftListener } from './raft-core.js';
import { handleVoteRequest, handleVoteResponse, nomineeDeadline, pollNominee } from './raft-election.js';
import { type LogBatch, RaftLog } from './raft-log.js';
import { FetchPurgatory, handleFetchRequest, handleFetchResponse, sendFetch } from './raft-replication.js';
import type { InboundRequest, InboundResponse, OutboundRequest, OutboundResponse, RaftTransport } from './raft-rpc.js';
import { handleFetchSnapshotRequest, handleFetchSnapshotResponse, sendFetchSnapshot } from './raft-snapshot-transfer.js';
import { RequestManager } from './request-manager.js';
import { type SnapshotContents, SnapshotStore, encodeSnapshot } from './snapshots.js';

export type { CommittedBatch, RaftFaults, RaftListener } from './raft-core.js';

export interface RaftClientOptions {
  readonly nodeId: number;
  readonly config: QuorumConfig;
  /** The metadata log directory, e.g. `<metadata.log.dir>/__cluster_metadata-0`. */
  readonly logDir: string;
  readonly disk: Disk;
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: RaftTransport;
  readonly listener: RaftListener;
  /** Checked against peers' requests when both sides know it. */
  readonly clusterId?: string | null;
  /** Called once if the client stops on an error it cannot recover from (a disk failure, a broken invariant). */
  readonly onFatal?: (err: unknown) => void;
  /** A trace hook: every committed batch, control batches included, as it is delivered (the simulator's checker). */
  readonly onCommittedBatch?: (batch: LogBatch) => void;
  /** Simulator controls only. */
  readonly unsafeFaults?: RaftFaults;
  /** Where role changes are said, with why a leader resigned (info, as Kafka's KafkaRaftClient logs its transitions). */
  readonly logger?: Logger;
}

/** A read-only view of a client's state, for tests, the simulator's invariant checks and metrics. */
export interface RaftInspection {
  readonly nodeId: number;
  readonly role: EpochState['name'];
  readonly epoch: number;
  readonly leaderId: number;
  readonly votedId: number;
  readonly highWatermark: number;
  /** The end of what the listener has been given. */
  readonly appliedOffset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly flushedEndOffset: number;
  readonly latestSnapshot: { readonly offset: number; readonly epoch: number } | undefined;
}

type Lifecycle = 'new' | 'running' | 'closed' | 'failed';

/** Creates `dir` and its missing parents, making each new directory's entry durable in its parent. */
async function ensureDurableDir(disk: Disk, dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; dirname(d) !== d && (await disk.stat(d)) === undefined; d = dirname(d)) missing.push(d);
  if (missing.length === 0) return;
  await disk.mkdir(dir);
  for (const d of missing.reverse()) await disk.syncDir(dirname(d));
}

/** Transitions one poll may chain (Unattached → Prospective → Candidate → Leader for a lone voter, and the sends after). */
const MAX_POLLS_PER_TASK = 6;

export class RaftClient implements RaftCore {
  readonly nodeId: number;
  readonly config: QuorumConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly listener: RaftListener;
  readonly faults: RaftFaults;
  readonly clusterId: string | null;
  readonly requests: RequestManager;
  lastLeaderContact: LeaderContact | undefined;
  private logRef: RaftLog | undefined;
  private quorumRef: QuorumState | undefined;
  private snapshotsRef: SnapshotStore | undefined;
  private readonly purgatory = new FetchPurgatory();
  private hw = 0;
  private applied = 0;
  private bytesSinceSnapshot = 0;
  /** When the latest snapshot was taken or loaded (the client's start before any). */
  private lastSnapshotMs: number;
  private snapshotting = false;
  private flushQueued = false;
  private tail: Promise<void> = Promise.resolve();
  private lifecycle: Lifecycle = 'new';
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private notifiedLeader: LeaderAndEpoch | undefined;
  /** A graceful shutdown under way: the resigned leader waits for EndQuorumEpoch acks until the deadline. */
  private shuttingDown: { deadline: number; done: () => void; finished: boolean } | undefined;

  constructor(private readonly options: RaftClientOptions) {
    this.nodeId = options.nodeId;
    this.config = options.config;
    this.clock = options.clock;
    this.random = options.random;
    this.listener = options.listener;
    this.faults = options.unsafeFaults ?? {};
    this.clusterId = options.clusterId ?? null;
    this.requests = new RequestManager(options.config.requestTimeoutMs, options.config.retryBackoffMs);
    this.lastSnapshotMs = options.clock.now();
  }

  get log(): RaftLog {
    if (!this.logRef) throw new RaftClosedError('the raft client is not started');
    return this.logRef;
  }

  get quorum(): QuorumState {
    if (!this.quorumRef) throw new RaftClosedError('the raft client is not started');
    return this.quorumRef;
  }

  get snapshots(): SnapshotStore {
    if (!this.snapshotsRef) throw new RaftClosedError('the raft client is not started');
    return this.snapshotsRef;
  }

  get highWatermark(): number {
    return this.hw;
  }

  /** Opens the log, snapshots and quorum state, gives the listener the latest snapshot, and starts the loop. */
  async start(): Promise<void> {
    if (this.lifecycle !== 'new') throw new RaftClosedError('start() called twice');
    const { disk, logDir } = this.options;
    const skipFsync = this.faults.skipFsync === true;
    await ensureDurableDir(disk, logDir);
    this.snapshotsRef = await SnapshotStore.open(disk, logDir, { unsafeSkipFsync: skipFsync });
    this.logRef = await RaftLog.open(disk, logDir, { segmentBytes: this.config.segmentBytes, unsafeSkipFsync: skipFsync }, this.snapshots.latest);
    const store = new FileQuorumStateStore(disk, logDir, this.config.voters, { unsafeSkipFsync: skipFsync });
    this.quorumRef = new QuorumState(this.nodeId, this.config, store, this.clock, this.random, (from, to) => this.onTransition(from, to), {
      unsafeCommitOlderEpochs: this.faults.commitOlderEpochs === true,
    });
    await this.quorum.initialize(this.log.endOffsetAndEpoch());
    const snapshot = this.snapshots.readLatest();
    if (snapshot) {
      this.listener.handleLoadSnapshot(snapshot);
      this.applied = this.hw = snapshot.id.offset;
    }
    this.lifecycle = 'running';
    this.notifyLeaderChange();
    this.enqueue(() => undefined).catch(() => undefined);
  }

  // ---- the event queue ----

  /** Runs `task` after every task before it, then polls; a failure stops the client. */
  private enqueue<T>(task: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      if (this.lifecycle !== 'running') throw new RaftClosedError(`the raft client of node ${this.nodeId} is ${this.lifecycle}`);
      const result = await task();
      await this.pollCurrentState();
      this.scheduleTimer();
      return result;
    });
    this.tail = run.then(
      () => undefined,
      (err: unknown) => {
        if (!(err instanceof RaftClosedError)) this.fail(err);
      },
    );
    return run;
  }

  private fail(err: unknown): void {
    if (this.lifecycle !== 'running') return;
    this.lifecycle = 'failed';
    this.timer?.cancel();
    this.purgatory.complete(this);
    this.options.onFatal?.(err);
  }

  private scheduleTimer(): void {
    if (this.lifecycle !== 'running') return;
    const now = this.clock.now();
    const at = this.nextPollTime(now);
    if (at === this.timerAt && this.timer) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = at;
    if (at === Infinity) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.enqueue(() => undefined).catch(() => undefined);
    }, Math.max(0, at - now));
  }

  private nextPollTime(now: number): number {
    let t = this.requests.nextDeadline(now);
    const s = this.quorum.state;
    switch (s.name) {
      case 'Leader':
        if (s.voters.length > 1) t = Math.min(t, s.checkQuorumDeadline);
        // Due BeginQuorumEpochs wait for their voter's backoff, which the request deadlines cover.
        if (s.beginQuorumEpochAt > now && s.nonAcknowledgingVoters(now, this.config.fetchTimeoutMs).length > 0) t = Math.min(t, s.beginQuorumEpochAt);
        return Math.min(t, this.purgatory.nextDeadline());
      case 'Follower':
        return Math.min(t, s.fetchDeadline);
      case 'Unattached':
        return Math.min(t, s.electionDeadline);
      case 'Resigned':
        // Shutting down, it stands for nothing: only the shutdown deadline matters.
        if (this.shuttingDown) return Math.min(t, this.shuttingDown.finished ? Infinity : this.shuttingDown.deadline);
        return Math.min(t, s.electionDeadline);
      default:
        return Math.min(t, nomineeDeadline(this));
    }
  }

  /** What is due in the current state (Kafka's pollCurrentState), again after each transition it makes. */
  private async pollCurrentState(): Promise<void> {
    for (let i = 0; i < MAX_POLLS_PER_TASK; i++) {
      const before = this.quorum.state;
      await this.pollOnce();
      if (this.quorum.state === before || this.lifecycle !== 'running') return;
    }
  }

  private async pollOnce(): Promise<void> {
    const now = this.clock.now();
    this.requests.expire(now);
    const s = this.quorum.state;
    switch (s.name) {
      case 'Leader':
        return this.pollLeader(s, now);
      case 'Follower':
        if (now >= s.fetchDeadline) {
          if (this.quorum.isVoter) this.becomeProspective();
          else await this.becomeUnattached(s.epoch);
        } else if (this.requests.isReady(s.leaderId, now)) {
          if (s.fetchingSnapshot) sendFetchSnapshot(this, s.leaderId);
          else sendFetch(this, s.leaderId);
        }
        return;
      case 'Unattached':
        // The only voter needs nobody's vote: it leads at once (as Kafka does), not after a timeout.
        if (this.quorum.isVoter) {
          if (now >= s.electionDeadline || this.config.voters.length === 1) this.becomeProspective();
        } else this.discoverLeader(now);
        return;
      case 'Resigned':
        this.maybeFinishShutdown(now);
        if (this.shuttingDown) sendEndQuorumEpoch(this);
        else if (now >= s.electionDeadline || this.config.voters.length === 1) this.becomeProspective();
        else sendEndQuorumEpoch(this);
        return;
      default:
        return pollNominee(this);
    }
  }

  private pollLeader(s: LeaderState, now: number): void {
    if (!s.hasQuorum(now)) {
      const silent = s.nonAcknowledgingVoters(now, this.config.fetchTimeoutMs);
      this.options.logger?.info({ epoch: s.epoch, silentVoters: silent, fetchTimeoutMs: this.config.fetchTimeoutMs }, 'resigning: a majority of the voters did not fetch within controller.quorum.fetch.timeout.ms (check quorum)');
      this.resign(this.successors(s));
      return;
    }
    sendBeginQuorumEpoch(this, s);
    this.purgatory.complete(this, now);
  }

  /**
   * An observer without a leader asks a random voter (which answers with the leader it knows),
   * among those not backed off; when all are, the timer wakes it at the first backoff's end.
   */
  private discoverLeader(now: number): void {
    const voters = this.config.voters;
    if (voters.some((v) => this.requests.hasInflight(v))) return;
    const ready = voters.filter((v) => this.requests.isReady(v, now));
    if (ready.length > 0) sendFetch(this, ready[randomInt(this.random, ready.length)]!);
  }

  /** Voters other than this one, longest log first: who should take over. */
  private successors(s: LeaderState): number[] {
    return [...s.voterStates.values()]
      .filter((r) => r.nodeId !== this.nodeId)
      .sort((a, b) => (b.endOffset ?? -1) - (a.endOffset ?? -1) || a.nodeId - b.nodeId)
      .map((r) => r.nodeId);
  }

  // ---- requests and responses ----

  send(destination: number, request: OutboundRequest): void {
    const cid = this.requests.onSend(destination, request.api, this.clock.now());
    let sent: Promise<InboundResponse>;
    try {
      sent = this.options.transport.send(destination, request);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (res) => this.enqueue(() => this.onResponse(destination, cid, res)).catch(() => undefined),
      () => this.enqueue(() => void this.requests.onFailure(destination, cid, this.clock.now())).catch(() => undefined),
    );
  }

  private async onResponse(sender: number, cid: number, res: InboundResponse): Promise<void> {
    if (!this.requests.onResponse(sender, cid)) return;
    switch (res.api) {
      case 'Vote':
        return handleVoteResponse(this, sender, res.body);
      case 'Fetch':
        return handleFetchResponse(this, sender, res.body);
      case 'FetchSnapshot':
        return handleFetchSnapshotResponse(this, sender, res.body);
      case 'BeginQuorumEpoch':
        return handleBeginQuorumEpochResponse(this, sender, res.body);
      case 'EndQuorumEpoch':
        return handleEndQuorumEpochResponse(this, sender, res.body);
      case 'DescribeQuorum':
        return;
    }
  }

  /** Answers a Raft RPC from a peer (or DescribeQuorum from an admin); wire this to the network. */
  handleRequest(req: InboundRequest): Promise<OutboundResponse> {
    return new Promise<OutboundResponse>((resolve, reject) => {
      this.enqueue(async () => {
        const res = await this.dispatch(req);
        if ('parked' in res) res.parked.then(resolve, reject);
        else resolve(res);
      }).catch(reject);
    });
  }

  /** A parked Fetch comes back wrapped, so that awaiting the dispatch does not hold the queue until it is answered. */
  private async dispatch(req: InboundRequest): Promise<OutboundResponse | { parked: Promise<OutboundResponse> }> {
    switch (req.api) {
      case 'Vote':
        return handleVoteRequest(this, req.body);
      case 'Fetch': {
        const res = handleFetchRequest(this, this.purgatory, req.body);
        return res instanceof Promise ? { parked: res } : res;
      }
      case 'FetchSnapshot':
        return handleFetchSnapshotRequest(this, req.body);
      case 'BeginQuorumEpoch':
        return handleBeginQuorumEpochRequest(this, req.body);
      case 'EndQuorumEpoch':
        return handleEndQuorumEpochRequest(this, req.body);
      case 'DescribeQuorum':
        return handleDescribeQuorumRequest(this);
    }
  }

  // ---- transitions ----

  async handleEpochInfo(leaderId: number, epoch: number): Promise<EpochInfoResult> {
    const q = this.quorum;
    if (epoch < q.epoch) return 'stale';
    if (epoch > q.epoch) {
      if (leaderId !== NO_LEADER && leaderId !== this.nodeId) await q.transitionToFollower(epoch, leaderId);
      else await q.transitionToUnattached(epoch);
      return 'transitioned';
    }
    if (leaderId === NO_LEADER || leaderId === this.nodeId) return 'same';
    const s = q.state;
    if (s.name === 'Leader' || s.name === 'Resigned' || (s.name === 'Follower' && s.leaderId !== leaderId)) {
      throw new RaftStateError(`node ${leaderId} is reported leader of epoch ${epoch}, whose leader is ${q.leaderId}`);
    }
    // A prospective voter already gave up on this leader; hearing its name again changes nothing.
    if ((s.name === 'Follower' || s.name === 'Prospective') && s.leaderId === leaderId) return 'same';
    await q.transitionToFollower(epoch, leaderId);
    return 'transitioned';
  }

  private onTransition(from: EpochState | undefined, to: EpochState): void {
    this.options.logger?.info({ epoch: to.epoch, from: from?.name, leader: this.quorum.leaderId }, `metadata quorum: ${to.name}`);
    this.requests.resetAll();
    if (from?.name === 'Leader' && to.name !== 'Leader') this.purgatory.complete(this);
    if (this.lifecycle === 'running') this.notifyLeaderChange();
  }

  becomeProspective(): void {
    this.quorum.transitionToProspective();
  }

  async becomeCandidate(): Promise<void> {
    await this.quorum.transitionToCandidate();
  }

  async becomeUnattached(epoch: number): Promise<void> {
    await this.quorum.transitionToUnattached(epoch);
  }

  async becomeLeader(): Promise<void> {
    const s = this.quorum.state;
    const granting = s.name === 'Candidate' ? [...s.granted] : [this.nodeId];
    const leader = await this.quorum.transitionToLeader(this.log.endOffset);
    this.log.appendAsLeader([leaderChangeRecord(this.nodeId, this.config.voters, granting)], leader.epoch, this.clock.now(), true);
    this.scheduleFlush();
  }

  resign(preferredSuccessors: readonly number[]): void {
    this.quorum.transitionToResigned(preferredSuccessors);
  }

  // ---- appends, flushes, the high watermark and commits ----

  /**
   * Appends records (values of one batch) as the leader and returns the offset of the last one.
   * They are committed once a majority holds them; the listener hears of it. Throws NotLeaderError
   * on a node that is not the leader (of `epoch`, when given).
   */
  append(records: readonly Buffer[], epoch?: number): number {
    if (this.lifecycle !== 'running') throw new RaftClosedError(`the raft client of node ${this.nodeId} is ${this.lifecycle}`);
    const s = this.quorum.state;
    if (s.name !== 'Leader' || (epoch !== undefined && epoch !== s.epoch)) {
      throw new NotLeaderError(`node ${this.nodeId} is not the leader of epoch ${epoch ?? this.quorum.epoch}`, this.quorum.leaderId, this.quorum.epoch);
    }
    if (records.length === 0) throw new RangeError('append needs at least one record');
    const batch = this.log.appendAsLeader(
      records.map((value) => ({ value })),
      s.epoch,
      this.clock.now(),
    );
    this.purgatory.complete(this);
    this.scheduleFlush();
    return batch.lastOffset;
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.enqueue(async () => {
      this.flushQueued = false;
      await this.log.flush();
      const s = this.quorum.state;
      if (s.name === 'Leader') this.onLeaderProgress(s, s.updateLocalState(this.log.flushedEndOffset, this.clock.now()));
    }).catch(() => undefined);
  }

  onLeaderProgress(leader: LeaderState, highWatermarkMoved: boolean): void {
    if (!highWatermarkMoved || leader.highWatermark === undefined) return;
    this.updateHighWatermark(leader.highWatermark);
    this.purgatory.complete(this);
  }

  updateHighWatermark(offset: number): void {
    if (offset <= this.hw) return;
    this.hw = offset;
    this.deliverCommits();
  }

  /** Gives the listener every committed batch it has not had, then maybe takes a snapshot. */
  private deliverCommits(): void {
    while (this.applied < this.hw) {
      const batches = this.log.batchesBetween(this.applied, this.hw);
      if (batches.length === 0) throw new RaftStateError(`committed offset ${this.applied} is not in the log (start ${this.log.startOffset})`);
      let progressed = false;
      for (const b of batches) {
        if (b.baseOffset !== this.applied || b.lastOffset >= this.hw) break;
        this.options.onCommittedBatch?.(b);
        if (!b.isControl) this.listener.handleCommit(committedBatch(b));
        this.applied = b.lastOffset + 1;
        this.bytesSinceSnapshot += b.bytes.length;
        progressed = true;
      }
      if (!progressed) break;
    }
    this.notifyLeaderChange();
    this.maybeSnapshot();
  }

  /** Tells the listener of a new leader or epoch; of its own leadership only once caught up to the epoch start. */
  private notifyLeaderChange(): void {
    const s = this.quorum.state;
    if (s.name === 'Leader' && this.applied <= s.epochStartOffset) return;
    const le = this.quorum.leaderAndEpoch();
    const last = this.notifiedLeader;
    if (last && last.leaderId === le.leaderId && last.epoch === le.epoch) return;
    this.notifiedLeader = le;
    this.listener.handleLeaderChange?.(le);
  }

  /**
   * Takes a snapshot once `metadata.log.max.record.bytes.between.snapshots` have been committed
   * since the last, or any have and `metadata.log.max.snapshot.interval.ms` has passed: the log
   * before a snapshot leaves memory (raft-log.ts keeps it there), so a slow stream of metadata
   * changes (topics created and deleted) does not pile up for days below the size trigger.
   */
  private maybeSnapshot(): void {
    const latest = this.snapshots.latest?.offset ?? 0;
    const interval = this.config.maxSnapshotIntervalMs;
    const due = this.bytesSinceSnapshot >= this.config.maxBytesBetweenSnapshots || (interval > 0 && this.bytesSinceSnapshot > 0 && this.clock.now() - this.lastSnapshotMs >= interval);
    if (!this.listener.snapshotRecords || this.snapshotting || !due) return;
    if (this.applied > this.log.flushedEndOffset || this.applied <= latest) return;
    const id = { offset: this.applied, epoch: this.log.epochOf(this.applied - 1) ?? 0 };
    const records = this.listener.snapshotRecords();
    const lastTimestamp = this.clock.now();
    this.snapshotting = true;
    this.bytesSinceSnapshot = 0;
    this.lastSnapshotMs = lastTimestamp;
    this.enqueue(async () => {
      try {
        if ((this.snapshots.latest?.offset ?? 0) >= id.offset) return;
        await this.snapshots.write(id, encodeSnapshot(id, records, lastTimestamp, this.clock.now()));
        await this.log.deleteBefore(id);
      } finally {
        this.snapshotting = false;
      }
    }).catch(() => undefined);
  }

  async installSnapshot(contents: SnapshotContents, bytes: Buffer): Promise<void> {
    const id = contents.id;
    if (id.offset <= this.hw) return;
    await this.snapshots.write(id, bytes);
    await this.log.resetTo(id);
    this.hw = id.offset;
    this.applied = id.offset;
    this.bytesSinceSnapshot = 0;
    this.lastSnapshotMs = this.clock.now();
    this.listener.handleLoadSnapshot(contents);
  }

  // ---- views and lifecycle ----

  leaderAndEpoch(): LeaderAndEpoch {
    return this.quorum.leaderAndEpoch();
  }

  describeQuorum(): QuorumDescription {
    return describeQuorum(this);
  }

  inspect(): RaftInspection {
    const s = this.quorum.state;
    return {
      nodeId: this.nodeId,
      role: s.name,
      epoch: s.epoch,
      leaderId: this.quorum.leaderId,
      votedId: 'votedId' in s ? s.votedId : this.nodeId,
      highWatermark: this.hw,
      appliedOffset: this.applied,
      logStartOffset: this.log.startOffset,
      logEndOffset: this.log.endOffset,
      flushedEndOffset: this.log.flushedEndOffset,
      latestSnapshot: this.snapshots.latest,
    };
  }

  get isRunning(): boolean {
    return this.lifecycle === 'running';
  }

  /**
   * Leaves the quorum gracefully: a leader resigns and tells the voters (EndQuorumEpoch) so one
   * of them takes over at once, waiting up to `timeoutMs` for them; then the client closes.
   */
  async shutdown(timeoutMs = 5000): Promise<void> {
    if (this.lifecycle === 'running' && !this.shuttingDown) {
      await new Promise<void>((resolve) => {
        this.enqueue(() => {
          this.shuttingDown = { deadline: this.clock.now() + timeoutMs, done: resolve, finished: false };
          const s = this.quorum.state;
          if (s.name === 'Leader') this.resign(this.successors(s));
          else resolve();
        }).catch(() => resolve());
      });
    }
    await this.close();
  }

  private maybeFinishShutdown(now: number): void {
    const sd = this.shuttingDown;
    const s = this.quorum.state;
    if (!sd || sd.finished || s.name !== 'Resigned') return;
    if (s.unackedVoters.size === 0 || now >= sd.deadline) {
      sd.finished = true;
      sd.done();
    }
  }

  /** Stops at once: timers cancelled, waiting fetches answered, files closed. */
  async close(): Promise<void> {
    if (this.lifecycle === 'closed') return;
    const wasRunning = this.lifecycle === 'running';
    this.lifecycle = 'closed';
    this.timer?.cancel();
    this.shuttingDown?.done();
    if (wasRunning) this.purgatory.complete(this);
    await this.tail;
    await this.logRef?.close();
  }
}
