/**
 * DescribeLogDirs (key 35), versions 1-4 (Kafka 4's floor is 1).
 *
 * One log directory (the broker's data directory) with the size of every partition asked for
 * (all partitions for a null list), and from v4 the file system's total and usable bytes.
 * Partitions this broker does not have are left out, as Kafka does.
 */
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeLogDirsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const describeLogDirsHandler = defineHandler(DescribeLogDirsApi, { min: 1, max: 4 }, async (req, ctx) => {
  const b = ctx.broker;
  const wanted = req.topics ?? [...b.metadata.topics()].map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) }));
  const topics = wanted
    .map((w) => ({
      name: w.topic,
      partitions: w.partitions.flatMap((p) => {
        const log = b.logs.getLog(w.topic, p);
        return log ? [{ partitionIndex: p, partitionSize: BigInt(log.sizeInBytes), offsetLag: 0n, isFutureKey: false }] : [];
      }),
    }))
    .filter((t) => t.partitions.length > 0);
  let space = { totalBytes: -1n, usableBytes: -1n };
  if (ctx.apiVersion >= 4) {
    const s = await statfs(b.logs.dataDir, { bigint: true });
    space = { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [{ errorCode: ErrorCode.NONE, logDir: resolve(b.logs.dataDir), topics, ...(ctx.apiVersion >= 4 ? space : {}) }] };
});
