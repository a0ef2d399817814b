/**
 * Metadata (key 3), versions 0-12.
 *
 * Answers from the metadata image: the unfenced brokers with an endpoint on the listener the
 * request came in on, the cluster id, a broker to send controller requests to (the active
 * controller when it is a broker, else the lowest broker: it forwards), and the requested topics
 * (all topics for a null list, or an empty one at v0) with each partition's leader, leader epoch,
 * replicas, in-sync and offline replicas (a leader not reachable on the listener:
 * LEADER_NOT_AVAILABLE, or LISTENER_NOT_FOUND from v6). Topics may be asked for by name or, from
 * v12, by id; a v10-11 request naming a topic by id (null name or an id set) answers INVALID_REQUEST
 * for every topic, as Kafka (its answer at those versions has no null name to give). Unknown topics
 * are created through the controller when the request allows it (v4+ flag, always before v4) and
 * `auto.create.topics.enable` is on; invalid names answer
 * INVALID_TOPIC_EXCEPTION, unknown ids UNKNOWN_TOPIC_ID.
 *
 * With an authorizer, as Kafka: topics the principal may not DESCRIBE are left out of an
 * all-topics answer and answered TOPIC_AUTHORIZATION_FAILED when named (their existence is not
 * disclosed); a topic it may describe but not create is TOPIC_AUTHORIZATION_FAILED when it would
 * be auto-created. Authorized operations (v8+, KIP-430) are the principal's.
 */
import type { TopicView } from '../../controller/image/metadata-image.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { type MetadataResponseMetadataResponseTopicInput, MetadataApi } from '../../protocol/messages/index.js';
import { ZERO_UUID } from '../../protocol/primitives/codec-support.js';
import { isInternalTopic, topicNameError } from '../../common/topic-name.js';
import { defineHandler } from '../handler.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, authorize, authorizeCluster, authorizedOperations } from '../security/authorize.js';
import { aliveBrokerNodes, partitionStates, reportedControllerId } from '../metadata/cluster-view.js';
import { isTopicError } from '../topic-manager.js';

export const metadataHandler = defineHandler(MetadataApi, { min: 0, max: 12 }, async (req, ctx) => {
  const b = ctx.broker;
  const version = ctx.apiVersion;
  const allTopics = req.topics === null || (version === 0 && req.topics.length === 0);
  const autoCreate = version < 4 || req.allowAutoTopicCreation;
  const withOps = version >= 8 && req.includeTopicAuthorizedOperations;
  const describable = (name: string) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name);
  let clusterCreate: boolean | undefined;
  const mayCreate = (name: string) => (clusterCreate ??= authorizeCluster(ctx, AclOperation.CREATE)) || authorize(ctx, AclOperation.CREATE, ResourceType.TOPIC, name);
  const opts = { errorUnavailableListeners: version >= 6, filterUnavailable: version === 0 };
  const describe = (t: TopicView): MetadataResponseMetadataResponseTopicInput => ({
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: isInternalTopic(t.name),
    partitions: partitionStates(b.metadata, t, ctx.listenerName, opts),
    ...(version >= 8 ? { topicAuthorizedOperations: withOps ? authorizedOperations(ctx, ResourceType.TOPIC, t.name) : OPERATIONS_NOT_REQUESTED } : {}),
  });

  let topics: MetadataResponseMetadataResponseTopicInput[];
  if (version < 12 && req.topics?.some((t) => t.name === null || t.topicId !== ZERO_UUID)) {
    topics = req.topics.map((t) => missing(t.name ?? '', t.topicId, ErrorCode.INVALID_REQUEST, version));
  } else if (allTopics) {
    topics = [...b.metadata.topics()].filter((t) => describable(t.name)).map(describe);
  } else {
    topics = await Promise.all(
      (req.topics ?? []).map(async (t): Promise<MetadataResponseMetadataResponseTopicInput> => {
        if (t.name === null) {
          const byId = b.metadata.topicById(t.topicId);
          if (!byId) return missing(null, t.topicId, ErrorCode.UNKNOWN_TOPIC_ID, version);
          // Topic ids are not secret: an unauthorized one is named as refused, without its name.
          return describable(byId.name) ? describe(byId) : missing(null, t.topicId, ErrorCode.TOPIC_AUTHORIZATION_FAILED, version);
        }
        if (!describable(t.name)) return missing(t.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED, version);
        const known = b.metadata.topic(t.name);
        if (known) return describe(known);
        if (topicNameError(t.name)) return missing(t.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION, version);
        if (!autoCreate || !b.config.bool('auto.create.topics.enable')) return missing(t.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, version);
        if (!mayCreate(t.name)) return missing(t.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED, version);
        const created = await b.topics.autoCreate(t.name);
        return isTopicError(created) ? missing(t.name, ZERO_UUID, created.errorCode, version) : describe(created);
      }),
    );
  }
  return {
    throttleTimeMs: 0,
    brokers: aliveBrokerNodes(b.metadata, ctx.listenerName),
    clusterId: b.clusterId,
    controllerId: reportedControllerId(b.metadata, b.activeControllerId),
    topics,
    ...(version >= 8 && version <= 10 ? { clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? authorizedOperations(ctx, ResourceType.CLUSTER, 'kafka-cluster') : OPERATIONS_NOT_REQUESTED } : {}),
  };
});

function missing(name: string | null, topicId: string, errorCode: number, version: number): MetadataResponseMetadataResponseTopicInput {
  return { errorCode, name, topicId, isInternal: false, partitions: [], ...(version >= 8 ? { topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED } : {}) };
}
