/**
 * AlterPartitionReassignments (key 45), version 0 (kafka-reassign-partitions.sh --execute and
 * --cancel, AdminClient.alterPartitionReassignments).
 *
 * Forwarded to the active controller (controller-apis/45-alter-partition-reassignments.ts),
 * answered once this broker's metadata reflects the change. Not implemented: v1's
 * AllowReplicationFactorChange (Kafka 4.1).
 *
 * With an authorizer, ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED), checked here before forwarding.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ApiKey, AlterPartitionReassignmentsApi, type AlterPartitionReassignmentsResponseInput } from '../../protocol/messages/index.js';
import { errorResponse } from '../faults/error-responses.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

export const alterPartitionReassignmentsHandler = defineHandler(AlterPartitionReassignmentsApi, { min: 0, max: 0 }, (req, ctx) => {
  if (!authorizeCluster(ctx, AclOperation.ALTER)) return errorResponse(ApiKey.AlterPartitionReassignments, ctx.apiVersion, req as unknown as Record<string, unknown>, ErrorCode.CLUSTER_AUTHORIZATION_FAILED) as unknown as AlterPartitionReassignmentsResponseInput;
  return ctx.broker.forwarder.forward(ctx, AlterPartitionReassignmentsApi, req, Math.max(1, req.timeoutMs));
});
