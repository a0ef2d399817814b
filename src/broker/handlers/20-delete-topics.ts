/**
 * DeleteTopics (key 20), versions 1-6 (Kafka 4's floor is 1).
 *
 * Forwarded to the active controller (controller-apis/20-delete-topics.ts: by name, or from v6 by
 * name or id; UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID, TOPIC_DELETION_DISABLED,
 * INVALID_REQUEST); the answer comes back once this broker's metadata no longer has the topics
 * (their logs here are being deleted).
 *
 * With an authorizer, a topic needs DELETE (TOPIC_AUTHORIZATION_FAILED, answered here:
 * security/forward-checked.ts); one named by id that the principal may not DESCRIBE is refused
 * without its name. Under a `controller_mutation_rate` quota, v5+ requests get
 * THROTTLING_QUOTA_EXCEEDED for topics beyond it.
 */
import { ZERO_UUID } from '../../common/uuid.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { type DeleteTopicsResponseDeletableTopicResultInput, DeleteTopicsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';
import { forwardChecked } from '../security/forward-checked.js';
import { MutationQuota, THROTTLED_MESSAGE } from '../security/throttle.js';

export const deleteTopicsHandler = defineHandler(DeleteTopicsApi, { min: 1, max: 6 }, async (req, ctx) => {
  const b = ctx.broker;
  const timeoutMs = Math.max(1, req.timeoutMs);
  if (!b.authorizer && !b.security.quotas.active) return b.forwarder.forward(ctx, DeleteTopicsApi, req, timeoutMs);
  const v6 = ctx.apiVersion >= 6;
  const quota = new MutationQuota(ctx, ctx.apiVersion >= 5);
  const wanted = v6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  const res = await forwardChecked(ctx, DeleteTopicsApi, {
    items: wanted,
    local: ({ name, topicId }): DeleteTopicsResponseDeletableTopicResultInput | undefined => {
      const result = (errorCode: number, errorMessage: string | null, n: string | null, id: string) => ({ name: n, topicId: v6 ? id : ZERO_UUID, errorCode, errorMessage });
      if (name !== null && topicId !== ZERO_UUID) return undefined; // INVALID_REQUEST from the controller
      const topic = name !== null ? b.metadata.topic(name) : b.metadata.topicById(topicId);
      // Named by id and not describable: refused without its name (ids are not secret).
      if (name === null && topic && !authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, topic.name)) return result(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, null, topicId);
      const topicName = name ?? topic?.name;
      if (topicName !== undefined && !authorize(ctx, AclOperation.DELETE, ResourceType.TOPIC, topicName)) return result(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, topicName, topic?.id ?? topicId);
      if (topic && !quota.admit(topic.partitionCount)) return result(ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE, topic.name, topic.id);
      return undefined;
    },
    withItems: (items) => (v6 ? { ...req, topics: items } : { ...req, topicNames: items.map((t) => t.name!) }),
    resultsOf: (r) => r.responses as DeleteTopicsResponseDeletableTopicResultInput[],
    respond: (responses, r) => ({ throttleTimeMs: Math.max(quota.throttleTimeMs, r?.throttleTimeMs ?? 0), responses }) as never,
    timeoutMs,
  });
  return res;
});
