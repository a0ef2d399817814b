/**
 * The controller (Kafka's QuorumController): on the node that leads the metadata quorum it is
 * active, and it alone changes the metadata. Each operation (create topics, register a broker,
 * a heartbeat, ...) runs at once against the working image — the committed image plus what this
 * controller has written and not yet seen committed — and emits records; they are appended to the
 * Raft log as one batch, and the caller's answer is given once they are committed. An operation
 * that writes nothing still answers only once everything it may have read is committed, so no
 * answer reveals metadata that a failover could take back (as Kafka's controller does).
 *
 * It becomes active when the Raft client says this node leads (only once everything before the
 * new epoch is committed and applied, so the committed image is complete) and stops when another
 * leads: waiting operations then fail with NOT_CONTROLLER, as they do on a node that is not the
 * active controller. A new cluster's first active controller writes the bootstrap records first.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../common/clock.js';
import type { Random } from '../common/random.js';
import type { MetadataRecordInput } from '../protocol/metadata/index.js';
import { SamsaError } from '../protocol/samsa-error.js';
import type { ControllerConfig } from './controller-config.js';
import { ControllerWriter } from './controller-writer.js';
import {
  type BrokerHeartbeatRequest,
  type BrokerHeartbeatResult,
  type BrokerRegistrationRequest,
  BrokerSessions,
  type ClusterContext,
  allocateProducerIds,
  brokerHeartbeat,
  fenceStaleBrokers,
  nextSessionExpiry,
  registerBroker,
  unregisterBroker,
} from './cluster-control.js';
import { type ConfigResource, type ConfigResult, type IncrementalAlteration, alterConfigs, incrementalAlterConfigs } from './config-control.js';
import type { MetadataImage } from './image/metadata-image.js';
import type { MetadataPublisher, MetadataUpdate } from './image/metadata-loader.js';
import type { ScramEntry } from './image/security-image.js';
import type { LeaderAndEpoch } from './raft/offset-and-epoch.js';
import { NotLeaderError } from './raft/errors.js';
import { type AlterPartitionItem, type AlterPartitionOutcome, type ElectionResult, alterPartition, balanceLeaders, electLeaders, electUncleanLeaders, uncleanPolicy } from './partition-control.js';
import { type OngoingReassignment, type ReassignableTopic, type ReassignmentOutcome, alterPartitionReassignments, listPartitionReassignments } from './reassignment-control.js';
import { type AclDeletionResult, type QuotaAlteration, type ScramDeletion, type ScramResult, type ScramUpsertion, type SecurityResult, alterClientQuotas, importScramCredentials, alterScramCredentials, createAcls, deleteAcls } from './security-control.js';
import type { AclBinding, AclBindingFilter } from '../security/acl.js';
import { type CreatableTopic, type CreateTopicResult, type DeleteTopicResult, type PartitionsIncrease, createPartitions, createTopics, deleteTopics } from './replication-control.js';

/** This node is not the active controller (NOT_CONTROLLER); `leaderId` is the one it knows of, -1 for none. */
export class NotControllerError extends SamsaError {
  constructor(
    message: string,
    readonly leaderId: number,
  ) {
    super('SAMSA_NOT_CONTROLLER', message);
  }
}

/** What the controller needs of the Raft client. */
export interface ControllerRaft {
  /** Appends one batch on the leader of `epoch`; returns its last offset; throws NotLeaderError elsewhere. */
  append(records: readonly Buffer[], epoch: number): number;
  /** The offset the next appended record gets. */
  nextOffset(): number;
  /** Whether this node leads the quorum in `epoch` (a leader that restarted is only resigned, not leading). */
  isLeader(epoch: number): boolean;
  /** The quorum leader this node last heard from as a follower, and when (the controller's clock). */
  lastLeaderContact?(): { readonly leaderId: number; readonly at: number } | undefined;
}

export interface QuorumControllerOptions {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly raft: ControllerRaft;
  /** The committed image (the loader's), copied when this controller becomes active. */
  readonly committedImage: () => MetadataImage;
  readonly config: ControllerConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** The records a new cluster starts with (feature levels, and what `storage format` or a migration put there). */
  readonly bootstrapRecords?: () => readonly MetadataRecordInput[];
  /** The broker in this process, if any: never fenced by its session. */
  readonly localBrokerId?: number;
  /** Simulator controls only: answer as soon as records are appended, before they are committed. */
  readonly unsafeAnswerBeforeCommit?: boolean;
  /** Simulator controls only: decide on the committed image, ignoring what this controller wrote and has not seen committed. */
  readonly unsafeReadCommittedState?: boolean;
}

