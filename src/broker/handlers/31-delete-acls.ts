/**
 * DeleteAcls (key 31), versions 1-3 (Kafka 4's floor is 1).
 *
 * Removes every ACL binding each filter matches (as DescribeAcls matches) and answers, per filter,
 * the bindings it removed; the removal is persisted before the answer. An UNKNOWN in a filter is
 * INVALID_REQUEST for that filter; without an authorizer, SECURITY_DISABLED. The principal needs
 * ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DeleteAclsApi } from '../../protocol/messages/index.js';
import { type AclBinding, type AclBindingFilter, PatternType, aclFilterError, aclKey } from '../../security/acl.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import { NO_AUTHORIZER } from './30-create-acls.js';

export const deleteAclsHandler = defineHandler(DeleteAclsApi, { min: 1, max: 3 }, async (req, ctx) => {
  const b = ctx.broker;
  const all = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
  const authorizer = b.authorizer;
  if (!authorizer) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
  if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
  const removed = new Map<string, AclBinding>();
  const perFilter = req.filters.map((f) => {
    const filter: AclBindingFilter = {
      resourceType: f.resourceTypeFilter,
      resourceName: f.resourceNameFilter,
      patternType: f.patternTypeFilter ?? PatternType.LITERAL,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permissionType: f.permissionType,
    };
    const invalid = aclFilterError(filter);
    if (invalid) return { error: invalid, matches: [] as AclBinding[] };
    const matches = authorizer.acls(filter);
    for (const m of matches) removed.set(aclKey(m), m);
    return { error: undefined, matches };
  });
  try {
    await b.security.metadata.commit([...removed.values()].map((acl) => ({ type: 'remove-acl' as const, acl })));
  } catch (err) {
    ctx.log.error({ err }, 'could not persist the removal of ACLs');
    return all(ErrorCode.UNKNOWN_SERVER_ERROR, 'The ACLs could not be removed');
  }
  return {
    throttleTimeMs: 0,
    filterResults: perFilter.map((r) =>
      r.error !== undefined
        ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: r.error, matchingAcls: [] }
        : {
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            matchingAcls: r.matches.map((m) => ({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType, principal: m.principal, host: m.host, operation: m.operation, permissionType: m.permissionType })),
          },
    ),
  };
});
