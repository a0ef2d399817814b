/**
 * DeleteTopics (key 20), versions 1-6 (Kafka 4's floor is 1).
 *
 * Deletes topics by name, or from v6 by name or id: the topic leaves the metadata at once and
 * its partition logs are removed. UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID for topics that do
 * not exist, TOPIC_DELETION_DISABLED when `delete.topic.enable` is off, INVALID_REQUEST for an
 * entry naming both a name and an id.
 *
 * With an authorizer, a topic needs DELETE (TOPIC_AUTHORIZATION_FAILED); one named by id that the
 * principal may not DESCRIBE is refused without its name. Under a `controller_mutation_rate`
 * quota, v5+ requests get THROTTLING_QUOTA_EXCEEDED for topics beyond it.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { type DeleteTopicsResponseDeletableTopicResultInput, DeleteTopicsApi } from '../../protocol/messages/index.js';
import { ZERO_UUID } from '../../protocol/primitives/codec-support.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';
import { MutationQuota, THROTTLED_MESSAGE } from '../security/throttle.js';

export const deleteTopicsHandler = defineHandler(DeleteTopicsApi, { min: 1, max: 6 }, async (req, ctx) => {
  const b = ctx.broker;
  const quota = new MutationQuota(ctx, ctx.apiVersion >= 5);
  const wanted = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  const responses = await Promise.all(
    wanted.map(async ({ name, topicId }): Promise<DeleteTopicsResponseDeletableTopicResultInput> => {
      const result = (errorCode: number, errorMessage: string | null, n: string | null = name, id = topicId) => ({ name: n, topicId: id, errorCode, errorMessage });
      if (name !== null && topicId !== ZERO_UUID) return result(ErrorCode.INVALID_REQUEST, 'A topic may be named by its name or its id, not both');
      const topic = name !== null ? b.metadata.topic(name) : b.metadata.topicById(topicId);
      if (name === null && topic && !authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, topic.name)) {
        // Named by id and not describable: refused without its name (ids are not secret).
        return result(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, null, topicId);
      }
      const topicName = name ?? topic?.name;
      if (topicName !== undefined && !authorize(ctx, AclOperation.DELETE, ResourceType.TOPIC, topicName)) return result(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, topicName, topic?.id ?? topicId);
      if (!topic) {
        return name !== null
          ? result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`)
          : result(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${topicId} does not exist`);
      }
      if (!quota.admit(topic.partitions)) return result(ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE, topic.name, topic.id);
      const error = await b.topics.delete(topic.name);
      return error ? result(error.errorCode, error.errorMessage, topic.name, topic.id) : result(ErrorCode.NONE, null, topic.name, topic.id);
    }),
  );
  return { throttleTimeMs: quota.throttleTimeMs, responses: responses.map((r) => (ctx.apiVersion >= 6 ? r : { ...r, topicId: ZERO_UUID })) };
});
