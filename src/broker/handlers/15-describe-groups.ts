/**
 * DescribeGroups (key 15), versions 0-5.
 *
 * Each group's state, protocol type, chosen protocol and members (client id, host, static
 * instance id from v4); member metadata and assignments are given only for Stable groups, as
 * Kafka does. An unknown group is described as Dead with no error (GROUP_ID_NOT_FOUND comes with
 * v6, not served yet). Groups survive restarts, so this reads the same after one.
 *
 * With an authorizer, a group the principal may not DESCRIBE answers GROUP_AUTHORIZATION_FAILED;
 * authorized operations (v3+, KIP-430) are the principal's on each group.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeGroupsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, authorize, authorizedOperations } from '../security/authorize.js';

export const describeGroupsHandler = defineHandler(DescribeGroupsApi, { min: 0, max: 5 }, (req, ctx) => {
  const withOps = ctx.apiVersion >= 3 && req.includeAuthorizedOperations;
  const allowed = req.groups.filter((g) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g));
  const described = new Map(ctx.broker.groups.describeGroups(allowed).map((g) => [g.groupId, g]));
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => {
      const g = described.get(groupId);
      if (!g) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
      return { ...g, authorizedOperations: withOps ? authorizedOperations(ctx, ResourceType.GROUP, groupId) : OPERATIONS_NOT_REQUESTED };
    }),
  };
});
