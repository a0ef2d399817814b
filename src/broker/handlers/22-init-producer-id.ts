/**
 * InitProducerId (key 22), versions 0-5: gives an idempotent producer (no transactional id) a new
 * producer id with epoch 0, as Kafka's coordinator does whatever producer id and epoch the
 * request carries. The Produce path then checks its sequences per partition.
 *
 * Not yet: transactions. A transactional id is answered INVALID_TXN_STATE, which clients treat as
 * fatal, rather than a retriable error they would wait on forever.
 *
 * With an authorizer, an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on
 * some topic (CLUSTER_AUTHORIZATION_FAILED); a transactional id needs WRITE on it
 * (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { InitProducerIdApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize, authorizeAny, authorizeCluster } from '../security/authorize.js';

export const initProducerIdHandler = defineHandler(InitProducerIdApi, { min: 0, max: 5 }, async (req, ctx) => {
  const failed = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
  if (req.transactionalId !== null) {
    return failed(authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId) ? ErrorCode.INVALID_TXN_STATE : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  }
  // Kafka: an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic.
  if (!authorizeCluster(ctx, AclOperation.IDEMPOTENT_WRITE) && !authorizeAny(ctx, AclOperation.WRITE, ResourceType.TOPIC)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  try {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await ctx.broker.producerIds.generate(), producerEpoch: 0 };
  } catch (err) {
    ctx.broker.log.error({ err }, 'could not reserve producer ids');
    return failed(ErrorCode.UNKNOWN_SERVER_ERROR);
  }
});
