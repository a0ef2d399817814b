/**
 * DeleteTopics (key 20), versions 1-6, on the controller listener (brokers forward theirs here in
 * an Envelope): topics by name, or from v6 by name or id, leave the metadata (RemoveTopicRecord;
 * every broker then deletes its replicas' logs). UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID
 * for topics that do not exist, TOPIC_DELETION_DISABLED when `delete.topic.enable` is off,
 * INVALID_REQUEST for an entry naming both a name and an id.
 */
import { ZERO_UUID } from '../../common/uuid.js';
import { DeleteTopicsApi } from '../../protocol/messages/index.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const controllerDeleteTopicsHandler = defineControllerHandler(DeleteTopicsApi, { min: 1, max: 6 }, async (req, ctx) => {
  const wanted = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  let responses;
  try {
    responses = await ctx.node.controller.deleteTopics(wanted.map(({ name, topicId }) => ({ name, topicId })));
  } catch (err) {
    const errorCode = controllerErrorCode(err, ctx);
    responses = wanted.map(({ name, topicId }) => ({ name, topicId, errorCode, errorMessage: null }));
  }
  return { throttleTimeMs: 0, responses: responses.map((r) => (ctx.apiVersion >= 6 ? r : { ...r, topicId: ZERO_UUID })) };
});
