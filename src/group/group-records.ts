/**
 * A classic group to and from its GroupMetadata record. The record holds what survives a restart:
 * generation, protocol, leader and each member with its subscription (metadata for the chosen
 * protocol) and assignment. A loaded group with members is Stable, as in Kafka: members that are
 * still alive keep heartbeating with the same id and generation, the others expire.
 */
import { ClassicGroup } from './classic-group.js';
import { ClassicGroupMember, EMPTY_ASSIGNMENT } from './classic-group-member.js';
import type { CoordinatorRecord, GroupMetadataValue } from './coordinator-records.js';
import { GroupState } from './group-state.js';

type GroupRecord = Extract<CoordinatorRecord, { type: 'group' }>;

export function groupMetadataRecord(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): GroupRecord {
  return {
    type: 'group',
    group: group.groupId,
    value: {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: BigInt(group.currentStateTimestamp ?? -1),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadata(group.protocolName),
        assignment: assignments.get(m.memberId) ?? EMPTY_ASSIGNMENT,
      })),
    },
  };
}

export function groupTombstone(groupId: string): GroupRecord {
  return { type: 'group', group: groupId, value: null };
}

/** The group a GroupMetadata record describes, Stable if it has members, else Empty. */
export function loadGroup(groupId: string, v: GroupMetadataValue, now: number): ClassicGroup {
  const group = new ClassicGroup(groupId, now, {
    state: v.members.length > 0 ? GroupState.Stable : GroupState.Empty,
    generationId: v.generation,
    protocolType: v.protocolType === '' ? null : v.protocolType,
    protocolName: v.protocol,
    leaderId: v.leader,
    currentStateTimestamp: v.currentStateTimestamp < 0n ? null : Number(v.currentStateTimestamp),
  });
  for (const m of v.members) {
    const protocols = v.protocol === null ? [] : [{ name: v.protocol, metadata: m.subscription }];
    group.add(new ClassicGroupMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.rebalanceTimeout, m.sessionTimeout, v.protocolType, protocols, m.assignment));
  }
  if (group.leaderId !== null && !group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value ?? null;
  group.subscribedTopics = group.computeSubscribedTopics();
  return group;
}
