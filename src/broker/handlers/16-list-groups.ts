/**
 * ListGroups (key 16), versions 0-5.
 *
 * Every group this coordinator holds with its protocol type, its state (v4+, filtered by
 * `statesFilter`, case-insensitively) and its type (v5+, "classic" or "consumer" for KIP-848
 * groups, whose protocol type is "consumer"; `typesFilter`).
 *
 * With an authorizer, a principal without DESCRIBE on the cluster sees only the groups it may
 * DESCRIBE.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ListGroupsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize, authorizeCluster } from '../security/authorize.js';

export const listGroupsHandler = defineHandler(ListGroupsApi, { min: 0, max: 5 }, (req, ctx) => {
  const groups = ctx.broker.groups;
  if (!groups.isActive) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
  const version = ctx.apiVersion;
  let listed = groups.listGroups(version >= 4 ? req.statesFilter : [], version >= 5 ? req.typesFilter : []);
  if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) listed = listed.filter((g) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId));
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: listed };
});
