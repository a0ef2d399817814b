/**
 * AlterPartition (key 56), versions 0-3, on the controller listener: a partition's leader asks
 * for a new ISR (it shrinks after `replica.lag.time.max.ms` without a follower catching up, and
 * grows when a follower has caught up). The active controller checks the leader, its leader epoch
 * and the partition epoch, writes a PartitionChangeRecord (controller/partition-control.ts) and
 * answers once it is committed, with the partition as it then is. Versions 0-1 name topics,
 * 2-3 give their ids; version 3's broker epochs per ISR member (KIP-903) are not checked.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterPartitionApi } from '../../protocol/messages/index.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const alterPartitionHandler = defineControllerHandler(AlterPartitionApi, { min: 0, max: 3 }, async (req, ctx) => {
  const image = ctx.node.image;
  const byName = ctx.apiVersion < 2;
  const topicIdOf = (t: { topicName: string; topicId: string }) => (byName ? (image.topic(t.topicName)?.id ?? '') : t.topicId);
  const items = req.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topicId: topicIdOf(t),
      partitionIndex: p.partitionIndex,
      leaderEpoch: p.leaderEpoch,
      partitionEpoch: p.partitionEpoch,
      newIsr: ctx.apiVersion >= 3 ? p.newIsrWithEpochs.map((b) => b.brokerId) : p.newIsr,
    })),
  );
  const topic = (t: { topicName: string; topicId: string }) => (byName ? { topicName: t.topicName } : { topicId: t.topicId });
  let outcome;
  try {
    outcome = await ctx.node.controller.alterPartition(req.brokerId, req.brokerEpoch, items);
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: controllerErrorCode(err, ctx), topics: [] };
  }
  if (outcome.errorCode !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: outcome.errorCode, topics: [] };
  let n = 0;
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    topics: req.topics.map((t) => ({
      ...topic(t),
      partitions: t.partitions.map((p) => {
        const r = outcome.results[n++]!;
        const reg = r.errorCode === ErrorCode.NONE ? r.partition : undefined;
        return {
          partitionIndex: p.partitionIndex,
          errorCode: r.errorCode,
          leaderId: reg?.leader ?? -1,
          leaderEpoch: reg?.leaderEpoch ?? -1,
          isr: reg ? [...reg.isr] : [],
          leaderRecoveryState: reg?.leaderRecoveryState ?? 0,
          partitionEpoch: reg?.partitionEpoch ?? -1,
        };
      }),
    })),
  };
});
