/**
 * AddOffsetsToTxn (key 25), versions 0-4.
 *
 * Adds the partition of __consumer_offsets that holds the group (as FindCoordinator and the group
 * coordinator place it) to the producer's transaction, so that the transaction's marker reaches
 * the offsets a following TxnOffsetCommit writes there. Errors are AddPartitionsToTxn's:
 * INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2),
 * CONCURRENT_TRANSACTIONS, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS.
 *
 * Not yet: authorization (group READ, transactional id WRITE).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AddOffsetsToTxnApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../common/topic-name.js';

export const addOffsetsToTxnHandler = defineHandler(AddOffsetsToTxnApi, { min: 0, max: 4 }, async (req, ctx) => {
  const b = ctx.broker;
  const partition = b.groups.partitionFor(req.groupId);
  let errorCode = await b.transactions.coordinator.addPartitions({ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch }, [{ topic: CONSUMER_OFFSETS_TOPIC, partition }]);
  if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  return { throttleTimeMs: 0, errorCode };
});
