/**
 * The group coordinator: classic consumer groups (join, sync, heartbeat, leave), committed offsets
 * (commit, fetch, delete, expiry) and group administration (list, describe, delete), persisted in
 * __consumer_offsets through an injected OffsetsStore and loaded from it on open. Time comes from
 * the injected Clock and member ids from the injected randomUuid, so runs are reproducible.
 *
 * Request handlers call one method per API with version-independent parameters and shape the
 * answer for their version. Offsets committed in a transaction (TxnOffsetCommit) stay pending
 * until the transaction's marker reaches the group's partition (txn-offsets.ts,
 * `onTransactionCompleted`). KIP-848 consumer groups (ConsumerGroupHeartbeat) live beside the
 * classic ones under the same group ids and offsets (consumer-group-manager.ts): an id is a
 * consumer group while its ConsumerGroup exists, and classic JoinGroup/SyncGroup/Heartbeat/
 * LeaveGroup requests for it go to its classic members (consumer-group-classic-members.ts). An
 * empty group of either kind becomes the other when a member of the other protocol joins; one with
 * members converts as group.consumer.migration.policy allows (Kafka 4's online migration,
 * group-migration.ts). Either way it keeps its offsets.
 */
import { randomUuid, systemRandom } from '../common/random.js';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ClassicGroup } from './classic-group.js';
import { type JoinGroupResult, type SyncGroupResult, joinError, syncError } from './classic-group-member.js';
import { type HeartbeatParams, type LeaveGroupParams, type LeaveGroupResult, type SyncGroupParams, ClassicGroupManager } from './classic-group-manager.js';
import { CoordinatorLog, type TxnWrite } from './coordinator-log.js';
import type { CoordinatorRecord } from './coordinator-records.js';
import { type ConsumerGroupHeartbeatParams, type ConsumerGroupHeartbeatResult, type ConsumerGroupTopics, type DescribedConsumerGroup, ConsumerGroupManager, heartbeatError } from './consumer-group-manager.js';
import { classicHeartbeat, classicJoin, classicLeave, classicSync } from './consumer-group-classic-members.js';
import { groupRecords, groupTombstones, replayRecord } from './consumer-group-records.js';
import type { ConsumerGroup, ConsumerGroupMember } from './consumer-group.js';
import { type GroupConfig, groupConfig, migrationAllowed } from './group-config.js';
import { classicGroupFromConsumer, consumerGroupFromClassic } from './group-migration.js';
import { groupMetadataRecord, loadGroup } from './group-records.js';
import { GroupState } from './group-state.js';
import { type JoinGroupParams, joinGroup, joinRequestError } from './join-group.js';
import { KeyedTimers } from './keyed-timers.js';
import { OffsetCache, toCommittedOffset } from './offset-cache.js';
import { type OffsetCommitParams, type OffsetDeleteParams, type OffsetDeleteResult, type OffsetFetchParams, type OffsetFetchResult, type TopicResult, type TxnOffsetCommitParams, OffsetRequests } from './offset-requests.js';
import { PendingTxnOffsets } from './txn-offsets.js';
import type { OffsetsStore } from './offsets-store.js';

export interface GroupCoordinatorOptions {
  clock: Clock;
  logger: Logger;
  store: OffsetsStore;
  /** Kafka-named settings; missing ones take Kafka's defaults. */
  config?: Partial<GroupConfig>;
  /** Source of member-id suffixes (default: UUIDs from the system's randomness). */
  randomUuid?: () => string;
  /**
   * The partitions of __consumer_offsets this coordinator serves from the start (those whose
   * leader this broker is); default all. Others follow with onElection/onResignation.
   */
  partitions?: readonly number[];
  /**
   * Whether this broker's metadata names it the leader of a partition of __consumer_offsets
   * (its election may not have reached the coordinator yet): until it has loaded the partition,
   * its groups answer COORDINATOR_LOAD_IN_PROGRESS, which clients retry, as Kafka's do while it
   * loads, rather than NOT_COORDINATOR. Default: never (only loading partitions answer so).
   */
  ledHere?: (partition: number) => boolean;
  /** The topics KIP-848 consumer groups subscribe to (default: none exist). */
  topics?: ConsumerGroupTopics;
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: 'classic' | 'consumer';
}

