/**
 * A partition log's configuration, resolved and typed. The broker maps Kafka's topic configs
 * (and their broker-wide synonyms) onto it; the log layer never sees config names.
 * "Never" limits (Kafka's Long.MAX_VALUE) are Number.MAX_SAFE_INTEGER here.
 */
export const NEVER = Number.MAX_SAFE_INTEGER;

export interface LogConfig {
  /** segment.bytes: roll the active segment before it would grow past this. */
  segmentBytes: number;
  /** segment.ms: roll a segment this long after its first record was appended. */
  segmentMs: number;
  /** segment.jitter.ms: a random amount subtracted from segment.ms per segment, to spread rolls. */
  segmentJitterMs: number;
  /** segment.index.bytes: the size of each offset and time index; a full index rolls the segment. */
  segmentIndexBytes: number;
  /** index.interval.bytes: add an index entry after at least this many bytes of batches. */
  indexIntervalBytes: number;
  /** retention.ms: delete segments whose newest record is older than this; -1 keeps forever. */
  retentionMs: number;
  /** retention.bytes: delete the oldest segments while the log is larger than this; -1 for no limit. */
  retentionBytes: number;
  /** cleanup.policy: delete (retention), compact, or both. */
  cleanupPolicy: { delete: boolean; compact: boolean };
  /** delete.retention.ms: how long compaction keeps tombstones (and transaction markers). */
  deleteRetentionMs: number;
  /** min.cleanable.dirty.ratio: compact when the uncompacted share of the log exceeds this. */
  minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms: records younger than this are never compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: records older than this are compacted whatever the dirty ratio. */
  maxCompactionLagMs: number;
  /** file.delete.delay.ms: how long a deleted segment's files linger before removal. */
  fileDeleteDelayMs: number;
  /** flush.messages: fsync after this many messages are appended since the last fsync. */
  flushMessages: number;
  /** flush.ms: fsync when the oldest unflushed append is this old. */
  flushMs: number;
  /**
   * samsa.fsync.before.ack: an append is acknowledged only once it is fsynced; concurrent
   * appends share one fsync (group commit). Survives kill -9 and power loss.
   */
  fsyncBeforeAck: boolean;
  /** preallocate: preallocate segment files (accepted; see docs for what Samsa does with it). */
  preallocate: boolean;
}

/** Kafka's defaults for every topic-level log setting. */
export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  cleanupPolicy: Object.freeze({ delete: true, compact: false }),
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: NEVER,
  fileDeleteDelayMs: 60_000,
  flushMessages: NEVER,
  flushMs: NEVER,
  fsyncBeforeAck: false,
  preallocate: false,
});

/**
 * Kafka's LogConfig.maxSegmentMs, the age at which the active segment rolls: segment.ms, or for a
 * compacted log max.compaction.lag.ms when lower, since the cleaner never touches the active
 * segment and its records would otherwise stay uncompacted past that lag (KIP-354).
 */
export function maxSegmentMs(cfg: LogConfig): number {
  return cfg.cleanupPolicy.compact && cfg.maxCompactionLagMs > 0 ? Math.min(cfg.maxCompactionLagMs, cfg.segmentMs) : cfg.segmentMs;
}
