/**
 * DescribeLogDirs (key 35), versions 1-4 (Kafka 4's floor is 1).
 *
 * One log directory (the broker's data directory) with the size of every partition asked for
 * (all partitions for a null list), and from v4 the file system's total and usable bytes.
 * Partitions this broker does not have are left out, as Kafka does.
 *
 * With an authorizer, a principal without DESCRIBE on the cluster gets no log dirs (and, v3+,
 * CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeLogDirsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

export const describeLogDirsHandler = defineHandler(DescribeLogDirsApi, { min: 1, max: 4 }, async (req, ctx) => {
  const b = ctx.broker;
  if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
  const wanted = req.topics ?? [...b.metadata.topics()].map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitionCount }, (_, p) => p) }));
  const topics = wanted
    .map((w) => ({
      name: w.topic,
      partitions: w.partitions.flatMap((p) => {
        const partition = b.replicaManager.getPartition(w.topic, p);
        return partition ? [{ partitionIndex: p, partitionSize: BigInt(partition.log.sizeInBytes), offsetLag: 0n, isFutureKey: false }] : [];
      }),
    }))
    .filter((t) => t.partitions.length > 0);
  const space = ctx.apiVersion >= 4 ? await b.disk.space(b.dataDir) : {};
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [{ errorCode: ErrorCode.NONE, logDir: b.dataDir, topics, ...space }] };
});
