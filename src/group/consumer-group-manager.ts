/**
 * KIP-848 consumer groups (ConsumerGroupHeartbeat, ConsumerGroupDescribe): members join with
 * epoch 0 and heartbeat with their epoch; the coordinator computes the target assignment with a
 * server-side assignor whenever the group epoch moves, and hands each member its partitions as it
 * revokes the ones it must give up. A member that stops heartbeating for
 * group.consumer.session.timeout.ms, or does not revoke within its rebalance timeout, is removed.
 * Subscriptions are topic names, resolved against the topics at every heartbeat, so a topic
 * created, deleted or grown moves the group epoch too. Version 0 only: Kafka's specs mark v1
 * (regular-expression subscriptions, member ids made by the client) unstable.
 *
 * Members that speak the classic protocol (kafkajs and other JoinGroup clients, Kafka 4's online
 * migration) are members here too, driven by consumer-group-classic-members.ts through `settle`;
 * when the last member of this protocol leaves a group of classic members, the coordinator may
 * turn it back into a classic group (`downgrade`).
 *
 * Every change is written to __consumer_offsets in Kafka's record types (consumer-group-records.ts)
 * before the heartbeat is answered, so a coordinator that loads the partition after a restart or a
 * failover knows the members, their epochs and partitions. Static members (instance ids) are
 * refused a second live instance (UNRELEASED_INSTANCE_ID); one that leaves with epoch -2 keeps its
 * partitions until its session expires, and a member joining with its instance id meanwhile takes
 * them over without a new group epoch.
 */
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ConsumerGroupDescribeResponseDescribedGroupInput } from '../protocol/messages/index.js';
import { type TopicPartitions, ASSIGNORS, type AssignorMember, DEFAULT_ASSIGNOR, partitionKey, toTopicPartitions } from './consumer-group-assignors.js';
import { ConsumerGroup, type ConsumerGroupMember, blankMember } from './consumer-group.js';
import { currentAssignmentRecord, groupRecords, groupTombstones, memberMetadataRecord, memberTombstones } from './consumer-group-records.js';
import type { ConsumerGroupRecord } from './coordinator-records.js';
import type { GroupConfig } from './group-config.js';
import type { KeyedTimers } from './keyed-timers.js';

/** What the coordinator needs to know of topics: their ids and partition counts. */
export interface ConsumerGroupTopics {
  byName(name: string): { id: string; partitionCount: number } | undefined;
  byId(id: string): { name: string; partitionCount: number } | undefined;
}

export interface ConsumerGroupHeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: readonly string[] | null;
  serverAssignor: string | null;
  topicPartitions: readonly { topicId: string; partitions: readonly number[] }[] | null;
  clientId: string;
  clientHost: string;
}

export interface ConsumerGroupHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: TopicPartitions[] } | null;
}

/** A group as ConsumerGroupDescribe answers it (without the authorized operations, the handler's). */
export type DescribedConsumerGroup = Omit<ConsumerGroupDescribeResponseDescribedGroupInput, 'authorizedOperations'>;

export interface ManagerDeps {
  clock: Clock;
  config: GroupConfig;
  timers: KeyedTimers;
  topics: ConsumerGroupTopics;
  newMemberId(): string;
  /** Writes records of a group to __consumer_offsets; resolves to NONE once durable, or the error code. */
  write(groupId: string, records: readonly ConsumerGroupRecord[]): Promise<number>;
  /**
   * A member of the consumer protocol is leaving a group whose other members all speak the
   * classic one: the coordinator may turn the group into a classic group without it (Kafka's
   * online downgrade), resolving to the write's error code, or answer undefined to keep it.
   */
  downgrade?(group: ConsumerGroup, leaving: ConsumerGroupMember): Promise<number> | undefined;
}

/** The epoch of a static member that left for a while (ConsumerGroupHeartbeat's -2). */
const STATIC_MEMBER_LEFT = -2;

const sessionKey = (groupId: string, memberId: string): string => `cg-session\0${groupId}\0${memberId}`;
const revocationKey = (groupId: string, memberId: string): string => `cg-revoke\0${groupId}\0${memberId}`;
/** A classic member told to rejoin must within its rebalance timeout. */
export const classicJoinKey = (groupId: string, memberId: string): string => `cg-join\0${groupId}\0${memberId}`;
/** A classic member that joined must send SyncGroup within its rebalance timeout. */
export const classicSyncKey = (groupId: string, memberId: string): string => `cg-sync\0${groupId}\0${memberId}`;

