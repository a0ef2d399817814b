/**
 * ListPartitionReassignments (key 46), version 0 (kafka-reassign-partitions.sh --verify/--list,
 * AdminClient.listPartitionReassignments).
 *
 * Forwarded to the active controller (controller-apis/46-list-partition-reassignments.ts): the
 * named partitions (or all, for null topics) with a reassignment in progress.
 *
 * With an authorizer, DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED), checked here before forwarding.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ApiKey, ListPartitionReassignmentsApi, type ListPartitionReassignmentsResponseInput } from '../../protocol/messages/index.js';
import { errorResponse } from '../faults/error-responses.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

export const listPartitionReassignmentsHandler = defineHandler(ListPartitionReassignmentsApi, { min: 0, max: 0 }, (req, ctx) => {
  if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return errorResponse(ApiKey.ListPartitionReassignments, ctx.apiVersion, req as unknown as Record<string, unknown>, ErrorCode.CLUSTER_AUTHORIZATION_FAILED) as unknown as ListPartitionReassignmentsResponseInput;
  return ctx.broker.forwarder.forward(ctx, ListPartitionReassignmentsApi, req, Math.max(1, req.timeoutMs));
});
