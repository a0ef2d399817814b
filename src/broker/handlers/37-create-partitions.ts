/**
 * CreatePartitions (key 37), versions 0-3.
 *
 * Grows a topic to `count` partitions (never shrinks: INVALID_PARTITIONS), with optional
 * explicit assignments for the new partitions, which must name live brokers and match the new
 * partition count (INVALID_REPLICA_ASSIGNMENT). A topic named twice is INVALID_REQUEST.
 * `validateOnly` checks without changing anything.
 *
 * With an authorizer, a topic needs ALTER (TOPIC_AUTHORIZATION_FAILED). Under a
 * `controller_mutation_rate` quota, the partitions added take tokens; v3+ requests beyond it get
 * THROTTLING_QUOTA_EXCEEDED.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { CreatePartitionsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';
import { MutationQuota, THROTTLED_MESSAGE } from '../security/throttle.js';

export const createPartitionsHandler = defineHandler(CreatePartitionsApi, { min: 0, max: 3 }, async (req, ctx) => {
  const b = ctx.broker;
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const quota = new MutationQuota(ctx, ctx.apiVersion >= 3, !req.validateOnly);
  const results = [];
  for (const t of req.topics) {
    const fail = (errorCode: number, errorMessage: string) => ({ name: t.name, errorCode, errorMessage });
    if (counts.get(t.name)! > 1) {
      results.push(fail(ErrorCode.INVALID_REQUEST, `Duplicate topic in request: ${t.name}`));
      continue;
    }
    if (!authorize(ctx, AclOperation.ALTER, ResourceType.TOPIC, t.name)) {
      results.push(fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.'));
      continue;
    }
    const current = b.metadata.topic(t.name)?.partitions;
    if (t.assignments !== null && current !== undefined) {
      if (t.assignments.length !== t.count - current) {
        results.push(fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${t.count - current} but ${t.assignments.length} assignments provided.`));
        continue;
      }
      const unknown = t.assignments.flatMap((a) => a.brokerIds).find((id) => id !== b.nodeId);
      if (unknown !== undefined) {
        results.push(fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${unknown} in the assignment`));
        continue;
      }
    }
    if (current !== undefined && t.count > current && !quota.admit(t.count - current)) {
      results.push(fail(ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE));
      continue;
    }
    const error = await b.topics.createPartitions(t.name, t.count, req.validateOnly);
    results.push(error ? fail(error.errorCode, error.errorMessage) : { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
  }
  return { throttleTimeMs: quota.throttleTimeMs, results };
});
