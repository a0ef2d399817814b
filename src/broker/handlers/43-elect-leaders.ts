/**
 * ElectLeaders (key 43), versions 0-2 (kafka-leader-election.sh, AdminClient.electLeaders).
 *
 * Forwarded to the active controller (controller-apis/43-elect-leaders.ts: preferred elections,
 * and unclean ones for partitions whose leader is unavailable), answered once this broker's metadata reflects the new leaders.
 *
 * With an authorizer, ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED), checked here before forwarding.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ApiKey, ElectLeadersApi, type ElectLeadersResponseInput } from '../../protocol/messages/index.js';
import { errorResponse } from '../faults/error-responses.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

export const electLeadersHandler = defineHandler(ElectLeadersApi, { min: 0, max: 2 }, (req, ctx) => {
  if (!authorizeCluster(ctx, AclOperation.ALTER)) return errorResponse(ApiKey.ElectLeaders, ctx.apiVersion, req as unknown as Record<string, unknown>, ErrorCode.CLUSTER_AUTHORIZATION_FAILED) as unknown as ElectLeadersResponseInput;
  return ctx.broker.forwarder.forward(ctx, ElectLeadersApi, req, Math.max(1, req.timeoutMs));
});
