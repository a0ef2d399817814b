/**
 * Heartbeat (key 12), versions 0-4.
 *
 * Keeps a member's session alive. Answers REBALANCE_IN_PROGRESS while the group rebalances (the
 * member must rejoin), ILLEGAL_GENERATION for another generation, UNKNOWN_MEMBER_ID for an
 * unknown member or group, FENCED_INSTANCE_ID for a replaced static member (v3+).
 *
 * In a KIP-848 consumer group it serves the group's classic members (Kafka 4's online migration,
 * src/group/consumer-group-classic-members.ts).
 *
 * With an authorizer, a principal that may not READ the group gets GROUP_AUTHORIZATION_FAILED.
 */
import { HeartbeatApi } from '../../protocol/messages/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const heartbeatHandler = defineHandler(HeartbeatApi, { min: 0, max: 4 }, (req, ctx) => ({
  throttleTimeMs: 0,
  errorCode: !authorize(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)
    ? ErrorCode.GROUP_AUTHORIZATION_FAILED
    : ctx.broker.groups.heartbeat({ groupId: req.groupId, generationId: req.generationId, memberId: req.memberId, groupInstanceId: req.groupInstanceId }),
}));
