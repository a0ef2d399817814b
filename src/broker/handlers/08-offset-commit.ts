/**
 * OffsetCommit (key 8), versions 2-9 (Kafka 4's floor is 2).
 *
 * Stores a group's committed offsets in __consumer_offsets, answered once durable (or after
 * offsets.commit.timeout.ms with COORDINATOR_NOT_AVAILABLE). Members commit with their
 * generation and member id (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
 * REBALANCE_IN_PROGRESS during CompletingRebalance); generation -1 commits from standalone
 * consumers and tools are accepted while the group is empty or missing. Partitions of unknown
 * topics answer UNKNOWN_TOPIC_OR_PARTITION, metadata over offset.metadata.max.bytes
 * OFFSET_METADATA_TOO_LARGE. v2-v4's retentionTimeMs gives the offsets their own expiry; v9
 * answers GROUP_ID_NOT_FOUND for a member commit to a missing group.
 *
 * A KIP-848 consumer group's members commit with their member epoch (UNKNOWN_MEMBER_ID,
 * STALE_MEMBER_EPOCH); without a member (epoch -1) only while the group has no members.
 *
 * With an authorizer: a principal that may not READ the group gets GROUP_AUTHORIZATION_FAILED for
 * every partition; partitions of topics it may not READ, TOPIC_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { OffsetCommitApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const offsetCommitHandler = defineHandler(OffsetCommitApi, { min: 2, max: 9 }, async (req, ctx) => {
  const b = ctx.broker;
  const answerAll = (errorCode: number) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  });
  if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return answerAll(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const readable = new Map(req.topics.map((t) => [t.name, authorize(ctx, AclOperation.READ, ResourceType.TOPIC, t.name)]));
  const exists = (topic: string, partition: number): boolean => {
    const t = b.metadata.topic(topic);
    return t !== undefined && partition >= 0 && partition < t.partitionCount;
  };
  const known = req.topics.filter((t) => readable.get(t.name)).map((t) => ({ name: t.name, partitions: t.partitions.filter((p) => exists(t.name, p.partitionIndex)) })).filter((t) => t.partitions.length > 0);
  const results = await b.groups.commitOffsets({
    groupId: req.groupId,
    generationIdOrMemberEpoch: req.generationIdOrMemberEpoch,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    retentionTimeMs: req.retentionTimeMs,
    groupIdNotFoundIfMissing: ctx.apiVersion >= 9,
    topics: known,
  });
  // Answers in request order; a partition given twice gets the same answer twice.
  const answers = new Map(results.flatMap((t) => t.partitions.map((p) => [`${p.partitionIndex}:${t.name}`, p.errorCode] as const)));
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: !readable.get(t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : (answers.get(`${p.partitionIndex}:${t.name}`) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) })),
    })),
  };
});
