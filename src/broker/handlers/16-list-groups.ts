/**
 * ListGroups (key 16), versions 0-5.
 *
 * Every group this coordinator holds with its protocol type, its state (v4+, filtered by
 * `statesFilter`, case-insensitively) and its type (v5+, always "classic"; `typesFilter`).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ListGroupsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const listGroupsHandler = defineHandler(ListGroupsApi, { min: 0, max: 5 }, (req, ctx) => {
  const groups = ctx.broker.groups;
  if (!groups.isActive) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
  const version = ctx.apiVersion;
  const listed = groups.listGroups(version >= 4 ? req.statesFilter : [], version >= 5 ? req.typesFilter : []);
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: listed };
});
