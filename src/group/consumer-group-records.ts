/**
 * A KIP-848 consumer group in __consumer_offsets, in Kafka's record types, so that a coordinator
 * that loads the partition (after a restart or a failover) knows the group's members with their
 * epochs and partitions, and they go on heartbeating as before:
 *
 * - 3 ConsumerGroupMetadata: the group epoch;
 * - 5 ConsumerGroupMemberMetadata: a member's subscription, assignor, client and timeouts;
 * - 6 ConsumerGroupTargetAssignmentMetadata: the epoch of the target assignment;
 * - 7 ConsumerGroupTargetAssignmentMember: a member's target partitions;
 * - 8 ConsumerGroupCurrentMemberAssignment: a member's epochs, state and partitions.
 *
 * A member leaving is three tombstones (5, 7, 8); a group deleted, two more (3, 6).
 */
import type {
  ConsumerGroupCurrentMemberAssignmentValue,
  ConsumerGroupMemberMetadataValue,
  ConsumerGroupMetadataValue,
  ConsumerGroupTargetAssignmentMemberValue,
  ConsumerGroupTargetAssignmentMetadataValue,
} from '../protocol/coordinator/index.js';
import { partitionKey, toTopicPartitions } from './consumer-group-assignors.js';
import { ConsumerGroup, type ConsumerGroupMember, type MemberState, blankMember } from './consumer-group.js';
import type { ConsumerGroupRecord } from './coordinator-records.js';

const GROUP_METADATA = 3;
const MEMBER_METADATA = 5;
const TARGET_METADATA = 6;
const TARGET_MEMBER = 7;
const CURRENT_ASSIGNMENT = 8;

/** Kafka's MemberState values. */
const STATE_CODES: Record<MemberState, number> = { STABLE: 1, UNREVOKED_PARTITIONS: 2, UNRELEASED_PARTITIONS: 3 };

const record = (group: string, recordType: number, memberId: string | undefined, data: unknown | null): ConsumerGroupRecord => ({
  type: 'consumer-group',
  group,
  recordType,
  key: memberId === undefined ? { groupId: group } : { groupId: group, memberId },
  value: data === null ? null : { version: 0, data },
});

/** The group's epoch, its target assignment (every member's), and the given members' metadata and current assignments. */
export function groupRecords(g: ConsumerGroup, members: Iterable<ConsumerGroupMember>): ConsumerGroupRecord[] {
  const out = [record(g.groupId, GROUP_METADATA, undefined, { epoch: g.groupEpoch } satisfies ConsumerGroupMetadataValue)];
  for (const m of members) out.push(memberMetadataRecord(g, m), currentAssignmentRecord(g, m));
  for (const [memberId, target] of g.targetAssignment) out.push(record(g.groupId, TARGET_MEMBER, memberId, { topicPartitions: toTopicPartitions(target) } satisfies ConsumerGroupTargetAssignmentMemberValue));
  out.push(record(g.groupId, TARGET_METADATA, undefined, { assignmentEpoch: g.assignmentEpoch } satisfies ConsumerGroupTargetAssignmentMetadataValue));
  return out;
}

/** A member's subscription, assignor, client and timeouts (and classic protocols, for a classic member). */
export function memberMetadataRecord(g: ConsumerGroup, m: ConsumerGroupMember): ConsumerGroupRecord {
  const value: ConsumerGroupMemberMetadataValue = {
    instanceId: m.instanceId,
    rackId: m.rackId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscribedTopicNames: [...m.subscribedTopicNames],
    subscribedTopicRegex: null,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    serverAssignor: m.serverAssignor,
    classicMemberMetadata: m.classic && { sessionTimeoutMs: m.classic.sessionTimeoutMs, supportedProtocols: m.classic.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) },
  };
  return record(g.groupId, MEMBER_METADATA, m.memberId, value);
}

