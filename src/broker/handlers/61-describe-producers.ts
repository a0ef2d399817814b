/**
 * DescribeProducers (key 61), version 0 (kafka-transactions.sh describe-producers, the admin
 * client's describeProducers): per partition, the producers its leader's log knows — producer id
 * and epoch, last sequence, when it was last heard of (by the broker's clock at append, where
 * Kafka reports the last batch's timestamp), the coordinator epoch of its last marker and the first
 * offset of its open transaction (-1 when none). Unknown partitions answer
 * UNKNOWN_TOPIC_OR_PARTITION, partitions not led here NOT_LEADER_OR_FOLLOWER.
 *
 * With an authorizer, READ on each topic (TOPIC_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeProducersApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const describeProducersHandler = defineHandler(DescribeProducersApi, { min: 0, max: 0 }, (req, ctx) => {
  const rm = ctx.broker.replicaManager;
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => {
      // With an authorizer, READ on the topic (TOPIC_AUTHORIZATION_FAILED), as Kafka checks it.
      const p = authorize(ctx, AclOperation.READ, ResourceType.TOPIC, t.name) ? rm.leaderPartitionOrError(t.name, partitionIndex) : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      if (typeof p === 'number') return { partitionIndex, errorCode: p, errorMessage: null, activeProducers: [] };
      return {
        partitionIndex,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        activeProducers: p.activeProducers().map((s) => ({
          producerId: s.producerId,
          producerEpoch: s.epoch,
          lastSequence: s.lastSequence,
          lastTimestamp: BigInt(s.lastTimestamp),
          coordinatorEpoch: s.coordinatorEpoch,
          currentTxnStartOffset: s.currentTxnStartOffset,
        })),
      };
    }),
  }));
  return { throttleTimeMs: 0, topics };
});
