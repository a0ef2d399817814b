/**
 * DescribeTopicPartitions (key 75), version 0 (KIP-966).
 *
 * Like Metadata but paginated, from the metadata image: the named topics (all topics, sorted by
 * name, for an empty list) with their partitions, at most `responsePartitionLimit` partitions per
 * response (capped at 2,000 as Kafka does), resuming from `cursor`; `nextCursor` says where the
 * next page starts. Unknown topics answer UNKNOWN_TOPIC_OR_PARTITION, invalid names
 * INVALID_TOPIC_EXCEPTION. Eligible leader replicas are not tracked (null).
 *
 * With an authorizer, topics the principal may not DESCRIBE are left out of an all-topics answer
 * and answered TOPIC_AUTHORIZATION_FAILED when named; authorized operations are the principal's.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { type DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopicInput, DescribeTopicPartitionsApi } from '../../protocol/messages/index.js';
import { ZERO_UUID } from '../../protocol/primitives/codec-support.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize, authorizedOperations } from '../security/authorize.js';
import { isInternalTopic, topicNameError } from '../../common/topic-name.js';
import { partitionStates } from '../metadata/cluster-view.js';

const MAX_PARTITIONS_PER_RESPONSE = 2000;

export const describeTopicPartitionsHandler = defineHandler(DescribeTopicPartitionsApi, { min: 0, max: 0 }, (req, ctx) => {
  const b = ctx.broker;
  const listAll = req.topics.length === 0;
  const describable = (name: string) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name);
  let names = listAll ? [...b.metadata.topics()].map((t) => t.name).filter(describable) : [...new Set(req.topics.map((t) => t.name))];
  names.sort();
  if (req.cursor) names = names.filter((n) => n >= req.cursor!.topicName);
  let budget = Math.max(1, Math.min(req.responsePartitionLimit, MAX_PARTITIONS_PER_RESPONSE));
  const topics: DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopicInput[] = [];
  let nextCursor: { topicName: string; partitionIndex: number } | null = null;
  for (const name of names) {
    if (!listAll && !describable(name)) {
      topics.push({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId: ZERO_UUID, isInternal: false, partitions: [] });
      continue;
    }
    const topic = b.metadata.topic(name);
    if (!topic) {
      const errorCode = topicNameError(name) ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      topics.push({ errorCode, name, topicId: ZERO_UUID, isInternal: false, partitions: [] });
      continue;
    }
    if (budget === 0) {
      nextCursor = { topicName: name, partitionIndex: 0 };
      break;
    }
    const from = req.cursor && req.cursor.topicName === name ? Math.max(0, req.cursor.partitionIndex) : 0;
    const to = Math.min(topic.partitionCount, from + budget);
    const partitions = partitionStates(b.metadata, topic, ctx.listenerName, { from, to, errorUnavailableListeners: true }).map((p) => ({ ...p, eligibleLeaderReplicas: null, lastKnownElr: null }));
    budget -= to - from;
    topics.push({ errorCode: ErrorCode.NONE, name, topicId: topic.id, isInternal: isInternalTopic(name), partitions, topicAuthorizedOperations: authorizedOperations(ctx, ResourceType.TOPIC, name) });
    if (to < topic.partitionCount) {
      nextCursor = { topicName: name, partitionIndex: to };
      break;
    }
  }
  return { throttleTimeMs: 0, topics, nextCursor };
});
