/**
 * DeleteGroups (key 42), versions 0-2.
 *
 * Deletes Empty groups with all their committed offsets (tombstones in __consumer_offsets, so
 * they stay deleted across restarts). A group with members answers NON_EMPTY_GROUP, an unknown
 * one GROUP_ID_NOT_FOUND.
 *
 * With an authorizer, a group the principal may not DELETE answers GROUP_AUTHORIZATION_FAILED.
 */
import { DeleteGroupsApi } from '../../protocol/messages/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const deleteGroupsHandler = defineHandler(DeleteGroupsApi, { min: 0, max: 2 }, async (req, ctx) => {
  const allowed = req.groupsNames.filter((g) => authorize(ctx, AclOperation.DELETE, ResourceType.GROUP, g));
  const deleted = new Map((await ctx.broker.groups.deleteGroups(allowed)).map((r) => [r.groupId, r]));
  return {
    throttleTimeMs: 0,
    results: req.groupsNames.map((groupId) => deleted.get(groupId) ?? { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }),
  };
});
