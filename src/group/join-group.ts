/**
 * JoinGroup, as Kafka's classic coordinator answers it:
 * - an unknown member (empty member id) of a dynamic group gets a fresh id and MEMBER_ID_REQUIRED
 *   (v4+), then joins with it; a static member (group.instance.id) joins directly, and one that
 *   restarts replaces its old member id: in a Stable group whose protocol would not change this
 *   causes no rebalance, it just gets the current generation back (and its old assignment);
 * - a known member joining triggers a rebalance when it is the leader or its metadata changed,
 *   otherwise it gets the current generation back;
 * - joins park until the join phase completes (classic-group-manager.ts).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { ClassicGroup } from './classic-group.js';
import { type JoinGroupResult, type JoinProtocol, ClassicGroupMember, joinError } from './classic-group-member.js';
import { type ClassicGroupManager, NEW_MEMBER_JOIN_TIMEOUT_MS } from './classic-group-manager.js';
import type { GroupConfig } from './group-config.js';
import { GroupState } from './group-state.js';
import type { Logger } from 'pino';
import { heartbeatKey } from './keyed-timers.js';

export interface JoinGroupParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly JoinProtocol[];
  clientId: string;
  clientHost: string;
  reason: string | null;
  /** JoinGroup v4+: an unknown dynamic member must rejoin with the id it is given. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a rejoining static leader may be told to skip computing an assignment. */
  supportsSkipAssignment: boolean;
}

type Resolve = (r: JoinGroupResult) => void;

/** Validates and routes one JoinGroup; `createGroup` makes the group when an unknown member starts it. */
export function joinGroup(mgr: ClassicGroupManager, p: JoinGroupParams, createGroup: (groupId: string) => ClassicGroup | undefined): Promise<JoinGroupResult> {
  const invalid = joinRequestError(mgr.deps.config, mgr.log, p);
  if (invalid !== ErrorCode.NONE) return Promise.resolve(joinError(p.memberId, invalid));
  const isUnknown = p.memberId === '';
  const group = mgr.groups.get(p.groupId) ?? (isUnknown ? createGroup(p.groupId) : undefined);
  if (!group) return Promise.resolve(joinError(p.memberId, isUnknown ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.UNKNOWN_MEMBER_ID));
  if (!acceptJoiningMember(mgr, group, p)) {
    const existing = group.member(p.memberId);
    if (existing) mgr.removeMember(group, existing, ErrorCode.GROUP_MAX_SIZE_REACHED);
    return Promise.resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
  }
  return new Promise<JoinGroupResult>((resolve) => (isUnknown ? joinNewMember(mgr, group, p, resolve) : joinExistingMember(mgr, group, p, resolve)));
}

/** What a JoinGroup is refused for whichever kind of group it joins: a session timeout out of bounds, or too much metadata. */
export function joinRequestError(cfg: GroupConfig, log: Logger, p: JoinGroupParams): number {
  if (p.sessionTimeoutMs < cfg['group.min.session.timeout.ms'] || p.sessionTimeoutMs > cfg['group.max.session.timeout.ms']) return ErrorCode.INVALID_SESSION_TIMEOUT;
  const metadataBytes = p.protocols.reduce((n, x) => n + Buffer.byteLength(x.name) + x.metadata.length, 0);
  if (metadataBytes > cfg['samsa.group.max.member.metadata.bytes']) {
    log.warn({ group: p.groupId, member: p.memberId, metadataBytes }, 'JoinGroup refused: protocol metadata exceeds samsa.group.max.member.metadata.bytes');
    return ErrorCode.INVALID_REQUEST;
  }
  return ErrorCode.NONE;
}

/** group.max.size: existing members are accepted, new ones up to the limit (pending ids count too). */
function acceptJoiningMember(mgr: ClassicGroupManager, group: ClassicGroup, p: JoinGroupParams): boolean {
  const maxSize = mgr.deps.config['group.max.size'];
  if (p.memberId === '' && p.groupInstanceId === null && p.requireKnownMemberId) {
    const maxPending = Math.min(maxSize, mgr.deps.config['samsa.group.max.pending.members']);
    if (group.pendingJoinMembers.size >= maxPending) return false;
  }
  switch (group.state) {
    case GroupState.Empty:
    case GroupState.Dead:
      return true;
    case GroupState.PreparingRebalance:
      // Counting members that rejoined lets the last ones to rejoin be turned away when the limit shrank.
      return group.member(p.memberId)?.isAwaitingJoin === true || group.numAwaitingJoin() < maxSize;
    default:
      return group.members.has(p.memberId) || group.size < maxSize;
  }
}

