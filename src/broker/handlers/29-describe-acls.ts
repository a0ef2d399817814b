/**
 * DescribeAcls (key 29), versions 1-3 (Kafka 4's floor is 1).
 *
 * The ACL bindings a filter matches (Kafka's AclBindingFilter: ANY matches every value, MATCH the
 * patterns that apply to a named resource), grouped by resource pattern. An UNKNOWN in the filter
 * is INVALID_REQUEST; without an authorizer, SECURITY_DISABLED. The principal needs DESCRIBE on
 * the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeAclsApi, type DescribeAclsResponseDescribeAclsResourceInput } from '../../protocol/messages/index.js';
import { type AclBindingFilter, PatternType, aclFilterError } from '../../security/acl.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import { NO_AUTHORIZER } from './30-create-acls.js';

export const describeAclsHandler = defineHandler(DescribeAclsApi, { min: 1, max: 3 }, (req, ctx) => {
  const failed = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
  const authorizer = ctx.broker.authorizer;
  if (!authorizer) return failed(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
  if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
  const filter: AclBindingFilter = {
    resourceType: req.resourceTypeFilter,
    resourceName: req.resourceNameFilter,
    patternType: req.patternTypeFilter ?? PatternType.LITERAL,
    principal: req.principalFilter,
    host: req.hostFilter,
    operation: req.operation,
    permissionType: req.permissionType,
  };
  const invalid = aclFilterError(filter);
  if (invalid) return failed(ErrorCode.INVALID_REQUEST, invalid);
  const byResource = new Map<string, DescribeAclsResponseDescribeAclsResourceInput & { acls: { principal: string; host: string; operation: number; permissionType: number }[] }>();
  for (const acl of authorizer.acls(filter)) {
    const key = `${acl.resourceType}\u0000${acl.patternType}\u0000${acl.resourceName}`;
    let r = byResource.get(key);
    if (!r) byResource.set(key, (r = { resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType, acls: [] }));
    r.acls.push({ principal: acl.principal, host: acl.host, operation: acl.operation, permissionType: acl.permissionType });
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byResource.values()] };
});
