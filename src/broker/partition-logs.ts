/**
 * What the broker needs of the log layer. src/log's LogManager and PartitionLog provide it; the
 * broker depends on this narrow view so its handlers say exactly what they use.
 */
import { ErrorCode } from '../protocol/error-codes.js';

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The LogAppendTime given to the batches, or -1. */
  logAppendTime: bigint;
  logStartOffset: bigint;
}

export interface ReadResult {
  /** Whole record batches, zero-copy where possible. */
  chunks: Buffer[];
  bytes: number;
  highWatermark: bigint;
  logStartOffset: bigint;
}

export interface TimestampOffset {
  offset: bigint;
  timestamp: bigint;
}

export interface PartitionLogView {
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  readonly highWatermark: bigint;
  readonly sizeInBytes: number;
  /** Appends validated batches, in call order; resolves once durable per the topic's policy. */
  append(batches: Buffer, opts?: { leaderEpoch?: number; logAppendTime?: bigint }): Promise<AppendResult>;
  /** Whole batches from `offset`, up to `maxBytes` (the first batch whole when `minOneBatch`). */
  read(offset: bigint, maxBytes: number, opts?: { minOneBatch?: boolean; maxOffset?: bigint }): Promise<ReadResult>;
  /** The first record with a timestamp at or after `timestamp`. */
  offsetForTimestamp(timestamp: bigint): Promise<TimestampOffset | undefined>;
  /** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP). */
  maxTimestampOffset(): Promise<TimestampOffset | undefined>;
  /** Advances the log start offset (DeleteRecords); resolves with the new log start offset. */
  deleteRecordsBefore(offset: bigint): Promise<bigint>;
}

export interface LogsView {
  getLog(topic: string, partition: number): PartitionLogView | undefined;
  /** The directory the logs live in (DescribeLogDirs). */
  readonly dataDir: string;
}

/** The log of a partition this broker leads, or the error a request about it answers. */
export function lookupLog(b: { metadata: { topic(name: string): { partitions: number } | undefined }; logs: LogsView }, topic: string, partition: number): PartitionLogView | number {
  const t = b.metadata.topic(topic);
  if (!t || partition < 0 || partition >= t.partitions) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  return b.logs.getLog(topic, partition) ?? ErrorCode.NOT_LEADER_OR_FOLLOWER;
}
