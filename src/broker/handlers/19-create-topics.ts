/**
 * CreateTopics (key 19), versions 2-7 (Kafka 4's floor is 2).
 *
 * Validates each topic as Kafka does — name rules and '.'/'_' collisions
 * (INVALID_TOPIC_EXCEPTION), existing topics (TOPIC_ALREADY_EXISTS), partition counts
 * (INVALID_PARTITIONS), replication factor against the live brokers (INVALID_REPLICATION_FACTOR),
 * manual assignments (INVALID_REPLICA_ASSIGNMENT), configs (INVALID_CONFIG), a name given twice
 * (INVALID_REQUEST) — then creates it, or only validates with `validateOnly`. From v5 the
 * response carries the topic's partitions, replication factor and every config with its source.
 *
 * With an authorizer, a topic needs CREATE on the cluster or on the topic
 * (TOPIC_AUTHORIZATION_FAILED); its configs are returned only with DESCRIBE_CONFIGS on it.
 * Under a `controller_mutation_rate` quota (KIP-599) topics take tokens by partition count; v6+
 * requests are refused THROTTLING_QUOTA_EXCEEDED for topics beyond it, older ones are throttled.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { type CreateTopicsResponseCreatableTopicResultInput, CreateTopicsApi } from '../../protocol/messages/index.js';
import { ZERO_UUID } from '../../protocol/primitives/codec-support.js';
import { describeTopicConfigs } from '../config/describe.js';
import { parseTopicOverrides } from '../config/topic-configs.js';
import { defineHandler } from '../handler.js';
import { isTopicError } from '../topic-manager.js';
import { AclOperation, ResourceType, authorize, authorizeCluster } from '../security/authorize.js';
import { MutationQuota, THROTTLED_MESSAGE } from '../security/throttle.js';

export const createTopicsHandler = defineHandler(CreateTopicsApi, { min: 2, max: 7 }, async (req, ctx) => {
  const b = ctx.broker;
  const version = ctx.apiVersion;
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const clusterCreate = authorizeCluster(ctx, AclOperation.CREATE);
  const quota = new MutationQuota(ctx, version >= 6, !req.validateOnly);

  const topics = await Promise.all(
    req.topics.map(async (t): Promise<CreateTopicsResponseCreatableTopicResultInput> => {
      const failed = (errorCode: number, errorMessage: string): CreateTopicsResponseCreatableTopicResultInput => ({
        name: t.name,
        topicId: ZERO_UUID,
        errorCode,
        errorMessage,
        ...(version >= 5 ? { numPartitions: -1, replicationFactor: -1, configs: null } : {}),
      });
      if (counts.get(t.name)! > 1) return failed(ErrorCode.INVALID_REQUEST, `Create topics request contains multiple entries for the topic ${t.name}`);
      if (!clusterCreate && !authorize(ctx, AclOperation.CREATE, ResourceType.TOPIC, t.name)) return failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
      const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions > 0 ? t.numPartitions : b.config.num('num.partitions');
      if (!b.metadata.topic(t.name) && !quota.admit(partitions)) return failed(ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE);
      const r = await b.topics.create(
        {
          name: t.name,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          assignments: t.assignments,
          configs: t.configs.map((c) => [c.name, c.value]),
        },
        req.validateOnly,
      );
      if (isTopicError(r)) return failed(r.errorCode, r.errorMessage);
      const result: CreateTopicsResponseCreatableTopicResultInput = { name: t.name, topicId: (r as { id?: string }).id ?? ZERO_UUID, errorCode: ErrorCode.NONE, errorMessage: null };
      if (version < 5) return result;
      if (!authorize(ctx, AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, t.name)) {
        return { ...result, numPartitions: r.partitions, replicationFactor: r.replicationFactor, configs: null, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
      }
      const configs = describeTopicConfigs(parseTopicOverrides(Object.entries(r.configs)), b.config).map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        configSource: c.source,
        isSensitive: c.isSensitive,
      }));
      return { ...result, numPartitions: r.partitions, replicationFactor: r.replicationFactor, configs };
    }),
  );
  return { throttleTimeMs: quota.throttleTimeMs, topics };
});