const NO_TOPICS: ConsumerGroupTopics = { byName: () => undefined, byId: () => undefined };

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
}

const EXPIRY_TIMER_KEY = 'offsets-expiry';

export class GroupCoordinator {
  private active = true;
  private expiring = false;
  private readonly offsetRequests: OffsetRequests;
  /** Partitions of __consumer_offsets loaded and served here. */
  private readonly owned = new Set<number>();
  /** Partitions being loaded (their groups answer COORDINATOR_LOAD_IN_PROGRESS). */
  private readonly loading = new Map<number, Promise<void>>();

  private constructor(
    readonly config: GroupConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    readonly manager: ClassicGroupManager,
    readonly consumer: ConsumerGroupManager,
    private readonly coordinatorLog: CoordinatorLog,
    private readonly offsets: OffsetCache,
    private readonly timers: KeyedTimers,
    private readonly durable: DurableOffsets,
    private readonly ledHere: (partition: number) => boolean = () => false,
  ) {
    this.offsetRequests = new OffsetRequests({
      manager,
      coordinatorLog,
      offsets,
      config,
      clock,
      createGroup: (id) => this.createGroup(id),
      hasPendingTxnOffset: (g, t, p) => durable.pendingTxn.hasPending(g, t, p),
    });
  }

  /** Opens a coordinator and loads its partitions of __consumer_offsets (all by default) before it answers anything. */
  static async open(opts: GroupCoordinatorOptions): Promise<GroupCoordinator> {
    const config = groupConfig(opts.config);
    const log = opts.logger.child({ component: 'group-coordinator' });
    const timers = new KeyedTimers(opts.clock);
    const offsets = new OffsetCache();
    const uuid = opts.randomUuid ?? (() => randomUuid(systemRandom));
    const durable = new DurableOffsets(offsets);
    const coordinatorLog = new CoordinatorLog({
      store: opts.store,
      clock: opts.clock,
      numPartitions: config['offsets.topic.num.partitions'],
      commitTimeoutMs: config['offsets.commit.timeout.ms'],
      log,
      // Writes start only once the coordinator is open, after `manager` below exists.
      onDurable: (records, txn) => durable.apply(manager, records, txn, opts.clock.now()),
    });
    const manager = new ClassicGroupManager({
      clock: opts.clock,
      config,
      log,
      timers,
      newMemberId: (prefix) => `${prefix}-${uuid()}`,
      writer: {
        storeGroup: (group, assignments) => coordinatorLog.write(group.groupId, [groupMetadataRecord(group, assignments)]).then(() => ErrorCode.NONE, errorCodeOf),
      },
    });
    const consumer = new ConsumerGroupManager({
      clock: opts.clock,
      config,
      timers,
      topics: opts.topics ?? NO_TOPICS,
      newMemberId: uuid,
      write: (groupId, records) => coordinatorLog.write(groupId, records).then(() => ErrorCode.NONE, errorCodeOf),
      downgrade: (group, leaving) => c.downgrade(group, leaving),
    });
    const c: GroupCoordinator = new GroupCoordinator(config, opts.clock, log, manager, consumer, coordinatorLog, offsets, timers, durable, opts.ledHere);
    const started = opts.clock.now();
    const partitions = opts.partitions ?? Array.from({ length: config['offsets.topic.num.partitions'] }, (_, p) => p);
    let records = 0;
    for (const p of partitions) records += await c.loadPartition(p);
    log.info({ partitions: partitions.length, groups: manager.groups.size, records, ms: opts.clock.now() - started }, 'loaded __consumer_offsets');
    c.scheduleExpiry();
    return c;
  }

