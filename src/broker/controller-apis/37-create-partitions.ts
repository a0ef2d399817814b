/**
 * CreatePartitions (key 37), versions 0-3, on the controller listener (brokers forward theirs here
 * in an Envelope): grows a topic to `count` partitions (never shrinks: INVALID_PARTITIONS), placing
 * the new replicas or taking explicit assignments, which must name registered brokers and match
 * the number of new partitions (INVALID_REPLICA_ASSIGNMENT). A topic named twice is
 * INVALID_REQUEST; `validateOnly` checks without changing anything. Authorized as Kafka's
 * ControllerApis: ALTER on the cluster or on the topic (TOPIC_AUTHORIZATION_FAILED).
 */
import { CreatePartitionsApi } from '../../protocol/messages/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { AclOperation, ResourceType } from '../../security/acl.js';
import { authorizeController, authorizeControllerCluster, authorizedEach } from './controller-authorization.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const controllerCreatePartitionsHandler = defineControllerHandler(CreatePartitionsApi, { min: 0, max: 3 }, async (req, ctx) => {
  try {
    const clusterAlter = authorizeControllerCluster(ctx, AclOperation.ALTER);
    const refused = (t: { name: string }): { name: string; errorCode: number; errorMessage: string | null } | undefined =>
      clusterAlter || authorizeController(ctx, AclOperation.ALTER, ResourceType.TOPIC, t.name) ? undefined : { name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
    const results = await authorizedEach(req.topics, refused, (allowed) =>
      ctx.node.controller.createPartitions(
        allowed.map((t) => ({ name: t.name, count: t.count, assignments: t.assignments?.map((a) => a.brokerIds) ?? null })),
        req.validateOnly,
      ),
    );
    return { throttleTimeMs: 0, results };
  } catch (err) {
    const errorCode = controllerErrorCode(err, ctx);
    return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
  }
});