interface Active {
  readonly epoch: number;
  readonly working: MetadataImage;
  /** The offset after the last record this controller appended (or the committed end when it took over). */
  lastWritten: number;
  fenceTimer: TimerHandle | undefined;
  /** The next automatic preferred leader election (`auto.leader.rebalance.enable`). */
  balanceTimer: TimerHandle | undefined;
}

interface Waiting {
  readonly offset: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class QuorumController implements MetadataPublisher {
  private active: Active | undefined;
  private committed = 0;
  private waiting: Waiting[] = [];
  private leaderId = -1;
  /** The last other node this one knew as the quorum's leader. */
  private previousLeaderId = -1;
  private closed = false;
  readonly sessions: BrokerSessions;
  private readonly cluster: ClusterContext;

  constructor(private readonly o: QuorumControllerOptions) {
    this.sessions = new BrokerSessions(o.config.brokerSessionTimeoutMs);
    this.cluster = { clusterId: o.clusterId, sessions: this.sessions, localBrokerId: o.localBrokerId };
  }

  get isActive(): boolean {
    return this.active !== undefined;
  }

  /** The active controller's epoch, if this is it. */
  get activeEpoch(): number | undefined {
    return this.active?.epoch;
  }

  /** The controller this node knows leads (-1: none known). */
  get activeControllerId(): number {
    return this.leaderId;
  }

  // ---- operations ----

  createTopics(topics: readonly CreatableTopic[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    return this.write((w) => createTopics(w, { config: this.o.config, random: this.o.random }, topics, validateOnly));
  }

  deleteTopics(targets: readonly { name: string | null; topicId: string }[]): Promise<DeleteTopicResult[]> {
    return this.write((w) => deleteTopics(w, this.o.config, targets));
  }

  createPartitions(topics: readonly PartitionsIncrease[], validateOnly: boolean) {
    return this.write((w) => createPartitions(w, this.o.config, topics, validateOnly));
  }

  alterConfigs(resources: readonly (ConfigResource & { configs: readonly { name: string; value: string | null }[] })[], validateOnly: boolean): Promise<ConfigResult[]> {
    return this.write(this.thenUnclean((w) => alterConfigs(w, this.o.config, resources, validateOnly)));
  }

  incrementalAlterConfigs(resources: readonly (ConfigResource & { configs: readonly IncrementalAlteration[] })[], validateOnly: boolean): Promise<ConfigResult[]> {
    return this.write(this.thenUnclean((w) => incrementalAlterConfigs(w, this.o.config, resources, validateOnly)));
  }

  /** CreateAcls, DeleteAcls, AlterUserScramCredentials, AlterClientQuotas (security-control.ts). */
  createAcls(bindings: readonly AclBinding[]): Promise<SecurityResult[]> {
    return this.write((w) => createAcls(w, this.o.random, bindings));
  }

  deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclDeletionResult[]> {
    return this.write((w) => deleteAcls(w, filters));
  }

  alterScramCredentials(deletions: readonly ScramDeletion[], upsertions: readonly ScramUpsertion[]): Promise<ScramResult[]> {
    return this.write((w) => alterScramCredentials(w, deletions, upsertions));
  }

  /** SCRAM credentials migrated from a broker's file of its own (security-control.ts): in-process only. */
  importScramCredentials(credentials: readonly ScramEntry[]): Promise<number> {
    return this.write((w) => importScramCredentials(w, credentials));
  }

  alterClientQuotas(entries: readonly QuotaAlteration[], validateOnly: boolean): Promise<SecurityResult[]> {
    return this.write((w) => alterClientQuotas(w, entries, validateOnly));
  }

  registerBroker(req: BrokerRegistrationRequest): Promise<{ errorCode: number; brokerEpoch: bigint }> {
    return this.write(this.thenUnclean((w) => registerBroker(w, this.cluster, req)));
  }

  brokerHeartbeat(req: BrokerHeartbeatRequest): Promise<BrokerHeartbeatResult> {
    return this.write(this.thenUnclean((w) => brokerHeartbeat(w, this.cluster, req)));
  }

  unregisterBroker(brokerId: number): Promise<{ errorCode: number; errorMessage: string | null }> {
    return this.write(this.thenUnclean((w) => unregisterBroker(w, this.cluster, brokerId)));
  }

  /** AlterPartition: ISR changes asked by partition leaders, answered once committed. */
  alterPartition(brokerId: number, brokerEpoch: bigint, items: readonly AlterPartitionItem[]): Promise<{ errorCode: number; results: AlterPartitionOutcome[] }> {
    return this.write((w) => alterPartition(w, brokerId, brokerEpoch, items));
  }

  /** ElectLeaders: preferred leaders back where they may lead (see partition-control.ts). */
  electLeaders(electionType: number, partitions: readonly { topic: string; partitions: readonly number[] }[] | null): Promise<ElectionResult[]> {
    return this.write((w) => electLeaders(w, electionType, partitions));
  }

  /** AlterPartitionReassignments: reassignments started, completed at once, or cancelled (see reassignment-control.ts). */
  alterPartitionReassignments(topics: readonly ReassignableTopic[]): Promise<ReassignmentOutcome[]> {
    return this.write((w) => alterPartitionReassignments(w, topics));
  }

  /** ListPartitionReassignments, from the working image (answered once what it reflects is committed). */
  listPartitionReassignments(topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null): Promise<OngoingReassignment[]> {
    return this.write((w) => listPartitionReassignments(w.image, topics));
  }

  allocateProducerIds(brokerId: number, brokerEpoch: bigint): Promise<{ errorCode: number; producerIdStart: bigint; producerIdLen: number }> {
    return this.write((w) => allocateProducerIds(w, brokerId, brokerEpoch));
  }

  /**
   * `op`, followed in the same batch by the unclean elections it made possible (a broker fenced or
   * unfenced, `unclean.leader.election.enable` turned on): partition-control.ts, electUncleanLeaders.
   * Operations that write nothing cannot, and cost no scan.
   */
  private thenUnclean<T>(op: (w: ControllerWriter) => T): (w: ControllerWriter) => T {
    return (w) => {
      const before = w.records.length;
      const result = op(w);
      if (w.records.length > before) {
        const elected = electUncleanLeaders(w, uncleanPolicy(w.image, this.o.nodeId, this.o.config.uncleanLeaderElectionEnable ?? false));
        if (elected > 0) this.o.logger.warn({ partitions: elected }, 'unclean leader election: leaders elected from outside the ISR');
      }
      return result;
    };
  }

  /**
   * Runs an operation on the working image and appends what it emitted; resolves with its answer
   * once that (or, for an operation that wrote nothing, everything written before) is committed.
   */
  private write<T>(op: (w: ControllerWriter) => T): Promise<T> {
    const a = this.active;
    if (!a) return Promise.reject(this.notController());
    const image = this.o.unsafeReadCommittedState ? this.o.committedImage().clone() : a.working;
    const w = new ControllerWriter(image, this.o.raft.nextOffset(), this.o.clock.now());
    let result: T;
    try {
      result = op(w);
    } catch (err) {
      // What was emitted is in the working image: it must reach the log too, or the two part ways.
      this.append(a, w);
      return Promise.reject(err);
    }
    const appended = this.append(a, w);
    if (appended instanceof Error) return Promise.reject(appended);
    if (this.o.unsafeAnswerBeforeCommit) return Promise.resolve(result);
    return this.afterCommit(a.lastWritten).then(() => result);
  }

  /** Appends the writer's records; on failure the controller stops being active and the error is returned. */
  private append(a: Active, w: ControllerWriter): Error | undefined {
    if (w.records.length === 0) return undefined;
    try {
      const last = this.o.raft.append(w.records, a.epoch);
      a.lastWritten = last + 1;
      a.working.appliedOffset = last + 1;
      return undefined;
    } catch (err) {
      this.deactivate(err instanceof NotLeaderError ? err.leaderId : -1);
      return err instanceof NotLeaderError ? this.notController() : (err as Error);
    }
  }

  private afterCommit(offset: number): Promise<void> {
    if (this.committed >= offset) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiting.push({ offset, resolve, reject }));
  }

  private notController(): NotControllerError {
    return new NotControllerError(`node ${this.o.nodeId} is not the active controller${this.leaderId >= 0 ? ` (node ${this.leaderId} is)` : ''}`, this.leaderId);
  }

  // ---- MetadataPublisher: commits and leadership ----

  onMetadataUpdate(update: MetadataUpdate): void {
    this.committed = update.offset;
    if (this.waiting.length === 0) return;
    const done = this.waiting.filter((x) => x.offset <= update.offset);
    if (done.length === 0) return;
    this.waiting = this.waiting.filter((x) => x.offset > update.offset);
    for (const x of done) x.resolve();
  }

  onLeaderChange(leader: LeaderAndEpoch): void {
    this.leaderId = leader.leaderId;
    if (leader.leaderId >= 0 && leader.leaderId !== this.o.nodeId) this.previousLeaderId = leader.leaderId;
    if (this.closed) return;
    if (leader.leaderId === this.o.nodeId && this.o.raft.isLeader(leader.epoch)) {
      if (this.active?.epoch !== leader.epoch) this.activate(leader.epoch);
    } else if (this.active) {
      this.deactivate(leader.leaderId);
    }
  }

  private activate(epoch: number): void {
    if (this.active) this.deactivate(this.o.nodeId);
    const working = this.o.committedImage().clone();
    const now = this.o.clock.now();
    this.active = { epoch, working, lastWritten: working.appliedOffset, fenceTimer: undefined, balanceTimer: undefined };
    this.sessions.reset(working.brokers().map((b) => b.id), now);
    this.creditPreviousLeader(working, now);
    this.o.logger.info({ node: this.o.nodeId, epoch, offset: working.appliedOffset }, 'became the active controller');
    if (working.feature('metadata.version') === undefined) this.bootstrap();
    this.scheduleFenceCheck();
    this.scheduleLeaderBalance();
  }

  /** A new cluster: the bootstrap records, as the first batch any controller writes. */
  private bootstrap(): void {
    const records = [
      { apiKey: 12, data: { name: 'metadata.version', featureLevel: this.o.config.metadataVersion } } as MetadataRecordInput,
      ...(this.o.bootstrapRecords?.() ?? []).filter((r) => !(r.apiKey === 12 && r.data.name === 'metadata.version')),
    ];
    this.write((w) => records.forEach((r) => w.emit(r))).catch((err: unknown) => this.o.logger.warn({ err }, 'bootstrap records not written'));
  }

  private deactivate(leaderId: number): void {
    const a = this.active;
    if (!a) return;
    this.active = undefined;
    a.fenceTimer?.cancel();
    a.balanceTimer?.cancel();
    const waiting = this.waiting;
    this.waiting = [];
    this.leaderId = leaderId;
    for (const x of waiting) x.reject(this.notController());
    this.o.logger.info({ node: this.o.nodeId, epoch: a.epoch }, 'no longer the active controller');
  }

  // ---- sessions ----

  /**
   * The previous active controller's broker: its session counts from when this node last heard
   * from it as the quorum's leader, not from now. A node id names one node (a combined node's
   * broker and controller are one process), so that contact proves the broker alive then as well
   * as any heartbeat would; a `kill -9`ed combined node is fenced a session after it died, as a
   * broker-only one is, not a session after the election that followed. A live one keeps at least
   * `sessionGraceMs` from now to reach this controller (the new leader's BeginQuorumEpoch tells
   * it at once), so no broker that can heartbeat is fenced for the change of controller.
   */
  private creditPreviousLeader(working: MetadataImage, now: number): void {
    const contact = this.o.raft.lastLeaderContact?.();
    // Only the leader this node knew last: a contact with an earlier one says nothing of the node that led since.
    if (!contact || contact.leaderId !== this.previousLeaderId || !working.brokers().some((b) => b.id === contact.leaderId)) return;
    const grace = this.o.config.sessionGraceMs ?? this.o.config.brokerSessionTimeoutMs;
    const credited = Math.max(contact.at, now - this.o.config.brokerSessionTimeoutMs + grace);
    if (credited < now) this.sessions.touch(contact.leaderId, credited);
  }

  /** Arms one timer for the next session expiry; at it, fences the brokers whose sessions expired. */
  private scheduleFenceCheck(): void {
    const a = this.active;
    if (!a || this.closed) return;
    a.fenceTimer?.cancel();
    const next = nextSessionExpiry({ image: a.working }, this.cluster);
    if (next === undefined) {
      a.fenceTimer = this.o.clock.setTimeout(() => this.scheduleFenceCheck(), this.o.config.brokerSessionTimeoutMs);
      return;
    }
    a.fenceTimer = this.o.clock.setTimeout(() => {
      if (this.active !== a) return;
      this.write(this.thenUnclean((w) => fenceStaleBrokers(w, this.cluster)))
        .then((ids) => {
          if (ids.length > 0) this.o.logger.warn({ brokers: ids }, 'fenced brokers whose sessions expired');
        })
        .catch(() => undefined)
        .finally(() => this.scheduleFenceCheck());
    }, Math.max(1, next - this.o.clock.now()));
  }

  // ---- automatic preferred leader election ----

  /**
   * `auto.leader.rebalance.enable`: every `leader.imbalance.check.interval.seconds` the active
   * controller moves leadership back to preferred replicas on brokers whose imbalance is above
   * `leader.imbalance.per.broker.percentage` (partition-control.ts, balanceLeaders).
   */
  private scheduleLeaderBalance(): void {
    const a = this.active;
    const balance = this.o.config.leaderBalance;
    if (!a || this.closed || !balance) return;
    a.balanceTimer = this.o.clock.setTimeout(() => {
      if (this.active !== a) return;
      this.write((w) => balanceLeaders(w, balance.imbalancePerBrokerPercentage))
        .then((moved) => {
          if (moved.length > 0) this.o.logger.info({ partitions: moved.length }, 'moved leadership back to preferred replicas');
        })
        .catch(() => undefined)
        .finally(() => {
          if (this.active === a) this.scheduleLeaderBalance();
        });
    }, balance.checkIntervalMs);
  }

  /** Stops: timers cancelled, waiting operations failed. */
  close(): void {
    this.closed = true;
    this.deactivate(-1);
  }
}
