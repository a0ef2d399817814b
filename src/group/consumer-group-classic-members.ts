/**
 * Classic-protocol members of a KIP-848 consumer group, as Kafka 4 serves them so that a group
 * can move from JoinGroup/SyncGroup clients (kafkajs, librdkafka before 2.10, Java before 3.7) to
 * ConsumerGroupHeartbeat clients one member at a time (its online migration):
 *
 * - JoinGroup: the member's consumer-protocol subscription (topics, owned partitions, rack) is
 *   its heartbeat; the coordinator assigns it with the group's server-side assignor and answers at
 *   once with its member epoch as the generation and no leader, so no member computes assignments;
 * - SyncGroup: the member's current partitions, in its subscription's version; REBALANCE_IN_PROGRESS
 *   if the group moved on while it synced;
 * - Heartbeat: REBALANCE_IN_PROGRESS when it must rejoin: the group epoch moved, it must revoke
 *   partitions, or partitions it waited for are free now. An eager client gives up everything and
 *   rejoins, a cooperative one names what it still owns, and both reconcile as a KIP-848 member;
 * - LeaveGroup: the member goes and the group moves to a new epoch.
 *
 * A member told to rejoin must within its rebalance timeout, and one that joined must sync within
 * it, or it is removed; its session is its JoinGroup's session timeout.
 */
import { consumerProtocolVersion, decodeSubscription, encodeAssignment } from '../protocol/consumer-protocol.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { type JoinGroupResult, type JoinProtocol, type SyncGroupResult, joinError, syncError } from './classic-group-member.js';
import type { HeartbeatParams, LeaveGroupParams, LeaveGroupResult, SyncGroupParams } from './classic-group-manager.js';
import { CONSUMER_PROTOCOL_TYPE } from './classic-group.js';
import { partitionKey, toNamedTopicPartitions } from './consumer-group-assignors.js';
import { type ConsumerGroupManager, classicJoinKey, classicSyncKey, sameList } from './consumer-group-manager.js';
import { type ConsumerGroup, type ConsumerGroupMember, blankMember } from './consumer-group.js';
import type { ConsumerGroupRecord } from './coordinator-records.js';
import type { JoinGroupParams } from './join-group.js';

/** Kafka's ConsumerGroup.supportsClassicProtocols: type `consumer` and a protocol every classic member supports. */
function supportsProtocols(group: ConsumerGroup, protocolType: string, protocols: readonly JoinProtocol[]): boolean {
  if (protocolType !== CONSUMER_PROTOCOL_TYPE || protocols.length === 0) return false;
  const classic = [...group.members.values()].filter((m) => m.classic);
  return protocols.some((p) => classic.every((m) => m.classic!.protocols.some((q) => q.name === p.name)));
}

