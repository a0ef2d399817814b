/**
 * DescribeTransactions (key 65), version 0 (kafka-transactions.sh describe): for each
 * transactional id served by this node's transaction coordinator, its state (Kafka's names:
 * Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort), producer id and
 * epoch, timeout, start time (-1 when no transaction is open) and the partitions in it. An id the
 * coordinator does not know answers TRANSACTIONAL_ID_NOT_FOUND; one whose partition of
 * __transaction_state this node does not lead NOT_COORDINATOR, one still loading
 * COORDINATOR_LOAD_IN_PROGRESS.
 *
 * With an authorizer, DESCRIBE on each transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeTransactionsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const describeTransactionsHandler = defineHandler(DescribeTransactionsApi, { min: 0, max: 0 }, (req, ctx) => {
  // With an authorizer, DESCRIBE on each transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), as Kafka checks it.
  const allowed = req.transactionalIds.filter((id) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, id));
  const byId = new Map(ctx.broker.transactions.coordinator.describeTransactions(allowed).map((d) => [d.transactionalId, d]));
  const refused = (transactionalId: string) => ({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, partitions: [] as { topic: string; partition: number }[] });
  const described = req.transactionalIds.map((id) => byId.get(id) ?? refused(id));
  return {
    throttleTimeMs: 0,
    transactionStates: described.map((d) => {
      const byTopic = new Map<string, number[]>();
      for (const p of d.partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      return {
        errorCode: d.errorCode,
        transactionalId: d.transactionalId,
        transactionState: d.transactionState,
        transactionTimeoutMs: d.transactionTimeoutMs,
        transactionStartTimeMs: d.transactionStartTimeMs,
        producerId: d.producerId,
        producerEpoch: d.producerEpoch,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) })),
      };
    }),
  };
});
