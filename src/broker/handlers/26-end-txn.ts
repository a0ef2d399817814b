/**
 * EndTxn (key 26), versions 0-4 (v5, KIP-890 part 2's epoch bump per transaction, is unstable in
 * Kafka 4.0 and not served: clients stay on transaction version 1).
 *
 * Commits or aborts the producer's transaction: answered once PrepareCommit / PrepareAbort is
 * durable in __transaction_state; the coordinator then writes the markers to every partition of
 * the transaction and CompleteCommit / CompleteAbort. Until that is done the id answers
 * CONCURRENT_TRANSACTIONS (AddPartitionsToTxn first waits for it, up to 500 ms). A retry of a completed EndTxn is NONE; the other result, or EndTxn with
 * no transaction, INVALID_TXN_STATE. PRODUCER_FENCED is answered INVALID_PRODUCER_EPOCH before v2.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { EndTxnApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const endTxnHandler = defineHandler(EndTxnApi, { min: 0, max: 4 }, async (req, ctx) => {
  let errorCode = await ctx.broker.transactions.coordinator.endTxn({ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, committed: req.committed });
  if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  return { throttleTimeMs: 0, errorCode };
});
