/**
 * AddOffsetsToTxn (key 25), versions 0-4.
 *
 * Adds the partition of __consumer_offsets that holds the group (as FindCoordinator and the group
 * coordinator place it) to the producer's transaction, so that the transaction's marker reaches
 * the offsets a following TxnOffsetCommit writes there. Errors are AddPartitionsToTxn's:
 * INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2),
 * CONCURRENT_TRANSACTIONS, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS.
 *
 * With an authorizer: WRITE on the transactional id, READ on the group.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AddOffsetsToTxnApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../common/topic-name.js';

export const addOffsetsToTxnHandler = defineHandler(AddOffsetsToTxnApi, { min: 0, max: 4 }, async (req, ctx) => {
  // With an authorizer: WRITE on the transactional id, READ on the group, as Kafka checks them.
  if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
  if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
  const b = ctx.broker;
  const partition = b.groups.partitionFor(req.groupId);
  let errorCode = await b.transactions.coordinator.addPartitions({ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch }, [{ topic: CONSUMER_OFFSETS_TOPIC, partition }]);
  if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  return { throttleTimeMs: 0, errorCode };
});
