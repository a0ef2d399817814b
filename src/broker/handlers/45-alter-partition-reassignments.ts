/**
 * AlterPartitionReassignments (key 45), version 0 (kafka-reassign-partitions.sh --execute and
 * --cancel, AdminClient.alterPartitionReassignments).
 *
 * Forwarded to the active controller (controller-apis/45-alter-partition-reassignments.ts),
 * answered once this broker's metadata reflects the change. Not implemented: v1's
 * AllowReplicationFactorChange (Kafka 4.1).
 */
import { AlterPartitionReassignmentsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const alterPartitionReassignmentsHandler = defineHandler(AlterPartitionReassignmentsApi, { min: 0, max: 0 }, (req, ctx) =>
  ctx.broker.forwarder.forward(ctx, AlterPartitionReassignmentsApi, req, Math.max(1, req.timeoutMs)),
);