export class ConsumerGroupManager {
  readonly groups = new Map<string, ConsumerGroup>();

  constructor(readonly deps: ManagerDeps) {}

  /** Applies a heartbeat and answers once what it changed is durable in __consumer_offsets. */
  async heartbeat(p: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatResult> {
    const invalid = this.invalidRequest(p);
    if (invalid) return this.error(p, ...invalid);
    if (p.memberEpoch < 0) return this.leave(p);
    const records: ConsumerGroupRecord[] = [];
    let group = this.groups.get(p.groupId);
    let member = group?.members.get(p.memberId);
    // Joins, subscription changes and the subscribed topics changing move the group to one new epoch.
    let bump = false;
    // A static member replaced: the group's records are written again under the new member id.
    let rewrite = false;
    if (p.memberEpoch > 0) {
      if (!group || !member) return this.error(p, ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
      const fenced = this.fencedEpoch(member, p);
      if (fenced) return this.error(p, ErrorCode.FENCED_MEMBER_EPOCH, fenced);
    } else {
      group ??= this.create(p.groupId);
      const staticMember = group.staticMember(p.instanceId);
      const previous = staticMember?.memberId === p.memberId ? undefined : staticMember;
      // A classic member's instance may come back speaking this protocol (its client upgraded) without leaving first.
      if (previous && previous.memberEpoch !== STATIC_MEMBER_LEFT && !previous.classic) return this.error(p, ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${p.instanceId} is still held by member ${previous.memberId}.`);
      // A member joining again with its id has lost its partitions: it starts over.
      if (member) {
        this.removeMember(group, member, false);
        records.push(...memberTombstones(group.groupId, member.memberId));
      }
      if (previous) {
        // A static member back within its session: it takes its place over, partitions and target, without a new group epoch.
        member = { ...this.newMember(p), subscribedTopicNames: previous.subscribedTopicNames, serverAssignor: previous.serverAssignor };
        this.replaceStaticMember(group, previous, member, records);
        rewrite = true;
      } else {
        if (group.members.size >= this.deps.config['group.consumer.max.size']) return this.error(p, ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.deps.config['group.consumer.max.size']} members.`);
        member = this.newMember(p);
        group.members.set(member.memberId, member);
        bump = true;
      }
    }
    if (this.update(member, p)) bump = true;
    const before = new Set(member.assigned);
    const owned = p.topicPartitions === null ? null : new Set(p.topicPartitions.flatMap((t) => t.partitions.map((x) => partitionKey(t.topicId, x))));
    const written = await this.settle(group, member, owned, { bump, rewrite, memberChanged: false }, records);
    if (written !== ErrorCode.NONE) return this.error(p, written, null);
    const full = p.memberEpoch === 0 || (p.rebalanceTimeoutMs !== -1 && p.subscribedTopicNames !== null && p.topicPartitions !== null);
    const assignmentChanged = before.size !== member.assigned.size || [...before].some((k) => !member.assigned.has(k));
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.deps.config['group.consumer.heartbeat.interval.ms'],
      assignment: full || assignmentChanged ? { topicPartitions: toTopicPartitions(member.assigned) } : null,
    };
  }

  /**
   * Moves the group to a new epoch and target assignment when `change.bump` says its inputs
   * changed (or its subscribed topics did), takes the member one reconciliation step with what it
   * says it owns, restarts its timers, and writes `records` with what changed: the whole group for
   * a new epoch or a rewrite, else the member's metadata and current assignment if they changed.
   * Resolves to the write's error code.
   */
  settle(group: ConsumerGroup, member: ConsumerGroupMember, owned: ReadonlySet<string> | null, change: { bump: boolean; rewrite: boolean; memberChanged: boolean }, records: ConsumerGroupRecord[]): Promise<number> {
    let bump = change.bump;
    const signature = this.signature(group);
    if (signature !== group.subscriptionSignature) {
      group.subscriptionSignature = signature;
      bump = true;
    }
    if (bump) {
      group.groupEpoch++;
      this.computeTarget(group);
    }
    const stateBefore = memberStateOf(member);
    group.reconcile(member, owned);
    this.scheduleTimers(group, member);
    if (bump || change.rewrite) records.push(...groupRecords(group, [member]));
    else {
      if (change.memberChanged) records.push(memberMetadataRecord(group, member));
      if (change.memberChanged || memberStateOf(member) !== stateBefore) records.push(currentAssignmentRecord(group, member));
    }
    return this.deps.write(group.groupId, records);
  }