  /** Loads one partition's groups and offsets and serves them; returns the records read. */
  private async loadPartition(partition: number): Promise<number> {
    let records = 0;
    const loaded = new Set<ClassicGroup>();
    for await (const e of this.coordinatorLog.load(partition)) {
      records++;
      if (e.kind === 'marker') {
        this.durable.complete(this.manager, e.producerId, (g) => this.partitionFor(g) === e.partition, e.committed, this.clock.now());
        continue;
      }
      const r = e.record;
      if (r.type === 'consumer-group') replayRecord(this.consumer.groups, r);
      else if (r.type === 'offset') this.durable.apply(this.manager, [r], e.producerId === undefined ? undefined : { producerId: e.producerId, producerEpoch: -1 }, this.clock.now());
      else if (r.value === null) this.manager.groups.delete(r.group);
      else this.manager.groups.set(r.group, loadGroup(r.group, r.value, this.clock.now()));
    }
    for (const group of this.manager.groups.values()) if (this.partitionFor(group.groupId) === partition) loaded.add(group);
    for (const g of this.consumer.groups.values()) if (this.partitionFor(g.groupId) === partition) this.consumer.loaded(g);
    for (const group of loaded) {
      for (const m of group.members.values()) this.manager.rescheduleHeartbeat(group, m);
      if (group.size > this.config['group.max.size']) this.manager.prepareRebalance(group, `loaded group is over group.max.size ${this.config['group.max.size']}`);
    }
    this.owned.add(partition);
    return records;
  }

  /** This broker became the leader of `partition` of __consumer_offsets (Kafka's onElection): load its groups and serve them. */
  onElection(partition: number): Promise<void> {
    if (!this.active || this.owned.has(partition)) return Promise.resolve();
    let p = this.loading.get(partition);
    if (!p) {
      p = this.loadPartition(partition)
        .then((records) => this.log.info({ partition, records }, 'loaded a partition of __consumer_offsets'))
        .catch((err: unknown) => this.log.error({ err, partition }, 'could not load a partition of __consumer_offsets'))
        .finally(() => this.loading.delete(partition));
      this.loading.set(partition, p);
    }
    return p;
  }

  /** This broker no longer leads `partition` (Kafka's onResignation): its groups are unloaded and served by the new leader. */
  onResignation(partition: number): void {
    if (!this.owned.delete(partition)) return;
    for (const g of [...this.manager.groups.values()]) {
      if (this.partitionFor(g.groupId) !== partition) continue;
      this.manager.shutdownGroup(g, ErrorCode.NOT_COORDINATOR);
      this.manager.groups.delete(g.groupId);
    }
    for (const id of [...this.consumer.groups.keys()]) if (this.partitionFor(id) === partition) this.consumer.unload(id);
    for (const group of [...this.offsets.groups()]) if (this.partitionFor(group) === partition) this.offsets.forget(group);
    this.durable.pendingTxn.removeWhere((o) => this.partitionFor(o.group) === partition);
  }

  get isActive(): boolean {
    return this.active;
  }

  /** The partitions of __consumer_offsets served here. */
  get ownedPartitions(): ReadonlySet<number> {
    return this.owned;
  }

