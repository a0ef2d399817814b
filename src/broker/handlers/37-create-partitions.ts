/**
 * CreatePartitions (key 37), versions 0-3.
 *
 * Forwarded to the active controller (controller-apis/37-create-partitions.ts: grow only,
 * explicit assignments naming registered brokers, `validateOnly`); the answer comes back once
 * this broker's metadata has the new partitions.
 *
 * With an authorizer, a topic needs ALTER (TOPIC_AUTHORIZATION_FAILED, answered here:
 * security/forward-checked.ts). Under a `controller_mutation_rate` quota, the partitions added
 * take tokens; v3+ requests beyond it get THROTTLING_QUOTA_EXCEEDED.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { CreatePartitionsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';
import { forwardChecked } from '../security/forward-checked.js';
import { MutationQuota, THROTTLED_MESSAGE } from '../security/throttle.js';

export const createPartitionsHandler = defineHandler(CreatePartitionsApi, { min: 0, max: 3 }, async (req, ctx) => {
  const b = ctx.broker;
  const timeoutMs = Math.max(1, req.timeoutMs);
  if (!b.authorizer && !b.security.quotas.active) return b.forwarder.forward(ctx, CreatePartitionsApi, req, timeoutMs);
  const quota = new MutationQuota(ctx, ctx.apiVersion >= 3, !req.validateOnly);
  type Result = { name: string; errorCode: number; errorMessage: string | null };
  return forwardChecked(ctx, CreatePartitionsApi, {
    items: req.topics,
    local: (t): Result | undefined => {
      if (!authorize(ctx, AclOperation.ALTER, ResourceType.TOPIC, t.name)) return { name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
      const current = b.metadata.topic(t.name)?.partitionCount;
      if (current !== undefined && t.count > current && !quota.admit(t.count - current)) return { name: t.name, errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, errorMessage: THROTTLED_MESSAGE };
      return undefined;
    },
    withItems: (topics) => ({ ...req, topics }),
    resultsOf: (r) => r.results as Result[],
    respond: (results, r) => ({ throttleTimeMs: Math.max(quota.throttleTimeMs, r?.throttleTimeMs ?? 0), results }) as never,
    timeoutMs,
  });
});