function joinNewMember(mgr: ClassicGroupManager, group: ClassicGroup, p: JoinGroupParams, resolve: Resolve): void {
  if (group.is(GroupState.Dead)) return resolve(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
  if (!group.supportsProtocols(p.protocolType, p.protocols)) return resolve(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  const newMemberId = mgr.deps.newMemberId(p.groupInstanceId ?? p.clientId);
  if (p.groupInstanceId !== null) {
    const existing = group.staticMembers.get(p.groupInstanceId);
    if (existing !== undefined) return replaceStaticMember(mgr, group, p, group.member(existing)!, newMemberId, resolve);
    mgr.log.info({ group: group.groupId, instance: p.groupInstanceId, member: newMemberId }, 'new static member joins');
    return addMember(mgr, group, p, newMemberId, resolve);
  }
  if (p.requireKnownMemberId) {
    mgr.addPendingMember(group, newMemberId, p.sessionTimeoutMs);
    return resolve(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
  }
  addMember(mgr, group, p, newMemberId, resolve);
}

function joinExistingMember(mgr: ClassicGroupManager, group: ClassicGroup, p: JoinGroupParams, resolve: Resolve): void {
  if (group.is(GroupState.Dead)) return resolve(joinError(p.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
  if (!group.supportsProtocols(p.protocolType, p.protocols)) return resolve(joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  if (group.pendingJoinMembers.has(p.memberId)) {
    // Pending ids are only handed to dynamic members; a static one claiming one is confused.
    if (p.groupInstanceId !== null) return resolve(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    return addMember(mgr, group, p, p.memberId, resolve);
  }
  const invalid = mgr.validateMember(group, p.memberId, p.groupInstanceId);
  if (invalid !== ErrorCode.NONE) return resolve(joinError(p.memberId, invalid));
  const member = group.member(p.memberId)!;
  const why = (what: string): string => `${what} ${p.memberId} during ${group.state}; client reason: ${p.reason ?? 'not provided'}`;
  switch (group.state) {
    case GroupState.PreparingRebalance:
      return updateMember(mgr, group, member, p, why('member joining'), resolve);
    case GroupState.CompletingRebalance:
      // The same metadata again: the member missed the JoinGroup answer, so it gets it again.
      if (member.matches(p.protocols)) return resolve(currentGeneration(group, p.memberId, group.isLeader(p.memberId)));
      return updateMember(mgr, group, member, p, why('updating metadata of member'), resolve);
    case GroupState.Stable:
      // The leader rejoining asks for a new assignment (topic metadata may have changed).
      if (group.isLeader(p.memberId)) return updateMember(mgr, group, member, p, why('leader re-joining'), resolve);
      if (!member.matches(p.protocols)) return updateMember(mgr, group, member, p, why('updating metadata of member'), resolve);
      return resolve(currentGeneration(group, p.memberId, false));
    default:
      return resolve(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  }
}

function currentGeneration(group: ClassicGroup, memberId: string, withMembers: boolean, skipAssignment = false): JoinGroupResult {
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    skipAssignment,
    memberId,
    members: withMembers ? group.joinMembers() : [],
  };
}

/** Parks a member's JoinGroup; a JoinGroup it still had parked is answered first. */
function park(member: ClassicGroupMember, resolve: Resolve): void {
  member.completeJoin(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  member.joinWaiter = resolve;
}

function copyProtocols(protocols: readonly JoinProtocol[]): JoinProtocol[] {
  // Copies: the request's bytes are views of its frame, which should not be kept alive.
  return protocols.map((x) => ({ name: x.name, metadata: Buffer.from(x.metadata) }));
}

function addMember(mgr: ClassicGroupManager, group: ClassicGroup, p: JoinGroupParams, memberId: string, resolve: Resolve): void {
  const member = new ClassicGroupMember(memberId, p.groupInstanceId, p.clientId, p.clientHost, p.rebalanceTimeoutMs, p.sessionTimeoutMs, p.protocolType, copyProtocols(p.protocols));
  member.isNew = true;
  // Joining during the initial rebalance makes it wait one more delay for others.
  if (group.is(GroupState.PreparingRebalance) && group.previousState === GroupState.Empty) group.newMemberAdded = true;
  group.add(member);
  park(member, resolve);
  // A new member cannot heartbeat while its join is parked, and a client that gave up may simply
  // retry with a new id: such defunct joins are dropped after the new-member timeout.
  mgr.rescheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
  mgr.maybePrepareRebalanceOrCompleteJoin(group, `adding new member ${memberId} with group instance id ${p.groupInstanceId}; client reason: ${p.reason ?? 'not provided'}`);
}

function updateMember(mgr: ClassicGroupManager, group: ClassicGroup, member: ClassicGroupMember, p: JoinGroupParams, reason: string, resolve: Resolve): void {
  group.updateProtocols(member, copyProtocols(p.protocols));
  member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
  member.sessionTimeoutMs = p.sessionTimeoutMs;
  park(member, resolve);
  mgr.maybePrepareRebalanceOrCompleteJoin(group, reason);
}

/** A static member rejoining with an unknown member id: its old id is fenced and replaced. */
function replaceStaticMember(mgr: ClassicGroupManager, group: ClassicGroup, p: JoinGroupParams, old: ClassicGroupMember, newMemberId: string, resolve: Resolve): void {
  const instanceId = p.groupInstanceId!;
  const previousLeader = group.leaderId;
  mgr.log.info({ group: group.groupId, instance: instanceId, oldMember: old.memberId, member: newMemberId, state: group.state }, 'static member rejoins: replacing its member id');
  old.completeJoin(joinError(old.memberId, ErrorCode.FENCED_INSTANCE_ID));
  old.completeSync({ errorCode: ErrorCode.FENCED_INSTANCE_ID, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) });
  mgr.deps.timers.cancel(heartbeatKey(group.groupId, old.memberId));
  const replacement = new ClassicGroupMember(newMemberId, instanceId, old.clientId, old.clientHost, old.rebalanceTimeoutMs, old.sessionTimeoutMs, old.protocolType, old.protocols, old.assignment);
  group.replaceStaticMember(instanceId, old, replacement);
  mgr.rescheduleHeartbeat(group, replacement);
  const before = { protocols: replacement.protocols, rebalanceTimeoutMs: replacement.rebalanceTimeoutMs, sessionTimeoutMs: replacement.sessionTimeoutMs };
  group.updateProtocols(replacement, copyProtocols(p.protocols));
  replacement.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
  replacement.sessionTimeoutMs = p.sessionTimeoutMs;
  replacement.joinWaiter = resolve;
  const reason = `static member ${newMemberId} with instance id ${instanceId} rejoined; client reason: ${p.reason ?? 'not provided'}`;
  if (group.is(GroupState.Stable)) {
    if (group.protocolName !== group.selectProtocol()) return mgr.maybePrepareRebalanceOrCompleteJoin(group, `${reason}, changing the group's protocol`);
    // Same protocol: no rebalance; persist the new member id, then hand back the current generation.
    void mgr.deps.writer.storeGroup(group, group.assignments()).then((code) => {
      if (code !== ErrorCode.NONE) return revertStaticReplacement(mgr, group, instanceId, old, replacement, before, previousLeader, code);
      const isLeader = group.isLeader(newMemberId);
      if (p.supportsSkipAssignment) replacement.completeJoin(currentGeneration(group, newMemberId, isLeader, isLeader));
      else replacement.completeJoin({ ...currentGeneration(group, newMemberId, false), leader: previousLeader ?? '' });
    });
    return;
  }
  // After the join phase the leader may already be assigning to the old id: rebalance again.
  if (group.is(GroupState.CompletingRebalance)) return mgr.prepareRebalance(group, reason);
  mgr.maybeCompleteJoinPhase(group);
}

function revertStaticReplacement(
  mgr: ClassicGroupManager,
  group: ClassicGroup,
  instanceId: string,
  old: ClassicGroupMember,
  replacement: ClassicGroupMember,
  before: { protocols: readonly JoinProtocol[]; rebalanceTimeoutMs: number; sessionTimeoutMs: number },
  previousLeader: string | null,
  errorCode: number,
): void {
  const waiter = replacement.joinWaiter;
  replacement.joinWaiter = undefined;
  if (group.staticMembers.get(instanceId) === replacement.memberId) {
    mgr.log.warn({ group: group.groupId, instance: instanceId, errorCode }, 'failed to persist the static member replacement: reverting to the old member id');
    const restored = new ClassicGroupMember(old.memberId, instanceId, old.clientId, old.clientHost, before.rebalanceTimeoutMs, before.sessionTimeoutMs, old.protocolType, replacement.protocols, replacement.assignment);
    group.updateProtocols(restored, before.protocols);
    group.replaceStaticMember(instanceId, replacement, restored);
    mgr.deps.timers.cancel(heartbeatKey(group.groupId, replacement.memberId));
    mgr.rescheduleHeartbeat(group, restored);
  }
  waiter?.({ ...currentGeneration(group, '', false), errorCode, leader: previousLeader ?? '' });
}