  /** Why this coordinator cannot serve a group now (NONE when it can): not active, its partition loading (or led here and not yet loaded), or led elsewhere. */
  private unavailable(groupId: string): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const p = this.partitionFor(groupId);
    if (this.owned.has(p)) return ErrorCode.NONE;
    return this.loading.has(p) || this.ledHere(p) ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR;
  }

  /** Whether this coordinator serves the group now (it is active and has loaded the group's partition). */
  isCoordinatorFor(groupId: string): boolean {
    return this.unavailable(groupId) === ErrorCode.NONE;
  }

  /** The partition of __consumer_offsets that holds a group. */
  partitionFor(groupId: string): number {
    return this.coordinatorLog.partitionFor(groupId);
  }

  /** The live group, for tests and tools. */
  group(groupId: string): ClassicGroup | undefined {
    return this.manager.groups.get(groupId);
  }

  joinGroup(p: JoinGroupParams): Promise<JoinGroupResult> {
    if (p.groupId === '') return Promise.resolve(joinError(p.memberId, this.active ? ErrorCode.INVALID_GROUP_ID : ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const e = this.unavailable(p.groupId);
    if (e) return Promise.resolve(joinError(p.memberId, e));
    const consumerGroup = this.consumer.groups.get(p.groupId);
    if (consumerGroup && consumerGroup.members.size > 0) {
      const invalid = joinRequestError(this.config, this.log, p);
      return invalid ? Promise.resolve(joinError(p.memberId, invalid)) : classicJoin(this.consumer, consumerGroup, p);
    }
    // An empty consumer group becomes a classic one (its records tombstoned before the classic group's are written).
    if (consumerGroup) void this.consumer.delete(p.groupId);
    return joinGroup(this.manager, p, (id) => this.createGroup(id));
  }

  syncGroup(p: SyncGroupParams): Promise<SyncGroupResult> {
    if (p.groupId === '') return Promise.resolve(syncError(this.active ? ErrorCode.INVALID_GROUP_ID : ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const e = this.unavailable(p.groupId);
    if (e) return Promise.resolve(syncError(e));
    const consumerGroup = this.consumer.groups.get(p.groupId);
    return consumerGroup ? Promise.resolve(classicSync(this.consumer, consumerGroup, p)) : this.manager.syncGroup(p);
  }

  heartbeat(p: HeartbeatParams): number {
    if (p.groupId === '') return this.active ? ErrorCode.INVALID_GROUP_ID : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const e = this.unavailable(p.groupId);
    if (e) return e;
    const consumerGroup = this.consumer.groups.get(p.groupId);
    return consumerGroup ? classicHeartbeat(this.consumer, consumerGroup, p) : this.manager.heartbeat(p);
  }

  leaveGroup(p: LeaveGroupParams): Promise<LeaveGroupResult> {
    if (p.groupId === '') return Promise.resolve({ errorCode: this.active ? ErrorCode.INVALID_GROUP_ID : ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] });
    const e = this.unavailable(p.groupId);
    if (e) return Promise.resolve({ errorCode: e, members: [] });
    const consumerGroup = this.consumer.groups.get(p.groupId);
    return consumerGroup ? classicLeave(this.consumer, consumerGroup, p) : Promise.resolve(this.manager.leaveGroup(p));
  }

  /**
   * ConsumerGroupHeartbeat. A member joining a classic group that has members turns it into a
   * consumer group (Kafka's online upgrade) when group.consumer.migration.policy allows it and
   * the group uses the consumer protocol; otherwise the id is not a consumer group
   * (GROUP_ID_NOT_FOUND). An empty classic group becomes a consumer group, keeping its offsets.
   */
  async consumerGroupHeartbeat(p: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatResult> {
    const refuse = (errorCode: number, errorMessage: string | null) => heartbeatError(errorCode, errorMessage, p.memberId || null);
    if (p.groupId !== '') {
      const e = this.unavailable(p.groupId);
      if (e) return refuse(e, null);
    } else if (!this.active) return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE, null);
    if (!this.consumer.groups.has(p.groupId)) {
      const classic = this.manager.groups.get(p.groupId);
      if (classic && !classic.is(GroupState.Empty) && !classic.is(GroupState.Dead)) {
        const why = p.memberEpoch === 0 ? this.upgradeRefusal(classic) : `Group ${p.groupId} is not a consumer group.`;
        if (why) return refuse(ErrorCode.GROUP_ID_NOT_FOUND, why);
        const written = await this.upgrade(classic);
        if (written !== ErrorCode.NONE) return refuse(written, null);
      } else if (!classic && p.memberEpoch === 0 && this.groupCount() >= this.config['samsa.group.max.groups']) return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'samsa.group.max.groups reached');
    }
    return this.consumer.heartbeat(p);
  }

  /** Why a classic group with members may not become a consumer group, or undefined. */
  private upgradeRefusal(classic: ClassicGroup): string | undefined {
    if (!migrationAllowed(this.config, 'upgrade')) return `Group ${classic.groupId} is not a consumer group: the online upgrade is disabled (group.consumer.migration.policy=${this.config['group.consumer.migration.policy']}).`;
    if (!classic.usesConsumerProtocol()) return `Group ${classic.groupId} is not a consumer group: it does not use the consumer protocol.`;
    if (classic.size > this.config['group.consumer.max.size']) return `Group ${classic.groupId} is not a consumer group: it has more members than group.consumer.max.size.`;
    return undefined;
  }

  /**
   * Kafka's online upgrade: the classic group's members become classic members of a new consumer
   * group, with their partitions; requests they have parked are answered REBALANCE_IN_PROGRESS.
   * The classic group stays behind empty, holding the offsets, as for any consumer group.
   */
  private upgrade(classic: ClassicGroup): Promise<number> {
    let g: ConsumerGroup;
    try {
      g = consumerGroupFromClassic(classic, this.consumer.deps.topics);
    } catch {
      return Promise.resolve(ErrorCode.GROUP_ID_NOT_FOUND);
    }
    this.manager.shutdownGroup(classic, ErrorCode.REBALANCE_IN_PROGRESS);
    const emptied = new ClassicGroup(classic.groupId, this.clock.now(), { generationId: classic.generationId });
    this.manager.groups.set(classic.groupId, emptied);
    this.consumer.groups.set(g.groupId, g);
    this.consumer.loaded(g);
    this.log.info({ group: g.groupId, members: g.members.size, epoch: g.groupEpoch }, 'classic group upgraded to a consumer group');
    return this.coordinatorLog.write(g.groupId, [groupMetadataRecord(emptied, new Map()), ...groupRecords(g, g.members.values())]).then(() => ErrorCode.NONE, errorCodeOf);
  }

  /**
   * Kafka's online downgrade, when the last consumer-protocol member of a group leaves and others
   * that speak the classic protocol stay: they become a classic group, which rebalances. Undefined
   * when the group stays a consumer group.
   */
  downgrade(g: ConsumerGroup, leaving: ConsumerGroupMember): Promise<number> | undefined {
    const others = [...g.members.values()].filter((m) => m !== leaving);
    if (others.length === 0 || others.some((m) => !m.classic) || !migrationAllowed(this.config, 'downgrade') || others.length > this.config['group.max.size']) return undefined;
    let classic: ClassicGroup;
    try {
      classic = classicGroupFromConsumer(g, leaving.memberId, this.consumer.deps.topics, this.clock.now());
    } catch {
      return undefined;
    }
    const records = [...groupTombstones(g), groupMetadataRecord(classic, classic.assignments())];
    this.consumer.unload(g.groupId);
    this.manager.groups.set(g.groupId, classic);
    for (const m of classic.members.values()) this.manager.rescheduleHeartbeat(classic, m);
    this.manager.prepareRebalance(classic, `downgrade of group ${g.groupId} from consumer to classic`);
    return this.coordinatorLog.write(g.groupId, records).then(() => ErrorCode.NONE, errorCodeOf);
  }

  /** ConsumerGroupDescribe: GROUP_ID_NOT_FOUND for an id that is not a live consumer group. */
  describeConsumerGroups(groupIds: readonly string[]): DescribedConsumerGroup[] {
    return groupIds.map((groupId) => {
      const none = { groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [] };
      const e = this.unavailable(groupId);
      if (e) return { errorCode: e, errorMessage: null, groupId, ...none };
      const g = this.consumer.groups.get(groupId);
      if (!g) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: this.manager.groups.has(groupId) ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`, groupId, ...none };
      return this.consumer.describe(g);
    });
  }

  private groupCount(): number {
    return this.manager.groups.size + this.consumer.groups.size;
  }

  /** A consumer group's member check for an offset commit or fetch, or undefined for a classic group. `memberOptional`: see validateMemberEpoch. */
  private consumerMemberCheck(groupId: string, memberId: string | null, memberEpoch: number, memberOptional = false): (() => number) | undefined {
    const g = this.consumer.groups.get(groupId);
    return g && (() => this.consumer.validateMemberEpoch(g, memberId, memberEpoch, memberOptional));
  }

  commitOffsets(p: OffsetCommitParams): Promise<TopicResult[]> {
    const e = this.unavailable(p.groupId);
    if (e) return Promise.resolve(p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode: e })) })));
    return this.offsetRequests.commit(p, this.consumerMemberCheck(p.groupId, p.memberId, p.generationIdOrMemberEpoch));
  }

  /**
   * TxnOffsetCommit: the offsets are written in the producer's transaction and stay pending until
   * its marker (onTransactionCompleted). `txn.verification` is the KIP-890 guard of the group's partition.
   */
  commitTransactionalOffsets(p: TxnOffsetCommitParams, txn: TxnWrite): Promise<TopicResult[]> {
    const e = this.unavailable(p.groupId);
    if (e) return Promise.resolve(p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode: e })) })));
    return this.offsetRequests.txnCommit(p, txn, this.consumerMemberCheck(p.groupId, p.memberId, p.generationId, p.groupInstanceId === null));
  }

  /**
   * A transaction marker was written to these partitions of __consumer_offsets: the producer's
   * pending offsets of the groups there are committed (COMMIT) or dropped (ABORT).
   */
  onTransactionCompleted(producerId: bigint, partitions: readonly number[], committed: boolean): void {
    const set = new Set(partitions);
    this.durable.complete(this.manager, producerId, (g) => set.has(this.partitionFor(g)), committed, this.clock.now());
  }

  fetchOffsets(p: OffsetFetchParams): Promise<OffsetFetchResult> {
    const e = this.unavailable(p.groupId) || (this.consumerMemberCheck(p.groupId, p.memberId ?? null, p.memberEpoch ?? -1, true)?.() ?? ErrorCode.NONE);
    if (e) return Promise.resolve({ groupId: p.groupId, errorCode: e, topics: [] });
    return this.offsetRequests.fetch(p);
  }

  deleteOffsets(p: OffsetDeleteParams): Promise<OffsetDeleteResult> {
    const e = this.unavailable(p.groupId);
    if (e) return Promise.resolve({ errorCode: e, topics: [] });
    const g = this.consumer.groups.get(p.groupId);
    return this.offsetRequests.deleteOffsets(p, g && this.consumer.groupTopics(g));
  }

  /** A new empty group, unless samsa.group.max.groups is reached. */
  private createGroup(groupId: string): ClassicGroup | undefined {
    if (this.groupCount() >= this.config['samsa.group.max.groups']) {
      this.log.warn({ group: groupId, max: this.config['samsa.group.max.groups'] }, 'refusing a new group: samsa.group.max.groups reached');
      return undefined;
    }
    const group = new ClassicGroup(groupId, this.clock.now());
    this.manager.groups.set(groupId, group);
    return group;
  }

  /** ListGroups: every live group, optionally only those in the given states and of the given types. */
  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): ListedGroup[] {
    if (!this.active) return [];
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const out: ListedGroup[] = [];
    for (const g of this.consumer.groups.values()) {
      const state = g.state;
      if (states.size > 0 && !states.has(state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('consumer')) continue;
      out.push({ groupId: g.groupId, protocolType: 'consumer', groupState: state, groupType: 'consumer' });
    }
    for (const g of this.manager.groups.values()) {
      if (g.is(GroupState.Dead) || this.consumer.groups.has(g.groupId)) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return out;
  }

  /** DescribeGroups: member metadata and assignments are given for Stable groups only, as in Kafka; a consumer group is described as no classic group. */
  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const e = this.unavailable(groupId);
      if (e) return { errorCode: e, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
      const g = this.consumer.groups.has(groupId) ? undefined : this.manager.groups.get(groupId);
      if (!g) return { errorCode: ErrorCode.NONE, groupId, groupState: GroupState.Dead, protocolType: '', protocolData: '', members: [] };
      const stable = g.is(GroupState.Stable);
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: g.state,
        protocolType: g.protocolType ?? '',
        protocolData: stable ? (g.protocolName ?? '') : '',
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? m.metadata(g.protocolName) : Buffer.alloc(0),
          memberAssignment: stable ? m.assignment : Buffer.alloc(0),
        })),
      };
    });
  }

  /** DeleteGroups: only Empty groups go, with all their offsets. */
  deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    return Promise.all(groupIds.map(async (groupId) => ({ groupId, errorCode: await this.deleteGroup(groupId) })));
  }

  private deleteGroup(groupId: string): Promise<number> {
    const e = this.unavailable(groupId);
    if (e) return Promise.resolve(e);
    const consumerGroup = this.consumer.groups.get(groupId);
    if (consumerGroup) {
      if (consumerGroup.members.size > 0) return Promise.resolve(ErrorCode.NON_EMPTY_GROUP);
      if (!this.manager.groups.has(groupId)) return this.consumer.delete(groupId);
    }
    const g = this.manager.groups.get(groupId);
    if (!g || g.is(GroupState.Dead)) return Promise.resolve(ErrorCode.GROUP_ID_NOT_FOUND);
    if (!g.is(GroupState.Empty)) return Promise.resolve(ErrorCode.NON_EMPTY_GROUP);
    return this.removeGroup(g, 'deleted');
  }

  /** Offsets retention: expired offsets are tombstoned, and an Empty group left without offsets is deleted. */
  expireOffsets(): Promise<void> {
    return this.removeOffsets((g) => {
      const consumerGroup = this.consumer.groups.get(g.groupId);
      return this.offsetRequests.expiredOffsets(g, consumerGroup && this.consumer.groupTopics(consumerGroup));
    }, 'expired');
  }

  /**
   * Topics were deleted (Kafka's onPartitionsDeleted): their offsets are tombstoned at once, and an
   * Empty group left without offsets is deleted, instead of both waiting offsets.retention.minutes.
   * Their offsets pending in open transactions are dropped too, as Kafka's removeOffsets drops
   * them: the transaction's commit must not make them a group's offsets of a topic that is gone.
   */
  topicsDeleted(topics: ReadonlySet<string>): Promise<void> {
    if (!this.active) return Promise.resolve();
    this.durable.pendingTxn.removeWhere((o) => topics.has(o.topic));
    return this.removeOffsets((g) => this.offsets.tombstones(g.groupId, topics), 'topics deleted');
  }

  /** Tombstones the offsets `removed` gives of each group; an Empty group left without offsets is deleted, of either protocol (Kafka's cleanupGroupMetadata). */
  private async removeOffsets(removed: (g: ClassicGroup) => CoordinatorRecord[], why: string): Promise<void> {
    const writes: Promise<unknown>[] = [];
    for (const g of [...this.manager.groups.values()]) {
      const gone = removed(g);
      const remaining = this.offsetRequests.countOffsets(g.groupId) - gone.length;
      const live = (this.consumer.groups.get(g.groupId)?.members.size ?? 0) > 0;
      if (remaining === 0 && g.is(GroupState.Empty) && !live && !this.durable.pendingTxn.hasPendingForGroup(g.groupId)) writes.push(this.removeGroup(g, why));
      else if (gone.length > 0) writes.push(this.coordinatorLog.write(g.groupId, gone).catch(() => undefined));
      if (gone.length > 0) this.log.info({ group: g.groupId, offsets: gone.length, reason: why }, 'removed offsets');
    }
    // An empty consumer group that never committed offsets goes too.
    for (const g of [...this.consumer.groups.values()]) if (g.members.size === 0 && !this.manager.groups.has(g.groupId)) writes.push(this.consumer.delete(g.groupId));
    await Promise.all(writes);
  }

  /** Runs the expiry every offsets.retention.check.interval.ms; a run still writing makes the next one skip. */
  private scheduleExpiry(): void {
    this.timers.schedule(EXPIRY_TIMER_KEY, this.config['offsets.retention.check.interval.ms'], () => {
      if (!this.active) return;
      this.scheduleExpiry();
      if (this.expiring) return;
      this.expiring = true;
      void this.expireOffsets().finally(() => (this.expiring = false));
    });
  }

  /** Removes a group now (it is Dead from here on) and persists its offsets' and its own tombstones. */
  private removeGroup(g: ClassicGroup, why: string): Promise<number> {
    const records: CoordinatorRecord[] = [...this.offsets.tombstones(g.groupId), { type: 'group', group: g.groupId, value: null }];
    this.durable.pendingTxn.removeGroup(g.groupId);
    void this.consumer.delete(g.groupId);
    this.manager.shutdownGroup(g, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    g.transitionTo(GroupState.Dead, this.clock.now());
    this.manager.groups.delete(g.groupId);
    this.log.info({ group: g.groupId, offsets: records.length - 1, reason: why }, 'removed group');
    return this.coordinatorLog.write(g.groupId, records).then(() => ErrorCode.NONE, errorCodeOf);
  }

  /**
   * Stops answering, cancels every timer, answers parked requests with NOT_COORDINATOR (clients
   * then look for the coordinator again) and waits for writes in flight.
   */
  async close(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    for (const g of this.manager.groups.values()) this.manager.shutdownGroup(g, ErrorCode.NOT_COORDINATOR);
    this.timers.cancelAll();
    await this.coordinatorLog.flush();
  }
}

function errorCodeOf(err: unknown): number {
  const code = (err as { errorCode?: unknown } | null)?.errorCode;
  return typeof code === 'number' ? code : ErrorCode.UNKNOWN_SERVER_ERROR;
}

/**
 * Applies durable offset records, in log order: plain commits to the offset cache, transactional
 * ones to the pending offsets of their producer. A commit for a group that is not there (a
 * standalone consumer, or one deleted while the commit was in flight) recreates it as an empty,
 * protocol-less group, as replaying the log would.
 */
class DurableOffsets {
  readonly pendingTxn = new PendingTxnOffsets();
  /** Log order of durable writes, to tell which of a plain and a transactional commit came last. */
  private seq = 0;

  constructor(private readonly offsets: OffsetCache) {}

  apply(manager: ClassicGroupManager, records: readonly CoordinatorRecord[], txn: TxnWrite | undefined, now: number): void {
    for (const r of records) {
      if (r.type !== 'offset') continue;
      const seq = ++this.seq;
      if (txn && r.value !== null) {
        this.pendingTxn.add(txn.producerId, { group: r.group, topic: r.topic, partition: r.partition, committed: { ...toCommittedOffset(r.value), appendSeq: seq } });
      } else this.offsets.replay(r, seq);
      if (r.value !== null && !manager.groups.has(r.group)) manager.groups.set(r.group, new ClassicGroup(r.group, now));
    }
  }

  /** The producer's transaction ended for the groups `inPartition` accepts. */
  complete(manager: ClassicGroupManager, producerId: bigint, inPartition: (group: string) => boolean, committed: boolean, now: number): void {
    for (const o of this.pendingTxn.take(producerId, inPartition)) {
      if (!committed) continue;
      this.offsets.applyTransactional(o.group, o.topic, o.partition, o.committed);
      if (!manager.groups.has(o.group)) manager.groups.set(o.group, new ClassicGroup(o.group, now));
    }
  }
}
