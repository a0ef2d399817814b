/**
 * ListOffsets (key 2), versions 1-9 (Kafka 4's floor is 1; v10 is unstable in our specs).
 *
 * Per partition: EARLIEST (-2) and EARLIEST_LOCAL (-4, v8+) give the log start offset, LATEST (-1)
 * the high watermark (the last stable offset for READ_COMMITTED, the same without transactions),
 * MAX_TIMESTAMP (-3, v7+) the record with the largest timestamp, LATEST_TIERED (-5, v9+) -1 as
 * there is no tiered storage, and a timestamp the first offset whose record is at or after it
 * (-1 when there is none). A partition named twice is INVALID_REQUEST; a current leader epoch
 * newer than ours UNKNOWN_LEADER_EPOCH.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ListOffsetsApi, type ListOffsetsResponseListOffsetsPartitionResponseInput } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { type PartitionLogView, lookupLog } from '../partition-logs.js';

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;

async function lookup(log: PartitionLogView, timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint }> {
  switch (timestamp) {
    case LATEST:
      return { offset: log.acknowledgedEnd, timestamp: -1n };
    case EARLIEST:
    case EARLIEST_LOCAL:
      return { offset: log.logStartOffset, timestamp: -1n };
    case MAX_TIMESTAMP:
      return (await log.maxTimestampOffset()) ?? { offset: -1n, timestamp: -1n };
    case LATEST_TIERED:
      return { offset: -1n, timestamp: -1n };
    default:
      return (await log.offsetForTimestamp(timestamp)) ?? { offset: -1n, timestamp: -1n };
  }
}

export const listOffsetsHandler = defineHandler(ListOffsetsApi, { min: 1, max: 9 }, async (req, ctx) => {
  const b = ctx.broker;
  const v4 = ctx.apiVersion >= 4;
  const seen = new Map<string, number>();
  for (const t of req.topics) for (const p of t.partitions) seen.set(`${t.name}:${p.partitionIndex}`, (seen.get(`${t.name}:${p.partitionIndex}`) ?? 0) + 1);
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p): Promise<ListOffsetsResponseListOffsetsPartitionResponseInput> => {
          const result = (errorCode: number, offset = -1n, timestamp = -1n) => ({ partitionIndex: p.partitionIndex, errorCode, offset, timestamp, ...(v4 ? { leaderEpoch: errorCode === ErrorCode.NONE ? 0 : -1 } : {}) });
          if (seen.get(`${t.name}:${p.partitionIndex}`)! > 1) return result(ErrorCode.INVALID_REQUEST);
          const log = lookupLog(b, t.name, p.partitionIndex);
          if (typeof log === 'number') return result(log);
          if (p.currentLeaderEpoch > 0) return result(ErrorCode.UNKNOWN_LEADER_EPOCH);
          const found = await lookup(log, p.timestamp);
          return result(ErrorCode.NONE, found.offset, found.timestamp);
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
});
