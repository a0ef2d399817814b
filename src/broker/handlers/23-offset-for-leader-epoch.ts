/**
 * OffsetForLeaderEpoch (key 23), versions 2-4 (Kafka 4's floor is 2).
 *
 * Consumers use it after a leader change to detect log truncation (KIP-320): the partition layer
 * answers the end offset of the asked epoch (an epoch it has not seen is UNDEFINED, -1 and -1); a
 * current leader epoch newer than the partition's is UNKNOWN_LEADER_EPOCH, an older one
 * FENCED_LEADER_EPOCH.
 *
 * With an authorizer, partitions of topics the principal may not DESCRIBE answer
 * TOPIC_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { OffsetForLeaderEpochApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const offsetForLeaderEpochHandler = defineHandler(OffsetForLeaderEpochApi, { min: 2, max: 4 }, (req, ctx) => ({
  throttleTimeMs: 0,
  topics: req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const result = (errorCode: number, leaderEpoch = -1, endOffset = -1n) => ({ errorCode, partition: p.partition, leaderEpoch, endOffset });
      if (!authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.topic)) return result(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const partition = ctx.broker.replicaManager.leaderPartitionOrError(t.topic, p.partition, p.currentLeaderEpoch);
      if (typeof partition === 'number') return result(partition);
      const found = partition.endOffsetForEpoch(p.leaderEpoch);
      return result(ErrorCode.NONE, found.leaderEpoch, found.endOffset);
    }),
  })),
}));
