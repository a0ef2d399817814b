/**
 * DeleteAcls (key 31), versions 1-3 (Kafka 4's floor is 1).
 *
 * Forwarded to the active controller (controller-apis/31-delete-acls.ts), which matches every
 * filter against the cluster's ACLs (as DescribeAcls matches), removes what they match from the
 * metadata log and answers, per filter, the bindings it removed; the answer comes back once this
 * broker's metadata no longer has them. An UNKNOWN in a filter is INVALID_REQUEST for that filter;
 * without an authorizer, SECURITY_DISABLED. The principal needs ALTER on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED), checked here before forwarding.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DeleteAclsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import { NO_AUTHORIZER } from './30-create-acls.js';

export const deleteAclsHandler = defineHandler(DeleteAclsApi, { min: 1, max: 3 }, async (req, ctx) => {
  const all = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
  if (!ctx.broker.authorizer) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
  if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
  return ctx.broker.forwarder.forward(ctx, DeleteAclsApi, req);
});
