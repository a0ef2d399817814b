/**
 * DeleteTopics (key 20), versions 1-6, on the controller listener (brokers forward theirs here in
 * an Envelope): topics by name, or from v6 by name or id, leave the metadata (RemoveTopicRecord;
 * every broker then deletes its replicas' logs). UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID
 * for topics that do not exist, TOPIC_DELETION_DISABLED when `delete.topic.enable` is off,
 * INVALID_REQUEST for an entry naming both a name and an id. Authorized as Kafka's ControllerApis:
 * DELETE on the cluster, or DESCRIBE and DELETE on the topic (TOPIC_AUTHORIZATION_FAILED).
 */
import { ZERO_UUID } from '../../common/uuid.js';
import { DeleteTopicsApi } from '../../protocol/messages/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { AclOperation, ResourceType } from '../../security/acl.js';
import { authorizeController, authorizeControllerCluster, authorizedEach } from './controller-authorization.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const controllerDeleteTopicsHandler = defineControllerHandler(DeleteTopicsApi, { min: 1, max: 6 }, async (req, ctx) => {
  const wanted = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  const clusterDelete = authorizeControllerCluster(ctx, AclOperation.DELETE);
  const refused = ({ name, topicId }: { name: string | null; topicId: string }) => {
    const topic = name ?? ctx.node.image.topicById(topicId)?.name;
    if (clusterDelete || topic === undefined) return undefined;
    if (authorizeController(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, topic) && authorizeController(ctx, AclOperation.DELETE, ResourceType.TOPIC, topic)) return undefined;
    return { name, topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
  };
  let responses;
  try {
    responses = await authorizedEach(wanted, refused, (allowed) => ctx.node.controller.deleteTopics(allowed.map(({ name, topicId }) => ({ name, topicId }))));
  } catch (err) {
    const errorCode = controllerErrorCode(err, ctx);
    responses = wanted.map(({ name, topicId }) => ({ name, topicId, errorCode, errorMessage: null }));
  }
  return { throttleTimeMs: 0, responses: responses.map((r) => (ctx.apiVersion >= 6 ? r : { ...r, topicId: ZERO_UUID })) };
});