/** A member's epochs, state and partitions. */
export function currentAssignmentRecord(g: ConsumerGroup, m: ConsumerGroupMember): ConsumerGroupRecord {
  const value: ConsumerGroupCurrentMemberAssignmentValue = {
    memberEpoch: m.memberEpoch,
    previousMemberEpoch: m.previousMemberEpoch,
    state: STATE_CODES[m.state],
    assignedPartitions: toTopicPartitions(m.assigned),
    partitionsPendingRevocation: toTopicPartitions(m.pendingRevocation),
  };
  return record(g.groupId, CURRENT_ASSIGNMENT, m.memberId, value);
}

export function memberTombstones(groupId: string, memberId: string): ConsumerGroupRecord[] {
  return [MEMBER_METADATA, TARGET_MEMBER, CURRENT_ASSIGNMENT].map((t) => record(groupId, t, memberId, null));
}

export function groupTombstones(g: ConsumerGroup): ConsumerGroupRecord[] {
  const out = [...g.members.keys()].flatMap((id) => memberTombstones(g.groupId, id));
  out.push(record(g.groupId, TARGET_METADATA, undefined, null), record(g.groupId, GROUP_METADATA, undefined, null));
  return out;
}

const keys = (tps: readonly { topicId: string; partitions: readonly number[] }[]): Set<string> => new Set(tps.flatMap((t) => t.partitions.map((p) => partitionKey(t.topicId, p))));

/** Applies a loaded record to the groups, in log order; a tombstone of a group's metadata deletes it. */
export function replayRecord(groups: Map<string, ConsumerGroup>, r: ConsumerGroupRecord): void {
  let g = groups.get(r.group);
  if (r.recordType === GROUP_METADATA && r.value === null) {
    groups.delete(r.group);
    return;
  }
  if (!g) {
    if (r.value === null) return;
    groups.set(r.group, (g = new ConsumerGroup(r.group)));
  }
  const memberId = r.key.memberId!;
  const data = r.value?.data;
  switch (r.recordType) {
    case GROUP_METADATA:
      g.groupEpoch = (data as ConsumerGroupMetadataValue).epoch;
      return;
    case TARGET_METADATA:
      if (data) g.assignmentEpoch = (data as ConsumerGroupTargetAssignmentMetadataValue).assignmentEpoch;
      return;
    case TARGET_MEMBER:
      if (data) g.targetAssignment.set(memberId, keys((data as ConsumerGroupTargetAssignmentMemberValue).topicPartitions));
      else g.targetAssignment.delete(memberId);
      return;
    case MEMBER_METADATA: {
      if (!data) {
        g.members.delete(memberId);
        return;
      }
      const v = data as ConsumerGroupMemberMetadataValue;
      const m = memberOf(g, memberId);
      Object.assign(m, { instanceId: v.instanceId, rackId: v.rackId, clientId: v.clientId, clientHost: v.clientHost, subscribedTopicNames: v.subscribedTopicNames, rebalanceTimeoutMs: v.rebalanceTimeoutMs, serverAssignor: v.serverAssignor });
      m.classic = v.classicMemberMetadata && { sessionTimeoutMs: v.classicMemberMetadata.sessionTimeoutMs, protocols: v.classicMemberMetadata.supportedProtocols.map((p) => ({ name: p.name, metadata: p.metadata })) };
      return;
    }
    case CURRENT_ASSIGNMENT: {
      if (!data) return;
      const v = data as ConsumerGroupCurrentMemberAssignmentValue;
      const m = memberOf(g, memberId);
      const state = (Object.keys(STATE_CODES) as MemberState[]).find((s) => STATE_CODES[s] === v.state) ?? 'STABLE';
      Object.assign(m, { memberEpoch: v.memberEpoch, previousMemberEpoch: v.previousMemberEpoch, state, assigned: keys(v.assignedPartitions), pendingRevocation: keys(v.partitionsPendingRevocation) });
    }
  }
}

function memberOf(g: ConsumerGroup, memberId: string): ConsumerGroupMember {
  let m = g.members.get(memberId);
  if (!m) g.members.set(memberId, (m = blankMember(memberId)));
  return m;
}
