/**
 * OffsetDelete (key 47), version 0.
 *
 * Deletes a group's committed offsets for some partitions. Topics an active consumer group
 * subscribes to answer GROUP_SUBSCRIBED_TO_TOPIC; a non-empty group of another protocol type
 * NON_EMPTY_GROUP; an unknown group GROUP_ID_NOT_FOUND; partitions of unknown topics
 * UNKNOWN_TOPIC_OR_PARTITION.
 *
 * With an authorizer: GROUP_AUTHORIZATION_FAILED without DELETE on the group; partitions of
 * topics the principal may not READ answer TOPIC_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { OffsetDeleteApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const offsetDeleteHandler = defineHandler(OffsetDeleteApi, { min: 0, max: 0 }, async (req, ctx) => {
  const b = ctx.broker;
  if (!authorize(ctx, AclOperation.DELETE, ResourceType.GROUP, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
  const readable = new Map(req.topics.map((t) => [t.name, authorize(ctx, AclOperation.READ, ResourceType.TOPIC, t.name)]));
  const exists = (topic: string, partition: number): boolean => {
    const t = b.metadata.topic(topic);
    return t !== undefined && partition >= 0 && partition < t.partitionCount;
  };
  const known = req.topics.filter((t) => readable.get(t.name)).map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex).filter((p) => exists(t.name, p)) }));
  const r = await b.groups.deleteOffsets({ groupId: req.groupId, topics: known });
  if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [] };
  const answers = new Map(r.topics.flatMap((t) => t.partitions.map((p) => [`${p.partitionIndex}:${t.name}`, p.errorCode] as const)));
  return {
    errorCode: ErrorCode.NONE,
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: !readable.get(t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : (answers.get(`${p.partitionIndex}:${t.name}`) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) })),
    })),
  };
});
