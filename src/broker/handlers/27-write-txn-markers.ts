/**
 * WriteTxnMarkers (key 27), versions 0-1: a transaction coordinator (on this node or another)
 * writes COMMIT / ABORT markers to the partitions this node leads. Each marker is a control batch
 * appended as a coordinator's write with acks=all (broker/txn/write-txn-markers.ts); the log
 * checks its producer and coordinator epochs (INVALID_PRODUCER_EPOCH,
 * TRANSACTION_COORDINATOR_FENCED) and indexes aborted transactions. Markers written to
 * __consumer_offsets settle the producer's transactional offset commits. Partitions not led here
 * answer NOT_LEADER_OR_FOLLOWER, unknown ones UNKNOWN_TOPIC_OR_PARTITION.
 *
 * With an authorizer, only a principal with CLUSTER_ACTION on the cluster (a broker) may send them.
 */
import { WriteTxnMarkersApi } from '../../protocol/messages/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import { tpKey } from '../partitions/topic-partition.js';
import { writeTxnMarkers } from '../txn/write-txn-markers.js';

/** Kafka's request.timeout.ms, the bound on each marker's wait for the high watermark. */
const MARKER_TIMEOUT_MS = 30_000;

export const writeTxnMarkersHandler = defineHandler(WriteTxnMarkersApi, { min: 0, max: 1 }, async (req, ctx) => {
  // Only brokers send markers: with an authorizer, CLUSTER_ACTION on the cluster.
  if (!authorizeCluster(ctx, AclOperation.CLUSTER_ACTION)) {
    const refused = (m: (typeof req.markers)[number]) => m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })) }));
    return { markers: req.markers.map((m) => ({ producerId: m.producerId, topics: refused(m) })) };
  }
  const b = ctx.broker;
  const deps = { replicaManager: b.replicaManager, image: b.metadata, clock: b.clock, groups: () => b.groups, timeoutMs: MARKER_TIMEOUT_MS };
  const markers = await Promise.all(
    req.markers.map(async (m) => {
      const partitions = m.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
      const codes = await writeTxnMarkers(deps, { producerId: m.producerId, producerEpoch: m.producerEpoch, committed: m.transactionResult, coordinatorEpoch: m.coordinatorEpoch, partitions });
      return {
        producerId: m.producerId,
        topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: codes.get(tpKey(t.name, p))! })) })),
      };
    }),
  );
  return { markers };
});
