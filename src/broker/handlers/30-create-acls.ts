/**
 * CreateAcls (key 30), versions 1-3 (Kafka 4's floor is 1).
 *
 * Forwarded to the active controller (controller-apis/30-create-acls.ts), which validates each
 * binding as Kafka's AclControlManager does (INVALID_REQUEST with the reason), treats an ACL that
 * exists already as a success, and writes new ones to the metadata log; the answer comes back once
 * this broker's metadata (and so its authorizer) has them, and every other broker enforces them
 * once its metadata catches up. Without an authorizer: SECURITY_DISABLED. The principal needs ALTER
 * on the cluster (CLUSTER_AUTHORIZATION_FAILED), checked here before forwarding.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { CreateAclsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

export const NO_AUTHORIZER = 'No Authorizer is configured.';

export const createAclsHandler = defineHandler(CreateAclsApi, { min: 1, max: 3 }, async (req, ctx) => {
  const all = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
  if (!ctx.broker.authorizer) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
  if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
  return ctx.broker.forwarder.forward(ctx, CreateAclsApi, req);
});
