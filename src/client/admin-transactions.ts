/**
 * The admin client's transaction calls, as Kafka's Admin has them: `listTransactions` asks every
 * broker (each answers for the __transaction_state partitions it coordinates), `describeTransactions`
 * asks each transactional id's coordinator, `describeProducers` asks a partition's leader for the
 * producers that wrote to it (with their open transaction's first offset).
 */
import { DescribeProducersApi, DescribeTransactionsApi, ListTransactionsApi } from '../protocol/messages/index.js';
import type { Cluster } from './cluster.js';
import { throwIfError } from './errors.js';

export interface ListedTransaction {
  transactionalId: string;
  producerId: bigint;
  /** Kafka's state name: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence. */
  state: string;
  /** The broker coordinating it. */
  coordinatorId: number;
}

export interface ListTransactionsOptions {
  /** Only transactions in these states (Kafka's names). */
  states?: readonly string[];
  /** Only transactions of these producer ids. */
  producerIds?: readonly bigint[];
  /** Only transactions open longer than this (ms; ListTransactions v1, KIP-994). */
  durationMs?: number;
}

export interface TransactionDescription {
  transactionalId: string;
  coordinatorId: number;
  state: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  /** When the transaction started (ms since the epoch), -1 with none open. */
  startTimeMs: bigint;
  /** The partitions in the transaction, by topic. */
  topics: { topic: string; partitions: number[] }[];
}

export interface ProducerState {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  /** The first offset of its open transaction in the partition, -1 with none. */
  currentTransactionStartOffset: bigint;
}

export async function listTransactions(cluster: Cluster, opts: ListTransactionsOptions = {}): Promise<ListedTransaction[]> {
  await cluster.allTopics();
  const out: ListedTransaction[] = [];
  for (const nodeId of cluster.brokers.keys()) {
    const conn = await cluster.connectionTo(nodeId);
    const v = conn.versionFor(ListTransactionsApi as never) ?? 0;
    if (opts.durationMs !== undefined && v < 1) throw new Error(`broker ${nodeId} cannot filter transactions by duration (ListTransactions v1)`);
    const res = await conn.send(ListTransactionsApi, { stateFilters: opts.states ?? [], producerIdFilters: opts.producerIds ?? [], ...(opts.durationMs !== undefined ? { durationFilter: BigInt(opts.durationMs) } : {}) });
    throwIfError(res.errorCode);
    for (const t of res.transactionStates) out.push({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState, coordinatorId: nodeId });
  }
  return out.sort((a, b) => a.transactionalId.localeCompare(b.transactionalId));
}

export async function describeTransactions(cluster: Cluster, transactionalIds: readonly string[]): Promise<TransactionDescription[]> {
  return Promise.all(
    transactionalIds.map(async (id) => {
      const [t, coordinatorId] = await cluster.withCoordinator(id, 'transaction', async (conn, nodeId) => {
        const res = await conn.send(DescribeTransactionsApi, { transactionalIds: [id] });
        throwIfError(res.transactionStates[0]!.errorCode, `transactional id ${id}`);
        return [res.transactionStates[0]!, nodeId] as const;
      });
      return {
        transactionalId: t.transactionalId,
        coordinatorId,
        state: t.transactionState,
        producerId: t.producerId,
        producerEpoch: t.producerEpoch,
        timeoutMs: t.transactionTimeoutMs,
        startTimeMs: t.transactionStartTimeMs,
        topics: t.topics.map((x) => ({ topic: x.topic, partitions: [...x.partitions].sort((a, b) => a - b) })),
      };
    }),
  );
}

export async function describeProducers(cluster: Cluster, topic: string, partition: number): Promise<ProducerState[]> {
  const conn = await cluster.leaderFor(topic, partition);
  const res = await conn.send(DescribeProducersApi, { topics: [{ name: topic, partitionIndexes: [partition] }] });
  const p = res.topics[0]?.partitions[0];
  if (!p) throw new Error(`DescribeProducers answered nothing for ${topic}-${partition}`);
  throwIfError(p.errorCode, p.errorMessage ?? `${topic}-${partition}`);
  return p.activeProducers.map((x) => ({
    producerId: x.producerId,
    producerEpoch: x.producerEpoch,
    lastSequence: x.lastSequence,
    lastTimestamp: x.lastTimestamp,
    coordinatorEpoch: x.coordinatorEpoch,
    currentTransactionStartOffset: x.currentTxnStartOffset,
  }));
}
