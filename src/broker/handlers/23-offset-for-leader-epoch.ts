/**
 * OffsetForLeaderEpoch (key 23), versions 2-4 (Kafka 4's floor is 2).
 *
 * Consumers use it after a leader change to detect log truncation (KIP-320). Every partition
 * here has had one leader epoch, 0: asking for epoch 0 gives the log end offset; a newer epoch
 * is answered UNDEFINED (-1, -1) as Kafka does for epochs it has not seen; a current leader
 * epoch newer than ours is UNKNOWN_LEADER_EPOCH.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { OffsetForLeaderEpochApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { lookupLog } from '../partition-logs.js';

const LEADER_EPOCH = 0;

export const offsetForLeaderEpochHandler = defineHandler(OffsetForLeaderEpochApi, { min: 2, max: 4 }, (req, ctx) => ({
  throttleTimeMs: 0,
  topics: req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const result = (errorCode: number, leaderEpoch = -1, endOffset = -1n) => ({ errorCode, partition: p.partition, leaderEpoch, endOffset });
      const log = lookupLog(ctx.broker, t.topic, p.partition);
      if (typeof log === 'number') return result(log);
      if (p.currentLeaderEpoch > LEADER_EPOCH) return result(ErrorCode.UNKNOWN_LEADER_EPOCH);
      if (p.leaderEpoch > LEADER_EPOCH || p.leaderEpoch < 0) return result(ErrorCode.NONE);
      return result(ErrorCode.NONE, LEADER_EPOCH, log.logEndOffset);
    }),
  })),
}));
