/**
 * SyncGroup (key 14), versions 0-5.
 *
 * After a join phase the leader sends every member's assignment; it is persisted in
 * __consumer_offsets before anyone gets theirs, then each member's SyncGroup is answered with its
 * own (members sync before the leader wait for it). In a Stable group SyncGroup returns the
 * current assignment. Errors: REBALANCE_IN_PROGRESS (rejoin), ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL (v5 protocol type/name
 * differing from the group's).
 *
 * In a KIP-848 consumer group it serves the group's classic members (Kafka 4's online migration,
 * src/group/consumer-group-classic-members.ts).
 *
 * With an authorizer, a principal that may not READ the group gets GROUP_AUTHORIZATION_FAILED.
 */
import { SyncGroupApi } from '../../protocol/messages/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const syncGroupHandler = defineHandler(SyncGroupApi, { min: 0, max: 5 }, async (req, ctx) => {
  if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
  }
  const r = await ctx.broker.groups.syncGroup({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    protocolType: req.protocolType,
    protocolName: req.protocolName,
    assignments: req.assignments,
  });
  return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
});
