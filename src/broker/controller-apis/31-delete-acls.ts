/**
 * DeleteAcls (key 31), versions 1-3, on the controller listener (brokers forward theirs in an
 * Envelope): every filter is matched against the controller's ACLs (as DescribeAcls matches:
 * ANY, MATCH, LITERAL, PREFIXED), the matched ACLs are removed with
 * RemoveAccessControlEntryRecords, and each filter is answered with the bindings it matched, once
 * committed (controller/security-control.ts). An UNKNOWN in a filter is INVALID_REQUEST for that
 * filter. The forwarding broker has checked the authorizer and ALTER on the cluster.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DeleteAclsApi } from '../../protocol/messages/index.js';
import { PatternType } from '../../security/acl.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const controllerDeleteAclsHandler = defineControllerHandler(DeleteAclsApi, { min: 1, max: 3 }, async (req, ctx) => {
  try {
    const results = await ctx.node.controller.deleteAcls(
      req.filters.map((f) => ({
        resourceType: f.resourceTypeFilter,
        resourceName: f.resourceNameFilter,
        patternType: f.patternTypeFilter ?? PatternType.LITERAL,
        principal: f.principalFilter,
        host: f.hostFilter,
        operation: f.operation,
        permissionType: f.permissionType,
      })),
    );
    return {
      throttleTimeMs: 0,
      filterResults: results.map((r) => ({
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        matchingAcls: r.matches.map((m) => ({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType, principal: m.principal, host: m.host, operation: m.operation, permissionType: m.permissionType })),
      })),
    };
  } catch (err) {
    const errorCode = controllerErrorCode(err, ctx);
    return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage: null, matchingAcls: [] })) };
  }
});
