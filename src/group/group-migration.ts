/**
 * Kafka 4's online migration between the two group protocols, the group's members staying on:
 *
 * - upgrade (Kafka's ConsumerGroup.fromClassicGroup): a classic group whose members use the
 *   consumer protocol becomes a consumer group when a ConsumerGroupHeartbeat member joins it. Each
 *   classic member keeps its generation as its member epoch and its assignment as its current and
 *   target partitions, so nobody stops reading; the joiner's arrival then moves the group epoch
 *   and the classic members are told to rejoin at their next heartbeat;
 * - downgrade (Kafka's ClassicGroup.fromConsumerGroup): when the last consumer-protocol member
 *   of a consumer group leaves, the classic members left become a classic group of generation =
 *   group epoch, each with its target assignment, and it rebalances.
 *
 * Both throw DecodeError when a member's consumer-protocol bytes do not parse.
 */
import { ClassicGroup, CONSUMER_PROTOCOL_TYPE } from './classic-group.js';
import { ClassicGroupMember } from './classic-group-member.js';
import { partitionKey, toNamedTopicPartitions } from './consumer-group-assignors.js';
import type { ConsumerGroupTopics } from './consumer-group-manager.js';
import { ConsumerGroup, blankMember } from './consumer-group.js';
import { consumerProtocolVersion, decodeAssignment, decodeSubscription, encodeAssignment } from '../protocol/consumer-protocol.js';
import { GroupState } from './group-state.js';

/** The consumer group a classic group's members become. */
export function consumerGroupFromClassic(classic: ClassicGroup, topics: ConsumerGroupTopics): ConsumerGroup {
  const g = new ConsumerGroup(classic.groupId);
  g.groupEpoch = g.assignmentEpoch = classic.generationId;
  for (const c of classic.members.values()) {
    const subscription = decodeSubscription(classic.protocolName === null ? (c.protocols[0]?.metadata ?? Buffer.alloc(0)) : c.metadata(classic.protocolName));
    const assigned = new Set<string>();
    for (const t of decodeAssignment(c.assignment)) {
      const id = topics.byName(t.topic)?.id;
      if (id !== undefined) for (const p of t.partitions) assigned.add(partitionKey(id, p));
    }
    g.members.set(
      c.memberId,
      Object.assign(blankMember(c.memberId), {
        instanceId: c.groupInstanceId,
        rackId: subscription.rackId,
        clientId: c.clientId,
        clientHost: c.clientHost,
        rebalanceTimeoutMs: c.rebalanceTimeoutMs,
        subscribedTopicNames: subscription.topics,
        memberEpoch: classic.generationId,
        previousMemberEpoch: classic.generationId,
        assigned,
        classic: { sessionTimeoutMs: c.sessionTimeoutMs, protocols: c.protocols },
      }),
    );
    g.targetAssignment.set(c.memberId, new Set(assigned));
  }
  return g;
}

/** The classic group a consumer group's classic members become when `leavingMemberId` goes, each assigned its target partitions. */
export function classicGroupFromConsumer(g: ConsumerGroup, leavingMemberId: string, topics: ConsumerGroupTopics, now: number): ClassicGroup {
  const classic = new ClassicGroup(g.groupId, now, { state: GroupState.Stable, generationId: g.groupEpoch, protocolType: CONSUMER_PROTOCOL_TYPE });
  for (const m of g.members.values()) {
    if (m.memberId === leavingMemberId || !m.classic) continue;
    classic.add(new ClassicGroupMember(m.memberId, m.instanceId, m.clientId, m.clientHost, m.rebalanceTimeoutMs, m.classic.sessionTimeoutMs, CONSUMER_PROTOCOL_TYPE, m.classic.protocols));
  }
  classic.protocolName = classic.selectProtocol();
  classic.subscribedTopics = classic.computeSubscribedTopics();
  for (const c of classic.members.values()) {
    const named = toNamedTopicPartitions(g.targetAssignment.get(c.memberId) ?? new Set(), (id) => topics.byId(id)?.name);
    c.assignment = encodeAssignment(consumerProtocolVersion(c.metadata(classic.protocolName)), named);
  }
  return classic;
}
