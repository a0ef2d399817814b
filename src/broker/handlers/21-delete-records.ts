/**
 * DeleteRecords (key 21), versions 0-2.
 *
 * Advances each partition's log start offset to the given offset (-1 means the high watermark),
 * making earlier records unreadable; whole segments below it are deleted by retention. An offset
 * beyond the high watermark, or negative other than -1, is OFFSET_OUT_OF_RANGE; a partition of a
 * topic whose cleanup.policy lacks delete (compacted only) is POLICY_VIOLATION, as in Kafka. The
 * response's low watermark is the new log start offset.
 *
 * With an authorizer, partitions of topics the principal may not DELETE answer
 * TOPIC_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DeleteRecordsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { PartitionError } from '../partitions/partition-error.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const deleteRecordsHandler = defineHandler(DeleteRecordsApi, { min: 0, max: 2 }, async (req, ctx) => {
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p) => {
          const result = (errorCode: number, lowWatermark = -1n) => ({ partitionIndex: p.partitionIndex, errorCode, lowWatermark });
          if (!authorize(ctx, AclOperation.DELETE, ResourceType.TOPIC, t.name)) return result(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          const partition = ctx.broker.replicaManager.leaderPartitionOrError(t.name, p.partitionIndex);
          if (typeof partition === 'number') return result(partition);
          try {
            return result(ErrorCode.NONE, await partition.deleteRecordsBefore(p.offset));
          } catch (err) {
            if (err instanceof PartitionError) return result(err.errorCode);
            ctx.log.error({ err, topic: t.name, partition: p.partitionIndex }, 'delete records failed');
            return result(ErrorCode.KAFKA_STORAGE_ERROR);
          }
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
});
