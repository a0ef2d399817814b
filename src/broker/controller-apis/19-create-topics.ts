/**
 * CreateTopics (key 19), versions 2-7, on the controller listener (brokers forward theirs here in
 * an Envelope): the active controller validates each topic as Kafka does — name rules and
 * '.'/'_' collisions (INVALID_TOPIC_EXCEPTION), existing topics (TOPIC_ALREADY_EXISTS), partition
 * counts (INVALID_PARTITIONS), replication factor against the usable brokers
 * (INVALID_REPLICATION_FACTOR), manual assignments (INVALID_REPLICA_ASSIGNMENT), configs
 * (INVALID_CONFIG), a name given twice (INVALID_REQUEST) — places the replicas, and answers once
 * the records are committed (or only validates with `validateOnly`). From v5 the response carries
 * each topic's partitions, replication factor and every config with its source. Authorized as
 * Kafka's ControllerApis: CREATE on the cluster or on the topic (TOPIC_AUTHORIZATION_FAILED), the
 * configs answered only with DESCRIBE_CONFIGS on the topic.
 */
import { ZERO_UUID } from '../../common/uuid.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { type CreateTopicsResponseCreatableTopicResultInput, CreateTopicsApi } from '../../protocol/messages/index.js';
import { describeTopicConfigs } from '../config/describe.js';
import { parseTopicOverrides } from '../config/topic-configs.js';
import { AclOperation, ResourceType } from '../../security/acl.js';
import type { CreateTopicResult } from '../../controller/replication-control.js';
import { authorizeController, authorizeControllerCluster, authorizedEach } from './controller-authorization.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const controllerCreateTopicsHandler = defineControllerHandler(CreateTopicsApi, { min: 2, max: 7 }, async (req, ctx) => {
  const v5 = ctx.apiVersion >= 5;
  const failed = (name: string, errorCode: number, errorMessage: string | null): CreateTopicsResponseCreatableTopicResultInput => ({
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    ...(v5 ? { numPartitions: -1, replicationFactor: -1, configs: null } : {}),
  });
  const clusterCreate = authorizeControllerCluster(ctx, AclOperation.CREATE);
  const refused = (t: { name: string }): CreateTopicResult | undefined =>
    clusterCreate || authorizeController(ctx, AclOperation.CREATE, ResourceType.TOPIC, t.name) ? undefined : { name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
  let results;
  try {
    results = await authorizedEach(req.topics, refused, (allowed) =>
      ctx.node.controller.createTopics(
        allowed.map((t) => ({ name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, assignments: t.assignments, configs: t.configs.map((c) => [c.name, c.value] as const) })),
        req.validateOnly,
      ),
    );
  } catch (err) {
    const code = controllerErrorCode(err, ctx);
    return { throttleTimeMs: 0, topics: req.topics.map((t) => failed(t.name, code, null)) };
  }
  const topics = results.map((r): CreateTopicsResponseCreatableTopicResultInput => {
    const c = r.created;
    if (!c) return failed(r.name, r.errorCode, r.errorMessage);
    const result = { name: r.name, topicId: c.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
    if (!v5) return result;
    // The configs of a created topic only for a principal that may describe them.
    if (!authorizeController(ctx, AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, r.name)) {
      return { ...result, numPartitions: c.numPartitions, replicationFactor: c.replicationFactor, configs: null, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
    }
    const configs = describeTopicConfigs(parseTopicOverrides(Object.entries(c.configs)), ctx.node.config).map((d) => ({ name: d.name, value: d.value, readOnly: d.readOnly, configSource: d.source, isSensitive: d.isSensitive }));
    return { ...result, numPartitions: c.numPartitions, replicationFactor: c.replicationFactor, configs };
  });
  return { throttleTimeMs: 0, topics };
});
