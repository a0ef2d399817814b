/**
 * InitProducerId (key 22), versions 0-5.
 *
 * Without a transactional id: an idempotent producer gets a new producer id at epoch 0, whatever
 * producer id and epoch the request carries (as Kafka's coordinator does); the Produce path then
 * checks its sequences per partition.
 *
 * With a transactional id: the transaction coordinator (src/txn) answers, creating
 * __transaction_state on first use. A new id gets a producer id at epoch 0; a known one its epoch
 * bumped, fencing the previous producer; an open transaction of the id is aborted first and
 * CONCURRENT_TRANSACTIONS answered (the client retries). transactionTimeoutMs must be in
 * (0, transaction.max.timeout.ms] (INVALID_TRANSACTION_TIMEOUT). v3+ producer id and epoch (KIP-360)
 * let a producer resume after an error; PRODUCER_FENCED is answered INVALID_PRODUCER_EPOCH before v4.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { InitProducerIdApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const initProducerIdHandler = defineHandler(InitProducerIdApi, { min: 0, max: 5 }, async (req, ctx) => {
  const failed = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
  const b = ctx.broker;
  if (req.transactionalId === null) {
    try {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await b.producerIds.generate(), producerEpoch: 0 };
    } catch (err) {
      b.log.error({ err }, 'could not reserve producer ids');
      return failed(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  }
  if (!(await b.transactions.ensureTopic())) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const r = await b.transactions.coordinator.initProducerId({
    transactionalId: req.transactionalId,
    transactionTimeoutMs: req.transactionTimeoutMs,
    producerId: ctx.apiVersion >= 3 ? req.producerId : -1n,
    producerEpoch: ctx.apiVersion >= 3 ? req.producerEpoch : -1,
  });
  const errorCode = r.errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 4 ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode;
  return { throttleTimeMs: 0, errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
});
