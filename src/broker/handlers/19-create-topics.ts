/**
 * CreateTopics (key 19), versions 2-7 (Kafka 4's floor is 2).
 *
 * Forwarded to the active controller (cluster/forwarding.ts), which validates and creates the
 * topics (controller-apis/19-create-topics.ts: Kafka's checks and error codes, replica placement,
 * `validateOnly`); the answer comes back once this broker's metadata includes the new topics.
 *
 * With an authorizer, a topic needs CREATE on the cluster or on the topic
 * (TOPIC_AUTHORIZATION_FAILED, answered here: security/forward-checked.ts); its configs are
 * returned only with DESCRIBE_CONFIGS on it. Under a `controller_mutation_rate` quota (KIP-599)
 * topics take tokens by partition count; v6+ requests are refused THROTTLING_QUOTA_EXCEEDED for
 * topics beyond it, older ones are throttled.
 */
import { ZERO_UUID } from '../../common/uuid.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { type CreateTopicsResponseCreatableTopicResultInput, CreateTopicsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize, authorizeCluster } from '../security/authorize.js';
import { forwardChecked } from '../security/forward-checked.js';
import { MutationQuota, THROTTLED_MESSAGE } from '../security/throttle.js';

export const createTopicsHandler = defineHandler(CreateTopicsApi, { min: 2, max: 7 }, async (req, ctx) => {
  const b = ctx.broker;
  const version = ctx.apiVersion;
  const timeoutMs = Math.max(1, req.timeoutMs);
  if (!b.authorizer && !b.security.quotas.active) return b.forwarder.forward(ctx, CreateTopicsApi, req, timeoutMs);
  const clusterCreate = authorizeCluster(ctx, AclOperation.CREATE);
  const quota = new MutationQuota(ctx, version >= 6, !req.validateOnly);
  const failed = (name: string, errorCode: number, errorMessage: string): CreateTopicsResponseCreatableTopicResultInput => ({
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    ...(version >= 5 ? { numPartitions: -1, replicationFactor: -1, configs: null } : {}),
  });
  const res = await forwardChecked(ctx, CreateTopicsApi, {
    items: req.topics,
    local: (t) => {
      if (!clusterCreate && !authorize(ctx, AclOperation.CREATE, ResourceType.TOPIC, t.name)) return failed(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
      const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions > 0 ? t.numPartitions : b.config.num('num.partitions');
      if (!b.metadata.topic(t.name) && !quota.admit(partitions)) return failed(t.name, ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE);
      return undefined;
    },
    withItems: (topics) => ({ ...req, topics }),
    resultsOf: (r) => r.topics as CreateTopicsResponseCreatableTopicResultInput[],
    respond: (topics, r) => ({ throttleTimeMs: Math.max(quota.throttleTimeMs, r?.throttleTimeMs ?? 0), topics }) as never,
    timeoutMs,
  });
  // The configs of a created topic only for a principal that may describe them.
  const topics = (res.topics as CreateTopicsResponseCreatableTopicResultInput[]).map((t) =>
    version >= 5 && t.errorCode === ErrorCode.NONE && !authorize(ctx, AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, t.name) ? { ...t, configs: null, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED } : t,
  );
  return { ...res, topics };
});
