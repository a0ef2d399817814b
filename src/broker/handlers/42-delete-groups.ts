/**
 * DeleteGroups (key 42), versions 0-2.
 *
 * Deletes Empty groups with all their committed offsets (tombstones in __consumer_offsets, so
 * they stay deleted across restarts). A group with members answers NON_EMPTY_GROUP, an unknown
 * one GROUP_ID_NOT_FOUND.
 */
import { DeleteGroupsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const deleteGroupsHandler = defineHandler(DeleteGroupsApi, { min: 0, max: 2 }, async (req, ctx) => ({
  throttleTimeMs: 0,
  results: await ctx.broker.groups.deleteGroups(req.groupsNames),
}));