/** JoinGroup to a consumer group that has members. */
export async function classicJoin(mgr: ConsumerGroupManager, group: ConsumerGroup, p: JoinGroupParams): Promise<JoinGroupResult> {
  const { config, timers, topics } = mgr.deps;
  const isUnknown = p.memberId === '';
  const memberId = isUnknown ? mgr.deps.newMemberId() : p.memberId;
  let member = group.members.get(memberId);
  const previous = group.staticMember(p.groupInstanceId);
  if (previous && previous.memberId !== memberId && !isUnknown) return joinError(p.memberId, ErrorCode.FENCED_INSTANCE_ID);
  if (!member && !previous && group.members.size >= config['group.consumer.max.size']) return joinError(p.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED);
  if (member && !member.classic) return joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
  if (!supportsProtocols(group, p.protocolType, p.protocols)) return joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  if (isUnknown && p.groupInstanceId === null && p.requireKnownMemberId) return joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED);
  let subscription;
  try {
    subscription = decodeSubscription(p.protocols[0]!.metadata);
  } catch {
    return joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  }

  const records: ConsumerGroupRecord[] = [];
  let bump = false;
  let rewrite = false;
  if (previous && previous.memberId !== memberId) {
    // A static member restarted: the new id takes its place over, partitions and target, without a new group epoch.
    member = { ...previous, memberId, assigned: new Set(previous.assigned), pendingRevocation: new Set(previous.pendingRevocation) };
    mgr.replaceStaticMember(group, previous, member, records);
    rewrite = true;
  } else if (!member) {
    member = blankMember(memberId);
    group.members.set(memberId, member);
    bump = true;
  }
  const m: ConsumerGroupMember = member;
  m.instanceId = p.groupInstanceId;
  if (subscription.rackId !== null) m.rackId = subscription.rackId;
  m.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
  m.clientId = p.clientId;
  m.clientHost = p.clientHost;
  m.classic = { sessionTimeoutMs: p.sessionTimeoutMs, protocols: p.protocols.map((x) => ({ name: x.name, metadata: Buffer.from(x.metadata) })) };
  if (!sameList(subscription.topics, m.subscribedTopicNames)) {
    m.subscribedTopicNames = [...subscription.topics];
    bump = true;
  }
  const owned = new Set<string>();
  for (const t of subscription.ownedPartitions) {
    const id = topics.byName(t.topic)?.id;
    if (id !== undefined) for (const x of t.partitions) owned.add(partitionKey(id, x));
  }
  const written = await mgr.settle(group, m, owned, { bump, rewrite, memberChanged: true }, records);
  if (written !== ErrorCode.NONE) return joinError(p.memberId, written);
  timers.cancel(classicJoinKey(group.groupId, memberId));
  timers.schedule(classicSyncKey(group.groupId, memberId), p.rebalanceTimeoutMs, () => mgr.expire(group, m));
  return {
    errorCode: ErrorCode.NONE,
    generationId: m.memberEpoch,
    protocolType: CONSUMER_PROTOCOL_TYPE,
    protocolName: p.protocols[0]!.name,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

/** The classic member a request names (Kafka's validateConsumerGroupMember), or the error to answer. */
function classicMember(group: ConsumerGroup, memberId: string, instanceId: string | null): ConsumerGroupMember | number {
  let m: ConsumerGroupMember | undefined;
  if (instanceId === null) m = group.members.get(memberId);
  else {
    m = group.staticMember(instanceId);
    if (m && m.memberId !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  return m?.classic ? m : ErrorCode.UNKNOWN_MEMBER_ID;
}

/** Whether a classic member must rejoin: the group moved on, it must revoke, or what it waited for is free. */
function mustRejoin(group: ConsumerGroup, m: ConsumerGroupMember): boolean {
  return m.memberEpoch < group.groupEpoch || m.state === 'UNREVOKED_PARTITIONS' || (m.state === 'UNRELEASED_PARTITIONS' && !group.waitingOnUnreleased(m));
}

function scheduleRejoin(mgr: ConsumerGroupManager, group: ConsumerGroup, m: ConsumerGroupMember): void {
  const key = classicJoinKey(group.groupId, m.memberId);
  if (!mgr.deps.timers.has(key)) mgr.deps.timers.schedule(key, m.rebalanceTimeoutMs, () => mgr.expire(group, m));
}

/** SyncGroup from a classic member of a consumer group. */
export function classicSync(mgr: ConsumerGroupManager, group: ConsumerGroup, p: SyncGroupParams): SyncGroupResult {
  const m = classicMember(group, p.memberId, p.groupInstanceId);
  if (typeof m === 'number') return syncError(m);
  if (p.generationId !== m.memberEpoch) return syncError(ErrorCode.ILLEGAL_GENERATION);
  const protocol = m.classic!.protocols[0]!;
  if ((p.protocolType !== null && p.protocolType !== CONSUMER_PROTOCOL_TYPE) || (p.protocolName !== null && p.protocolName !== protocol.name)) return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  // A member still revoking syncs its current partitions; one the group has moved past must rejoin first.
  if (group.groupEpoch > m.memberEpoch && m.state !== 'UNREVOKED_PARTITIONS') {
    scheduleRejoin(mgr, group, m);
    return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
  }
  mgr.deps.timers.cancel(classicSyncKey(group.groupId, m.memberId));
  mgr.scheduleTimers(group, m);
  const named = toNamedTopicPartitions(m.assigned, (id) => mgr.deps.topics.byId(id)?.name);
  // The metadata parsed at the member's join, so it has its version prefix.
  return { errorCode: ErrorCode.NONE, protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: protocol.name, assignment: encodeAssignment(consumerProtocolVersion(protocol.metadata), named) };
}

/** Heartbeat from a classic member of a consumer group. */
export function classicHeartbeat(mgr: ConsumerGroupManager, group: ConsumerGroup, p: HeartbeatParams): number {
  const m = classicMember(group, p.memberId, p.groupInstanceId);
  if (typeof m === 'number') return m;
  if (p.generationId !== m.memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
  mgr.scheduleTimers(group, m);
  if (!mustRejoin(group, m)) return ErrorCode.NONE;
  scheduleRejoin(mgr, group, m);
  return ErrorCode.REBALANCE_IN_PROGRESS;
}

/** LeaveGroup naming classic members of a consumer group (by member id, or by instance id alone). */
export async function classicLeave(mgr: ConsumerGroupManager, group: ConsumerGroup, p: LeaveGroupParams): Promise<LeaveGroupResult> {
  const results: LeaveGroupResult['members'] = [];
  const writes: Promise<number>[] = [];
  for (const x of p.members) {
    const byInstance = group.staticMember(x.groupInstanceId);
    const m = x.memberId === '' && byInstance ? byInstance : classicMember(group, x.memberId, x.groupInstanceId);
    if (typeof m === 'number' || !m.classic) {
      results.push({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, errorCode: typeof m === 'number' ? m : ErrorCode.UNKNOWN_MEMBER_ID });
      continue;
    }
    writes.push(mgr.removeMember(group, m, true));
    results.push({ memberId: m.memberId, groupInstanceId: x.groupInstanceId, errorCode: ErrorCode.NONE });
  }
  const failed = (await Promise.all(writes)).find((e) => e !== ErrorCode.NONE);
  return { errorCode: failed ?? ErrorCode.NONE, members: results };
}

