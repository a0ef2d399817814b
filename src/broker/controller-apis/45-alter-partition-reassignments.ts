/**
 * AlterPartitionReassignments (key 45), version 0, on the controller listener (brokers forward
 * theirs in an Envelope): per partition, a new target replica set starts a reassignment (or
 * completes it at once when every target replica is in the ISR), null replicas cancel one;
 * UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT (empty, duplicate or unregistered
 * brokers) and NO_REASSIGNMENT_IN_PROGRESS as Kafka answers them (controller/reassignment-control.ts).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterPartitionReassignmentsApi } from '../../protocol/messages/index.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const controllerAlterPartitionReassignmentsHandler = defineControllerHandler(AlterPartitionReassignmentsApi, { min: 0, max: 0 }, async (req, ctx) => {
  try {
    const responses = await ctx.node.controller.alterPartitionReassignments(req.topics);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: controllerErrorCode(err, ctx), errorMessage: null, responses: [] };
  }
});