  /**
   * A static member's new instance takes its place over: its target assignment, and the tombstones
   * of the old member's records (the caller writes the group's records again).
   */
  replaceStaticMember(group: ConsumerGroup, previous: ConsumerGroupMember, replacement: ConsumerGroupMember, records: ConsumerGroupRecord[]): void {
    group.targetAssignment.set(replacement.memberId, group.targetAssignment.get(previous.memberId) ?? new Set());
    void this.removeMember(group, previous, false);
    records.push(...memberTombstones(group.groupId, previous.memberId));
    group.members.set(replacement.memberId, replacement);
  }

  /** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid: [error, message] or undefined. */
  private invalidRequest(p: ConsumerGroupHeartbeatParams): [number, string] | undefined {
    const bad = (message: string): [number, string] => [ErrorCode.INVALID_REQUEST, message];
    if (p.groupId === '') return bad("GroupId can't be empty.");
    if (p.instanceId === '') return bad("InstanceId can't be empty.");
    if (p.rackId === '') return bad("RackId can't be empty.");
    if (p.memberEpoch < -2) return bad(`MemberEpoch ${p.memberEpoch} is invalid.`);
    if (p.memberEpoch !== 0 && p.memberId === '') return bad("MemberId can't be empty.");
    if (p.memberEpoch === 0) {
      if (p.rebalanceTimeoutMs === -1) return bad('RebalanceTimeoutMs must be provided in first request.');
      if (p.topicPartitions === null || p.topicPartitions.length > 0) return bad('TopicPartitions must be empty when (re-)joining.');
      if (p.subscribedTopicNames === null) return bad('SubscribedTopicNames must be set in first request.');
    }
    if (p.serverAssignor !== null && !ASSIGNORS.has(p.serverAssignor)) return [ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${p.serverAssignor} is not supported. Supported assignors: ${[...ASSIGNORS.keys()].join(', ')}.`];
    return undefined;
  }

  /** Kafka's throwIfMemberEpochIsInvalid: an epoch behind is taken only if it is the previous one and the member holds no more than it was given (a lost answer). */
  private fencedEpoch(m: ConsumerGroupMember, p: ConsumerGroupHeartbeatParams): string | undefined {
    if (p.memberEpoch === m.memberEpoch) return undefined;
    const owned = p.topicPartitions?.flatMap((t) => t.partitions.map((x) => partitionKey(t.topicId, x)));
    if (p.memberEpoch < m.memberEpoch && p.memberEpoch === m.previousMemberEpoch && owned !== undefined && owned.every((k) => m.assigned.has(k))) return undefined;
    return `The consumer group member has a member epoch (${p.memberEpoch}) different from the one known by the group coordinator (${m.memberEpoch}).`;
  }

  /**
   * Epoch -1: the member leaves. Epoch -2 from a static member: it keeps its partitions until its
   * session expires, for a member with its instance id to take them over without a rebalance.
   */
  private async leave(p: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatResult> {
    const group = this.groups.get(p.groupId);
    const member = group?.members.get(p.memberId);
    if (!group || !member) return this.error(p, ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
    let written: number;
    if (p.memberEpoch === STATIC_MEMBER_LEFT && member.instanceId !== null) {
      member.memberEpoch = STATIC_MEMBER_LEFT;
      this.deps.timers.cancel(revocationKey(group.groupId, member.memberId));
      written = await this.deps.write(group.groupId, [currentAssignmentRecord(group, member)]);
    } else written = await this.removeMember(group, member, true);
    if (written !== ErrorCode.NONE) return this.error(p, written, null);
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: p.memberId, memberEpoch: p.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  private error(p: ConsumerGroupHeartbeatParams, errorCode: number, errorMessage: string | null): ConsumerGroupHeartbeatResult {
    return heartbeatError(errorCode, errorMessage, p.memberId || null);
  }

  private create(groupId: string): ConsumerGroup {
    const g = new ConsumerGroup(groupId);
    this.groups.set(groupId, g);
    return g;
  }

  private newMember(p: ConsumerGroupHeartbeatParams): ConsumerGroupMember {
    const m = blankMember(p.memberId === '' ? this.deps.newMemberId() : p.memberId);
    return Object.assign(m, { instanceId: p.instanceId, rackId: p.rackId, clientId: p.clientId, clientHost: p.clientHost, rebalanceTimeoutMs: p.rebalanceTimeoutMs });
  }

  /** Applies what the heartbeat changed; true if it changes the assignment's inputs (subscription, assignor). */
  private update(m: ConsumerGroupMember, p: ConsumerGroupHeartbeatParams): boolean {
    let changed = false;
    if (p.rackId !== null) m.rackId = p.rackId;
    if (p.rebalanceTimeoutMs !== -1) m.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    if (p.subscribedTopicNames !== null && !sameList(p.subscribedTopicNames, m.subscribedTopicNames)) {
      m.subscribedTopicNames = [...p.subscribedTopicNames];
      changed = true;
    }
    if (p.serverAssignor !== null && p.serverAssignor !== m.serverAssignor) {
      m.serverAssignor = p.serverAssignor;
      changed = true;
    }
    m.clientId = p.clientId;
    m.clientHost = p.clientHost;
    return changed;
  }

  /** The topics a member subscribes to that exist. */
  subscribedTopics(m: ConsumerGroupMember): string[] {
    return m.subscribedTopicNames.filter((n) => this.deps.topics.byName(n));
  }

  /** Every topic some member of the group subscribes to. */
  groupTopics(group: ConsumerGroup): Set<string> {
    const out = new Set<string>();
    for (const m of group.members.values()) for (const t of this.subscribedTopics(m)) out.add(t);
    return out;
  }

  private signature(group: ConsumerGroup): string {
    return [...this.groupTopics(group)]
      .sort()
      .map((name) => {
        const t = this.deps.topics.byName(name)!;
        return `${name}:${t.id}:${t.partitionCount}`;
      })
      .join(',');
  }

  /** The assignor most members ask for. */
  private assignorFor(group: ConsumerGroup): string {
    const votes = new Map<string, number>();
    for (const m of group.members.values()) if (m.serverAssignor) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    return [...votes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? DEFAULT_ASSIGNOR;
  }

  /** The group's target assignment for its epoch. */
  private computeTarget(group: ConsumerGroup): void {
    const name = this.assignorFor(group);
    const partitionCounts = new Map<string, number>();
    const members: AssignorMember[] = [...group.members.values()].map((m) => {
      const ids = new Set<string>();
      for (const topic of this.subscribedTopics(m)) {
        const t = this.deps.topics.byName(topic)!;
        ids.add(t.id);
        partitionCounts.set(t.id, t.partitionCount);
      }
      return { memberId: m.memberId, subscribedTopicIds: ids, currentTarget: group.targetAssignment.get(m.memberId) ?? new Set() };
    });
    group.targetAssignment = ASSIGNORS.get(name)!(members, partitionCounts);
    group.assignmentEpoch = group.groupEpoch;
  }

  /**
   * Restarts a member's session (a classic member's own session timeout) and, while it must revoke
   * partitions, its rebalance timeout (classic members have their join and sync timeouts instead).
   */
  scheduleTimers(group: ConsumerGroup, m: ConsumerGroupMember): void {
    this.deps.timers.schedule(sessionKey(group.groupId, m.memberId), m.classic?.sessionTimeoutMs ?? this.deps.config['group.consumer.session.timeout.ms'], () => this.expire(group, m));
    if (m.classic || m.state !== 'UNREVOKED_PARTITIONS') this.deps.timers.cancel(revocationKey(group.groupId, m.memberId));
    else if (!this.deps.timers.has(revocationKey(group.groupId, m.memberId))) this.deps.timers.schedule(revocationKey(group.groupId, m.memberId), m.rebalanceTimeoutMs, () => this.expire(group, m));
  }

  private cancelTimers(groupId: string, memberId: string): void {
    for (const key of [sessionKey, revocationKey, classicJoinKey, classicSyncKey]) this.deps.timers.cancel(key(groupId, memberId));
  }

  /** Removes a member whose session or rebalance timeout ran out, if it is still there. */
  expire(group: ConsumerGroup, m: ConsumerGroupMember): void {
    if (this.groups.get(group.groupId) === group && group.members.get(m.memberId) === m) void this.removeMember(group, m, true);
  }

  /**
   * Takes a member out: its partitions are free. With `recompute` the group moves to a new epoch
   * and target, written with the member's tombstones (resolves to the write's error code), unless
   * the coordinator turns it into a classic group instead.
   */
  removeMember(group: ConsumerGroup, m: ConsumerGroupMember, recompute: boolean): Promise<number> {
    const downgraded = recompute && !m.classic ? this.deps.downgrade?.(group, m) : undefined;
    if (downgraded) return downgraded;
    group.members.delete(m.memberId);
    group.targetAssignment.delete(m.memberId);
    this.cancelTimers(group.groupId, m.memberId);
    if (!recompute) return Promise.resolve(ErrorCode.NONE);
    group.groupEpoch++;
    group.subscriptionSignature = this.signature(group);
    this.computeTarget(group);
    return this.deps.write(group.groupId, [...memberTombstones(group.groupId, m.memberId), ...groupRecords(group, [])]);
  }

  /**
   * Kafka's ConsumerGroup.validateOffsetCommit and validateOffsetFetch: NONE, UNKNOWN_MEMBER_ID or
   * STALE_MEMBER_EPOCH (ILLEGAL_GENERATION for a classic member, whose generation is its epoch).
   * Without a member (epoch -1: a tool, a standalone consumer, an older version), commits are taken
   * while the group is empty, and with `memberOptional` always (fetches; transactional commits that
   * name no member).
   */
  validateMemberEpoch(group: ConsumerGroup, memberId: string | null, memberEpoch: number, memberOptional: boolean): number {
    if (memberEpoch < 0 && (memberId === null || memberId === '') && (memberOptional || group.members.size === 0)) return ErrorCode.NONE;
    const m = memberId === null ? undefined : group.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch === m.memberEpoch) return ErrorCode.NONE;
    return m.classic ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
  }

  /** Forgets a group and its members' timers (its partition of __consumer_offsets is no longer served here). */
  unload(groupId: string): ConsumerGroup | undefined {
    const g = this.groups.get(groupId);
    if (!g) return undefined;
    for (const m of g.members.values()) this.cancelTimers(groupId, m.memberId);
    this.groups.delete(groupId);
    return g;
  }

  /** Deletes a group (deleted, or changed to a classic group): unloaded, and its records tombstoned. */
  delete(groupId: string): Promise<number> {
    const g = this.unload(groupId);
    return g ? this.deps.write(groupId, groupTombstones(g)) : Promise.resolve(ErrorCode.NONE);
  }

  /** A group loaded from __consumer_offsets: its members' sessions start now, and its subscriptions are known. */
  loaded(g: ConsumerGroup): void {
    g.subscriptionSignature = this.signature(g);
    for (const m of g.members.values()) this.scheduleTimers(g, m);
  }

  /** ConsumerGroupDescribe's answer for a group: partitions with their topic names ('' for a topic gone). */
  describe(g: ConsumerGroup): DescribedConsumerGroup {
    const named = (keys: ReadonlySet<string> | undefined) => ({ topicPartitions: toTopicPartitions(keys ?? new Set()).map((t) => ({ ...t, topicName: this.deps.topics.byId(t.topicId)?.name ?? '' })) });
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId: g.groupId,
      groupState: g.state,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignorName: this.assignorFor(g),
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        assignment: named(m.assigned),
        targetAssignment: named(g.targetAssignment.get(m.memberId)),
      })),
    };
  }
}

/** A refused heartbeat's answer. */
export function heartbeatError(errorCode: number, errorMessage: string | null, memberId: string | null): ConsumerGroupHeartbeatResult {
  return { errorCode, errorMessage, memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
}

/** What a member's current-assignment record holds, to tell whether a heartbeat changed it. */
function memberStateOf(m: ConsumerGroupMember): string {
  return `${m.memberEpoch}/${m.previousMemberEpoch}/${m.state}/${[...m.assigned].sort().join()}/${[...m.pendingRevocation].sort().join()}`;
}

/** Whether two lists hold the same strings in the same order. */
export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
