/**
 * ListPartitionReassignments (key 46), version 0, on the controller listener (brokers forward
 * theirs in an Envelope): the named partitions, or every partition for null topics, that have a
 * reassignment in progress, with their replicas and the adding and removing ones. Unknown topics
 * and partitions are left out, as Kafka does.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ListPartitionReassignmentsApi } from '../../protocol/messages/index.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const controllerListPartitionReassignmentsHandler = defineControllerHandler(ListPartitionReassignmentsApi, { min: 0, max: 0 }, async (req, ctx) => {
  try {
    const topics = await ctx.node.controller.listPartitionReassignments(req.topics);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: controllerErrorCode(err, ctx), errorMessage: null, topics: [] };
  }
});
