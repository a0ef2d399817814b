/**
 * ConsumerGroupDescribe (key 69), version 0 (KIP-848).
 *
 * Each consumer group's state (Empty, Assigning, Reconciling, Stable), group and assignment
 * epochs, assignor, and members with their subscriptions, current and target assignments (topic
 * ids and names). An id that is not a consumer group answers GROUP_ID_NOT_FOUND ("not found", or
 * "is not a consumer group" for a classic one).
 *
 * With an authorizer, a group the principal may not DESCRIBE answers GROUP_AUTHORIZATION_FAILED;
 * authorized operations (when asked for) are the principal's on each group.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ConsumerGroupDescribeApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, authorize, authorizedOperations } from '../security/authorize.js';

export const consumerGroupDescribeHandler = defineHandler(ConsumerGroupDescribeApi, { min: 0, max: 0 }, (req, ctx) => {
  const allowed = req.groupIds.filter((g) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g));
  const described = new Map(ctx.broker.groups.describeConsumerGroups(allowed).map((g) => [g.groupId, g]));
  return {
    throttleTimeMs: 0,
    groups: req.groupIds.map((groupId) => {
      const g = described.get(groupId);
      if (!g) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
      return { ...g, authorizedOperations: req.includeAuthorizedOperations ? authorizedOperations(ctx, ResourceType.GROUP, groupId) : OPERATIONS_NOT_REQUESTED };
    }),
  };
});
