/**
 * JoinGroup (key 11), versions 2-9 (Kafka 4's floor is 2).
 *
 * Routes to the group coordinator's classic protocol: unknown dynamic members get an id and
 * MEMBER_ID_REQUIRED (v4+) first, static members (`group.instance.id`, v5+) rejoin without a
 * rebalance, joins are answered when the join phase completes (the leader with every member's
 * metadata), a rejoining static leader may be told to skip the assignment (v9). Session timeouts
 * outside group.min/max.session.timeout.ms answer INVALID_SESSION_TIMEOUT, an empty group id
 * INVALID_GROUP_ID. The request is handed over before the first await, so joins keep the order
 * they arrived in.
 *
 * A rebalance timeout of 0 or less is taken as not given, and the session timeout stands in for
 * it, as Kafka does for v0 (which has no rebalance timeout). kafkajs's low-level Broker.joinGroup
 * sends 0 when its caller leaves the timeout out. Until KAFKA-12890 (2.8.1, 3.0) Kafka bounded the
 * wait for a member's SyncGroup by its session timeout; since then by the rebalance timeout, so
 * with 0 the member is removed the moment the join phase ends and its SyncGroup races that expiry
 * (and mostly gets UNKNOWN_MEMBER_ID). No member can sync in 0 ms: Samsa keeps the older bound.
 *
 * A JoinGroup for a KIP-848 consumer group with members makes the member a classic member of it,
 * assigned by the coordinator and answered at once without a leader (Kafka 4's online migration,
 * src/group/consumer-group-classic-members.ts); an empty consumer group becomes a classic group.
 *
 * With an authorizer, a principal that may not READ the group gets GROUP_AUTHORIZATION_FAILED.
 */
import { JoinGroupApi } from '../../protocol/messages/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const joinGroupHandler = defineHandler(JoinGroupApi, { min: 2, max: 9 }, async (req, ctx) => {
  const version = ctx.apiVersion;
  if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: version >= 7 ? null : '', leader: '', skipAssignment: false, memberId: '', members: [] };
  }
  const r = await ctx.broker.groups.joinGroup({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols,
    clientId: ctx.clientId ?? '',
    clientHost: clientHostOf(ctx.connection.remote),
    reason: req.reason,
    requireKnownMemberId: version >= 4,
    supportsSkipAssignment: version >= 9,
  });
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    // Before v7 the protocol name is not nullable: Kafka sends "" when there is none.
    protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    skipAssignment: version >= 9 && r.skipAssignment,
    memberId: r.memberId,
    members: r.members,
  };
});

/** A connection's remote address ("ip:port") as Kafka reports client hosts: "/ip". */
export function clientHostOf(remote: string): string {
  const colon = remote.lastIndexOf(':');
  return '/' + (colon < 0 ? remote : remote.slice(0, colon));
}
