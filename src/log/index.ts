/** The storage engine: partition logs as Kafka-layout segmented files, and the manager of a data directory. */
export { LogManager, type LogManagerOptions } from './log-manager.js';
export { PartitionLog, type AppendOptions, type AppendResult, type ReadOptions, type ReadResult } from './partition-log.js';
export type { LogListener } from './log-events.js';
export { type EpochEntry, type EpochEndOffset, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.js';
export type { TimestampOffset } from './time-index.js';
export { type BufferSource, ReadBufferLease, ReadBufferPool } from './read-buffer-pool.js';
export type { LogRecoveryReport } from './log-loader.js';
export type { RetentionResult, RetentionReason } from './log-retention.js';
export { type LogConfig, DEFAULT_LOG_CONFIG, NEVER } from './log-config.js';
export { type LogLogger, silentLogger } from './log-logger.js';
export { type ActiveProducer, ProducerStateError, type VerificationCheck } from './producer-state.js';
export type { AbortedTxn } from './transaction-index.js';
export { OffsetOutOfRangeError, LogOfflineError, LogClosedError, LogTruncatingError, InvalidAppendError, CorruptSegmentError, CorruptIndexError } from './log-errors.js';
