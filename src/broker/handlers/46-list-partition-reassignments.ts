/**
 * ListPartitionReassignments (key 46), version 0 (kafka-reassign-partitions.sh --verify/--list,
 * AdminClient.listPartitionReassignments).
 *
 * Forwarded to the active controller (controller-apis/46-list-partition-reassignments.ts): the
 * named partitions (or all, for null topics) with a reassignment in progress.
 */
import { ListPartitionReassignmentsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const listPartitionReassignmentsHandler = defineHandler(ListPartitionReassignmentsApi, { min: 0, max: 0 }, (req, ctx) =>
  ctx.broker.forwarder.forward(ctx, ListPartitionReassignmentsApi, req, Math.max(1, req.timeoutMs)),
);
