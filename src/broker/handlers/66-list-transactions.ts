/**
 * ListTransactions (key 66), versions 0-1 (kafka-transactions.sh list): the transactional ids of
 * the partitions of __transaction_state this node's coordinator serves, with producer id and state,
 * filtered by state names (unknown names are echoed in unknownStateFilters), producer ids, and
 * from v1 by duration (only transactions open longer than durationFilter ms; -1 for all).
 *
 * Not yet: authorization (only ids the principal may describe).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ListTransactionsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const listTransactionsHandler = defineHandler(ListTransactionsApi, { min: 0, max: 1 }, (req, ctx) => {
  const r = ctx.broker.transactions.coordinator.listTransactions(req.stateFilters, req.producerIdFilters, ctx.apiVersion >= 1 ? req.durationFilter : -1n);
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters: r.unknownStateFilters, transactionStates: r.transactions };
});
