/**
 * Metadata (key 3), versions 0-12.
 *
 * Lists this broker (at the address advertised for the client's listener) and the requested
 * topics (all topics for a null list, or an empty one at v0) with their partitions, this node as
 * leader and sole replica, leader epoch 0. Topics may be asked for by name or, from v10, by id.
 * Unknown topics are created when the request allows it (v4+ flag, always before v4),
 * `auto.create.topics.enable` is on and the principal may CREATE on the cluster or the topic;
 * invalid names answer INVALID_TOPIC_EXCEPTION, unknown ids UNKNOWN_TOPIC_ID.
 *
 * With an authorizer, as Kafka: topics the principal may not DESCRIBE are left out of an
 * all-topics answer and answered TOPIC_AUTHORIZATION_FAILED when named (their existence is not
 * disclosed); a topic it may describe but not create is TOPIC_AUTHORIZATION_FAILED when it would
 * be auto-created. Authorized operations (v8+, KIP-430) are the principal's.
 *
 * Not yet: rack ids, replication (every partition is led by this node).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { type MetadataResponseMetadataResponseTopicInput, MetadataApi } from '../../protocol/messages/index.js';
import { ZERO_UUID } from '../../protocol/primitives/codec-support.js';
import type { BrokerContext } from '../broker-context.js';
import { type RequestContext, advertisedFor, defineHandler } from '../handler.js';
import type { TopicMetadata } from '../metadata/cluster-metadata.js';
import { isInternalTopic, topicNameError } from '../metadata/topic-name.js';
import { partitionStates } from '../partition-state.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, authorize, authorizeCluster, authorizedOperations } from '../security/authorize.js';
import { isTopicError } from '../topic-manager.js';

export const metadataHandler = defineHandler(MetadataApi, { min: 0, max: 12 }, async (req, ctx) => {
  const b = ctx.broker;
  const version = ctx.apiVersion;
  const allTopics = req.topics === null || (version === 0 && req.topics.length === 0);
  const autoCreate = version < 4 || req.allowAutoTopicCreation;
  const withOps = version >= 8 && req.includeTopicAuthorizedOperations;
  const describable = (name: string) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name);
  const describe = (t: TopicMetadata) => describeTopic(b, t, version, withOps ? authorizedOperations(ctx, ResourceType.TOPIC, t.name) : OPERATIONS_NOT_REQUESTED);
  let clusterCreate: boolean | undefined;
  const mayCreate = (name: string) => (clusterCreate ??= authorizeCluster(ctx, AclOperation.CREATE)) || authorize(ctx, AclOperation.CREATE, ResourceType.TOPIC, name);

  let topics: MetadataResponseMetadataResponseTopicInput[];
  if (allTopics) {
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
  const advertised = advertisedFor(ctx);
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: b.nodeId, host: advertised.host, port: advertised.port, rack: null }],
    clusterId: b.clusterId,
    controllerId: b.nodeId,
    topics,
    ...(version >= 8 && version <= 10 ? { clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? clusterOperations(ctx) : OPERATIONS_NOT_REQUESTED } : {}),
  };
});

function clusterOperations(ctx: RequestContext): number {
  return authorizedOperations(ctx, ResourceType.CLUSTER, 'kafka-cluster');
}

function describeTopic(b: BrokerContext, t: TopicMetadata, version: number, ops: number): MetadataResponseMetadataResponseTopicInput {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: isInternalTopic(t.name),
    partitions: partitionStates(b, t.name, t.partitions),
    ...(version >= 8 ? { topicAuthorizedOperations: ops } : {}),
  };
}

function missing(name: string | null, topicId: string, errorCode: number, version: number): MetadataResponseMetadataResponseTopicInput {
  return { errorCode, name, topicId, isInternal: false, partitions: [], ...(version >= 8 ? { topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED } : {}) };
}
