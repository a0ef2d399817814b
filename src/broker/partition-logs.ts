/**
 * What the request handlers use of the log layer (src/log's LogManager and PartitionLog).
 */
import type { PartitionLog } from '../log/index.js';
import { ErrorCode } from '../protocol/error-codes.js';

export type { AppendResult, ReadResult, TimestampOffset } from '../log/index.js';

/** The part of a partition log the request handlers use. */
export type PartitionLogView = Pick<
  PartitionLog,
  'logStartOffset' | 'logEndOffset' | 'acknowledgedEnd' | 'sizeInBytes' | 'append' | 'read' | 'offsetForTimestamp' | 'maxTimestampOffset' | 'deleteRecordsBefore'
>;

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
