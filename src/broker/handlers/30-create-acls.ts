/**
 * CreateAcls (key 30), versions 1-3 (Kafka 4's floor is 1).
 *
 * Adds ACL bindings to the cluster's security metadata (persisted before the answer, then in
 * force on every listener): each creation is checked as Kafka's AclControlManager checks it
 * (a concrete resource type, LITERAL or PREFIXED, a concrete operation and permission, a
 * `Type:name` principal, the cluster named kafka-cluster, an operation the resource type has) and
 * answered INVALID_REQUEST with the reason otherwise; an ACL that exists already is a success.
 * Without an authorizer: SECURITY_DISABLED. The principal needs ALTER on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { CreateAclsApi } from '../../protocol/messages/index.js';
import { type AclBinding, PatternType, aclBindingError } from '../../security/acl.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

export const NO_AUTHORIZER = 'No Authorizer is configured.';

export const createAclsHandler = defineHandler(CreateAclsApi, { min: 1, max: 3 }, async (req, ctx) => {
  const b = ctx.broker;
  const all = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
  if (!b.authorizer) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
  if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
  const bindings: AclBinding[] = req.creations.map((c) => ({
    resourceType: c.resourceType,
    resourceName: c.resourceName,
    patternType: c.resourcePatternType ?? PatternType.LITERAL,
    principal: c.principal,
    host: c.host,
    operation: c.operation,
    permissionType: c.permissionType,
  }));
  const errors = bindings.map(aclBindingError);
  const fresh = bindings.filter((acl, i) => errors[i] === undefined && !b.security.metadata.hasAcl(acl));
  try {
    await b.security.metadata.commit(fresh.map((acl) => ({ type: 'acl' as const, acl })));
  } catch (err) {
    ctx.log.error({ err }, 'could not persist ACLs');
    return all(ErrorCode.UNKNOWN_SERVER_ERROR, 'The ACLs could not be stored');
  }
  return { throttleTimeMs: 0, results: errors.map((e) => (e === undefined ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: e })) };
});
