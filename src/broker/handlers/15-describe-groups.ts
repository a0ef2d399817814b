/**
 * DescribeGroups (key 15), versions 0-5.
 *
 * Each group's state, protocol type, chosen protocol and members (client id, host, static
 * instance id from v4); member metadata and assignments are given only for Stable groups, as
 * Kafka does. An unknown group is described as Dead with no error (GROUP_ID_NOT_FOUND comes with
 * v6, not served yet). Authorized operations (v3+) are every group operation, as without an
 * authorizer. Groups survive restarts, so this reads the same after one.
 */
import { DescribeGroupsApi } from '../../protocol/messages/index.js';
import { GROUP_OPERATIONS, OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';
import { defineHandler } from '../handler.js';

export const describeGroupsHandler = defineHandler(DescribeGroupsApi, { min: 0, max: 5 }, (req, ctx) => {
  const ops = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED;
  return {
    throttleTimeMs: 0,
    groups: ctx.broker.groups.describeGroups(req.groups).map((g) => ({ ...g, authorizedOperations: ops })),
  };
});
