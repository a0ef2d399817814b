/**
 * The classic rebalance protocol over the groups this coordinator holds, as Kafka's coordinator
 * runs it: join phases (with the initial rebalance delay and the rebalance timeout), the sync
 * phase (the leader's assignment is persisted before anyone gets it, members that never sync are
 * removed after the rebalance timeout), session expiry, heartbeats and LeaveGroup. JoinGroup's
 * request-side logic is in join-group.ts. Every timer runs on the injected clock, so the whole
 * state machine can be driven by a ManualClock.
 *
 * Invariant kept here beyond Kafka's: every parked JoinGroup/SyncGroup is answered exactly once
 * (a member removed or superseded gets an error), since a connection's responses go out in
 * request order and one unanswered request would stall the connection.
 */
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ClassicGroup } from './classic-group.js';
import { type ClassicGroupMember, type SyncGroupResult, EMPTY_ASSIGNMENT, joinError, syncError } from './classic-group-member.js';
import type { GroupConfig } from './group-config.js';
import { GroupState } from './group-state.js';
import { type KeyedTimers, heartbeatKey, joinKey, syncKey } from './keyed-timers.js';

/** How long a new member's JoinGroup may stay parked before it is dropped (Kafka's 5 minutes). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

export interface GroupStoreWriter {
  /** Persists the group's metadata with these assignments; resolves to the error code to answer (NONE once durable). */
  storeGroup(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): Promise<number>;
}

export interface ClassicGroupManagerDeps {
  clock: Clock;
  config: GroupConfig;
  log: Logger;
  timers: KeyedTimers;
  writer: GroupStoreWriter;
  /** A fresh member id for a client id or group instance id. */
  newMemberId(prefix: string): string;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: readonly { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupParams {
  groupId: string;
  members: readonly { memberId: string; groupInstanceId: string | null; reason: string | null }[];
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export class ClassicGroupManager {
  readonly groups = new Map<string, ClassicGroup>();

  constructor(readonly deps: ClassicGroupManagerDeps) {}

  get log(): Logger {
    return this.deps.log;
  }

  now(): number {
    return this.deps.clock.now();
  }

  /** Whether a timer's group is still the live one (not deleted, replaced or dead). */
  private isLive(group: ClassicGroup): boolean {
    return this.groups.get(group.groupId) === group && !group.is(GroupState.Dead);
  }

  /** Kafka's validateMember: FENCED_INSTANCE_ID for a stale static member id, UNKNOWN_MEMBER_ID for an unknown one. */
  validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = group.staticMembers.get(groupInstanceId);
      if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return group.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // ---- join phase -------------------------------------------------------------------------

  maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  /** Completes the join phase once everyone rejoined, except during the initial (delayed) rebalance. */
  maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined() && group.previousState !== GroupState.Empty) {
      this.completeJoin(group);
    }
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is(GroupState.CompletingRebalance)) this.resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const initial = group.is(GroupState.Empty);
    if (initial) {
      // A new group waits for more members, by steps of the initial delay, up to its rebalance timeout.
      const delayMs = this.deps.config['group.initial.rebalance.delay.ms'];
      const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
      this.deps.timers.schedule(joinKey(group.groupId), delayMs, () => this.tryCompleteInitialRebalance(group, delayMs, remainingMs));
    }
    group.transitionTo(GroupState.PreparingRebalance, this.now());
    this.log.info({ group: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance group');
    if (!initial) this.maybeCompleteJoinElseSchedule(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): void {
    if (group.hasAllMembersJoined()) this.completeJoin(group);
    else this.deps.timers.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () => this.isLive(group) && this.completeJoin(group));
  }

  private tryCompleteInitialRebalance(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    if (!this.isLive(group)) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const nextDelayMs = Math.min(this.deps.config['group.initial.rebalance.delay.ms'], remainingMs);
      const nextRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.deps.timers.schedule(joinKey(group.groupId), nextDelayMs, () => this.tryCompleteInitialRebalance(group, nextDelayMs, nextRemainingMs));
    } else {
      this.completeJoin(group);
    }
  }

  /**
   * Ends the join phase: dynamic members that did not rejoin are removed, the next generation
   * starts, every joined member gets its JoinGroup answer (the leader with all members) and the
   * group waits for SyncGroups. With nobody left the group becomes Empty and that is persisted.
   */
  completeJoin(group: ClassicGroup): void {
    this.deps.timers.cancel(joinKey(group.groupId));
    for (const m of group.notYetRejoinedMembers()) {
      if (!m.isStatic) this.removeMember(group, m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    if (group.is(GroupState.Dead)) return;
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Nobody rejoined (only static members that are away): wait another rebalance timeout.
      this.deps.timers.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () => this.isLive(group) && this.completeJoin(group));
      return;
    }
    group.initNextGeneration(this.now());
    if (group.is(GroupState.Empty)) {
      this.log.info({ group: group.groupId, generation: group.generationId }, 'group is now empty');
      void this.deps.writer.storeGroup(group, new Map()).then((code) => {
        if (code !== ErrorCode.NONE) this.log.warn({ group: group.groupId, errorCode: code }, 'failed to persist the empty group');
      });
      return;
    }
    this.log.info({ group: group.groupId, generation: group.generationId, members: group.size, protocol: group.protocolName }, 'join phase complete');
    const members = group.joinMembers();
    for (const m of group.members.values()) {
      m.completeJoin({
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: group.leaderId ?? '',
        skipAssignment: false,
        memberId: m.memberId,
        members: group.isLeader(m.memberId) ? members : [],
      });
      this.rescheduleHeartbeat(group, m);
      m.isNew = false;
      group.pendingSyncMembers.add(m.memberId);
    }
    this.schedulePendingSync(group);
  }

  // ---- sync phase -------------------------------------------------------------------------

  private schedulePendingSync(group: ClassicGroup): void {
    const generation = group.generationId;
    this.deps.timers.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs(), () => this.expirePendingSync(group, generation));
  }

