/**
 * ListTransactions (key 66), versions 0-1 (kafka-transactions.sh list): the transactional ids of
 * the partitions of __transaction_state this node's coordinator serves, with producer id and state,
 * filtered by state names (unknown names are echoed in unknownStateFilters), producer ids, and
 * from v1 by duration (only transactions open longer than durationFilter ms; -1 for all).
 *
 * With an authorizer, only the ids the principal may DESCRIBE are listed.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ListTransactionsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const listTransactionsHandler = defineHandler(ListTransactionsApi, { min: 0, max: 1 }, (req, ctx) => {
  // With an authorizer, only the transactional ids the principal may DESCRIBE are listed, as Kafka does.
  const r = ctx.broker.transactions.coordinator.listTransactions(req.stateFilters, req.producerIdFilters, ctx.apiVersion >= 1 ? req.durationFilter : -1n);
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters: r.unknownStateFilters, transactionStates: r.transactions.filter((t) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId)) };
});
