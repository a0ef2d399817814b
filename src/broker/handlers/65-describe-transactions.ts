/**
 * DescribeTransactions (key 65), version 0 (kafka-transactions.sh describe): for each
 * transactional id served by this node's transaction coordinator, its state (Kafka's names:
 * Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort), producer id and
 * epoch, timeout, start time (-1 when no transaction is open) and the partitions in it. An id the
 * coordinator does not know answers TRANSACTIONAL_ID_NOT_FOUND; one whose partition of
 * __transaction_state this node does not lead NOT_COORDINATOR, one still loading
 * COORDINATOR_LOAD_IN_PROGRESS.
 *
 * Not yet: authorization (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for ids the principal cannot describe).
 */
import { DescribeTransactionsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const describeTransactionsHandler = defineHandler(DescribeTransactionsApi, { min: 0, max: 0 }, (req, ctx) => {
  const described = ctx.broker.transactions.coordinator.describeTransactions(req.transactionalIds);
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