  /** Members that never sent SyncGroup within the rebalance timeout are removed and the group rebalances. */
  private expirePendingSync(group: ClassicGroup, generation: number): void {
    if (!this.isLive(group) || generation !== group.generationId) return;
    if (!group.is(GroupState.CompletingRebalance) && !group.is(GroupState.Stable)) return;
    if (group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    for (const id of missing) {
      const m = group.member(id);
      if (m) this.removeMember(group, m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    this.prepareRebalance(group, `removing ${missing.join(', ')} on pending sync request expiration`);
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.pendingSyncMembers.clear();
    this.deps.timers.cancel(syncKey(group.groupId));
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    const stableOrCompleting = group.is(GroupState.CompletingRebalance) || group.is(GroupState.Stable);
    if (!stableOrCompleting || group.pendingSyncMembers.size === 0) this.deps.timers.cancel(syncKey(group.groupId));
  }

  private resetAndPropagateAssignmentWithError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_ASSIGNMENT;
    this.propagateAssignment(group, errorCode);
  }

  private setAndPropagateAssignment(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): void {
    for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? EMPTY_ASSIGNMENT;
    this.propagateAssignment(group, ErrorCode.NONE);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const answered = m.completeSync({
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      // A session that ran out while the member waited was ignored: start it afresh.
      if (answered) this.rescheduleHeartbeat(group, m);
    }
  }

  syncGroup(p: SyncGroupParams): Promise<SyncGroupResult> {
    const group = this.groups.get(p.groupId);
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const invalid = this.validateSync(group, p);
    if (invalid !== ErrorCode.NONE) return Promise.resolve(syncError(invalid));
    if (group.is(GroupState.Empty)) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is(GroupState.PreparingRebalance)) return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    const member = group.member(p.memberId)!;
    if (group.is(GroupState.Stable)) {
      this.removePendingSyncMember(group, p.memberId);
      return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
    }
    // CompletingRebalance: park until the leader's assignment is stored.
    const isLeader = group.isLeader(p.memberId);
    const maxBytes = this.deps.config['samsa.group.max.member.metadata.bytes'];
    if (isLeader && p.assignments.some((a) => a.assignment.length > maxBytes)) {
      this.log.warn({ group: group.groupId, member: p.memberId, maxBytes }, 'SyncGroup refused: an assignment exceeds samsa.group.max.member.metadata.bytes');
      return Promise.resolve(syncError(ErrorCode.INVALID_REQUEST));
    }
    const answer = new Promise<SyncGroupResult>((resolve) => {
      member.completeSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      member.syncWaiter = resolve;
    });
    this.removePendingSyncMember(group, p.memberId);
    if (isLeader) this.storeLeaderAssignment(group, p);
    return answer;
  }

  private validateSync(group: ClassicGroup, p: SyncGroupParams): number {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const invalidMember = this.validateMember(group, p.memberId, p.groupInstanceId);
    if (invalidMember !== ErrorCode.NONE) return invalidMember;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const inconsistent = (given: string | null, ours: string | null): boolean => given !== null && ours !== null && given !== ours;
    if (inconsistent(p.protocolType, group.protocolType) || inconsistent(p.protocolName, group.protocolName)) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    return ErrorCode.NONE;
  }

  private storeLeaderAssignment(group: ClassicGroup, p: SyncGroupParams): void {
    const assignments = new Map<string, Buffer>();
    for (const a of p.assignments) assignments.set(a.memberId, Buffer.from(a.assignment));
    for (const id of group.members.keys()) if (!assignments.has(id)) assignments.set(id, EMPTY_ASSIGNMENT);
    this.log.info({ group: group.groupId, leader: p.memberId, generation: group.generationId, members: group.size }, 'assignment received from leader');
    void this.deps.writer.storeGroup(group, assignments).then((code) => {
      // The group may have moved on (a member joined or left) while the write was in flight.
      if (!this.isLive(group) || !group.is(GroupState.CompletingRebalance) || p.generationId !== group.generationId) return;
      if (code !== ErrorCode.NONE) {
        this.resetAndPropagateAssignmentWithError(group, code);
        this.maybePrepareRebalanceOrCompleteJoin(group, `error ${code} when storing the group assignment`);
        return;
      }
      this.setAndPropagateAssignment(group, assignments);
      group.transitionTo(GroupState.Stable, this.now());
      this.log.info({ group: group.groupId, generation: group.generationId }, 'group is stable');
    });
  }

  // ---- sessions ---------------------------------------------------------------------------

  rescheduleHeartbeat(group: ClassicGroup, member: ClassicGroupMember, timeoutMs = member.sessionTimeoutMs): void {
    const memberId = member.memberId;
    this.deps.timers.schedule(heartbeatKey(group.groupId, memberId), timeoutMs, () => this.expireHeartbeat(group, memberId));
  }

  /** Gives a member a fresh id and session timer until it joins with it (JoinGroup v4+). */
  addPendingMember(group: ClassicGroup, memberId: string, sessionTimeoutMs: number): void {
    group.pendingJoinMembers.add(memberId);
    this.deps.timers.schedule(heartbeatKey(group.groupId, memberId), sessionTimeoutMs, () => this.expireHeartbeat(group, memberId));
  }

  private expireHeartbeat(group: ClassicGroup, memberId: string): void {
    if (!this.isLive(group)) return;
    if (group.pendingJoinMembers.has(memberId)) {
      this.log.info({ group: group.groupId, member: memberId }, 'pending member expired');
      group.remove(memberId);
      if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined()) this.completeJoin(group);
      return;
    }
    const member = group.member(memberId);
    if (!member || member.hasSatisfiedHeartbeat()) return;
    this.log.info({ group: group.groupId, member: memberId }, 'member session expired');
    this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on heartbeat expiration`);
  }

  /** Removes a member, answering whatever it has parked, and cancels its session. */
  removeMember(group: ClassicGroup, member: ClassicGroupMember, errorCode: number): void {
    member.completeJoin(joinError('', errorCode));
    member.completeSync(syncError(errorCode));
    this.deps.timers.cancel(heartbeatKey(group.groupId, member.memberId));
    group.remove(member.memberId);
  }

  removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember, reason: string): void {
    this.removeMember(group, member, ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance)) this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    else if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  heartbeat(p: HeartbeatParams): number {
    const group = this.groups.get(p.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const invalidMember = this.validateMember(group, p.memberId, p.groupInstanceId);
    if (invalidMember !== ErrorCode.NONE) return invalidMember;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (group.is(GroupState.Empty)) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.rescheduleHeartbeat(group, group.member(p.memberId)!);
    return group.is(GroupState.PreparingRebalance) ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** LeaveGroup for each member given (by member id, or by group.instance.id alone for admin removal). */
  leaveGroup(p: LeaveGroupParams): LeaveGroupResult {
    const group = this.groups.get(p.groupId);
    if (!group) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    if (group.is(GroupState.Dead)) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results = p.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: this.leaveOne(group, m.memberId, m.groupInstanceId, m.reason) }));
    const left = results.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.memberId || r.groupInstanceId);
    if (left.length > 0) {
      const reason = `explicit LeaveGroup request for (${left.join(', ')})`;
      if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance)) this.maybePrepareRebalanceOrCompleteJoin(group, reason);
      else if (group.is(GroupState.PreparingRebalance)) this.maybeCompleteJoinPhase(group);
    }
    return { errorCode: ErrorCode.NONE, members: results };
  }

  private leaveOne(group: ClassicGroup, memberId: string, groupInstanceId: string | null, reason: string | null): number {
    let id = memberId;
    if (memberId === '') {
      const staticId = groupInstanceId === null ? undefined : group.staticMembers.get(groupInstanceId);
      if (staticId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      id = staticId;
    } else if (group.pendingJoinMembers.has(memberId)) {
      group.remove(memberId);
      this.deps.timers.cancel(heartbeatKey(group.groupId, memberId));
      return ErrorCode.NONE;
    } else {
      const invalid = this.validateMember(group, memberId, groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
    }
    this.log.info({ group: group.groupId, member: id, reason: reason ?? 'not provided' }, 'member left the group');
    this.removeMember(group, group.member(id)!, ErrorCode.UNKNOWN_MEMBER_ID);
    return ErrorCode.NONE;
  }

  /** Cancels every timer of a group being deleted or unloaded and answers its parked requests. */
  shutdownGroup(group: ClassicGroup, errorCode: number): void {
    this.deps.timers.cancel(joinKey(group.groupId));
    this.deps.timers.cancel(syncKey(group.groupId));
    for (const id of group.pendingJoinMembers) this.deps.timers.cancel(heartbeatKey(group.groupId, id));
    for (const m of group.members.values()) {
      this.deps.timers.cancel(heartbeatKey(group.groupId, m.memberId));
      m.completeJoin(joinError(m.memberId, errorCode));
      m.completeSync(syncError(errorCode));
    }
  }
}
