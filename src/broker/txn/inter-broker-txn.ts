/**
 * The transaction paths between brokers (BrokerTransactions' `interBroker`): WriteTxnMarkers from
 * a transaction coordinator to the leader of partitions on another node (Kafka's
 * TransactionMarkerChannelManager), and a partition leader's KIP-890 question to the coordinator
 * of a transactional id on another node (AddPartitionsToTxn v4 with verifyOnly, Kafka's
 * AddPartitionsToTxnManager). Requests go over the inter-broker listener through NodeConnections;
 * a node that cannot be reached rejects (markers are retried by the coordinator) or, for
 * verification, answers COORDINATOR_NOT_AVAILABLE (the producer retries).
 *
 * Each path has connections of its own, apart from the replica fetchers' (as Kafka's marker channel
 * and AddPartitionsToTxnManager have their own network clients): a node answers the requests of a
 * connection in order, and a marker's answer waits until the partition's followers have the marker.
 * On the fetchers' connection, a follower's fetch sent after such a marker would have its answer
 * held behind it, so the follower could not fetch the marker the answer waits for: markers and
 * fetches stood still until the marker's write timed out (30 s). A verification behind a marker,
 * or behind a fetch the leader holds for up to replica.fetch.wait.max.ms, would wait as long.
 */
import type { NodeConnections } from '../../network/node-connections.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { AddPartitionsToTxnApi, WriteTxnMarkersApi } from '../../protocol/messages/index.js';
import { tpKey } from '../partitions/topic-partition.js';
import type { InterBrokerTxn } from './broker-transactions.js';

/** The connections each path uses: not the replica fetchers', and not each other's. */
export interface InterBrokerTxnConnections {
  readonly markers: NodeConnections;
  readonly verification: NodeConnections;
}

export function networkInterBrokerTxn(connections: InterBrokerTxnConnections, timeoutMs: number): InterBrokerTxn {
  return {
    async writeTxnMarkers(nodeId, markers) {
      const res = await connections.markers.send(
        nodeId,
        WriteTxnMarkersApi,
        {
          markers: markers.map((m) => {
            const byTopic = new Map<string, number[]>();
            for (const p of m.partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
            return { producerId: m.producerId, producerEpoch: m.producerEpoch, transactionResult: m.committed, coordinatorEpoch: m.coordinatorEpoch, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) };
          }),
        },
        { version: 1, timeoutMs },
      );
      return res.markers.map((m) => new Map(m.topics.flatMap((t) => t.partitions.map((p) => [tpKey(t.name, p.partitionIndex), p.errorCode] as const))));
    },

    async verifyPartition(nodeId, transactionalId, producerId, producerEpoch, topic, partition) {
      try {
        const res = await connections.verification.send(
          nodeId,
          AddPartitionsToTxnApi,
          { transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly: true, topics: [{ name: topic, partitions: [partition] }] }] },
          { version: 4, timeoutMs },
        );
        if (res.errorCode !== ErrorCode.NONE) return res.errorCode;
        return res.resultsByTransaction[0]?.topicResults[0]?.resultsByPartition[0]?.partitionErrorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      } catch {
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    },
  };
}
