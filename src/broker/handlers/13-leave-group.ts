/**
 * LeaveGroup (key 13), versions 0-5.
 *
 * Removes members at once, so the group rebalances without waiting for their sessions to
 * expire. v0-2 name one member and answer one error code; v3+ name several (by member id, or by
 * group.instance.id alone to remove a static member administratively) and answer per member.
 *
 * In a KIP-848 consumer group it serves the group's classic members (Kafka 4's online migration,
 * src/group/consumer-group-classic-members.ts).
 *
 * With an authorizer, a principal that may not READ the group gets GROUP_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { LeaveGroupApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const leaveGroupHandler = defineHandler(LeaveGroupApi, { min: 0, max: 5 }, async (req, ctx) => {
  const version = ctx.apiVersion;
  if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
  const members = version >= 3 ? req.members : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
  const r = await ctx.broker.groups.leaveGroup({ groupId: req.groupId, members });
  if (version >= 3) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
  // Before v3 the one error code is the top-level one, else the member's.
  const memberError = r.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
  return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : memberError };
});
