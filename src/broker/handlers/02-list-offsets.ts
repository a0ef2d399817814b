/**
 * ListOffsets (key 2), versions 0-9 (v10 is unstable in our specs).
 *
 * Per partition: EARLIEST (-2) and EARLIEST_LOCAL (-4, v8+) give the log start offset, LATEST (-1)
 * the high watermark (the last stable offset for READ_COMMITTED, v2+; lookups by time and
 * MAX_TIMESTAMP then answer only below it too),
 * MAX_TIMESTAMP (-3, v7+) the record with the largest timestamp, LATEST_TIERED (-5, v9+) -1 as
 * there is no tiered storage, and a timestamp the first offset whose record is at or after it
 * (-1 when there is none). A partition named twice is INVALID_REQUEST; a current leader epoch
 * newer than the partition's UNKNOWN_LEADER_EPOCH, an older one FENCED_LEADER_EPOCH.
 *
 * v0 (deprecated in Kafka 3, removed in Kafka 4.0 by KIP-896, served here because old clients and
 * kafkajs's own specs still send it) answers a list of at most max_num_offsets offsets: Samsa
 * gives one, the offset v1 would (high watermark, log start offset, or the first offset at or
 * after the timestamp; none when there is no such record). Kafka's v0 listed segment base offsets
 * chosen by segment file modification time, up to max_num_offsets of them; the single-offset
 * answers for LATEST and EARLIEST are the same.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ListOffsetsApi, type ListOffsetsResponseListOffsetsPartitionResponseInput } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import type { Partition } from '../partitions/partition.js';
import { tpKey } from '../partitions/topic-partition.js';

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;
const READ_COMMITTED = 1;

async function lookup(p: Partition, timestamp: bigint, readCommitted: boolean): Promise<{ offset: bigint; timestamp: bigint }> {
  switch (timestamp) {
    case LATEST:
      return { offset: readCommitted ? p.lastStableOffset : p.highWatermark, timestamp: -1n };
    case EARLIEST:
    case EARLIEST_LOCAL:
      return { offset: p.logStartOffset, timestamp: -1n };
    case MAX_TIMESTAMP:
      return (await p.maxTimestampOffset(readCommitted)) ?? { offset: -1n, timestamp: -1n };
    case LATEST_TIERED:
      return { offset: -1n, timestamp: -1n };
    default:
      return (await p.offsetForTimestamp(timestamp, readCommitted)) ?? { offset: -1n, timestamp: -1n };
  }
}

export const listOffsetsHandler = defineHandler(ListOffsetsApi, { min: 0, max: 9 }, async (req, ctx) => {
  const b = ctx.broker;
  const v0 = ctx.apiVersion === 0;
  const v4 = ctx.apiVersion >= 4;
  const seen = new Map<string, number>();
  for (const t of req.topics) for (const p of t.partitions) seen.set(tpKey(t.name, p.partitionIndex), (seen.get(tpKey(t.name, p.partitionIndex)) ?? 0) + 1);
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p): Promise<ListOffsetsResponseListOffsetsPartitionResponseInput> => {
          const result = (errorCode: number, offset = -1n, timestamp = -1n, leaderEpoch = -1): ListOffsetsResponseListOffsetsPartitionResponseInput =>
            v0
              ? { partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: offset >= 0n && p.maxNumOffsets > 0 ? [offset] : [] }
              : { partitionIndex: p.partitionIndex, errorCode, offset, timestamp, ...(v4 ? { leaderEpoch } : {}) };
          if (seen.get(tpKey(t.name, p.partitionIndex))! > 1) return result(ErrorCode.INVALID_REQUEST);
          const partition = b.replicaManager.leaderPartitionOrError(t.name, p.partitionIndex, p.currentLeaderEpoch);
          if (typeof partition === 'number') return result(partition);
          const found = await lookup(partition, p.timestamp, !v0 && req.isolationLevel === READ_COMMITTED);
          return result(ErrorCode.NONE, found.offset, found.timestamp, partition.leaderEpoch);
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
});
