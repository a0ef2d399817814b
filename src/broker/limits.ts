/**
 * The broker's bounds that are not Kafka configs (those are config keys with their defaults, in
 * config/), in one place and named with their unit last (design principle 5).
 */
export const LIMITS = {
  /** Bytes of fetch read buffers kept for reuse between responses (log/read-buffer-pool.ts). */
  fetchBufferPoolIdleBytes: 32 * 1024 * 1024,
  /** Bytes of request frame buffers kept for reuse between produce requests (network/frame-pool.ts). */
  requestFramePoolIdleBytes: 32 * 1024 * 1024,
  /** A fetch session idle for less than this is never evicted for a new one (Kafka's minimum). */
  fetchSessionEvictionAgeMs: 120_000,
  /** Partitions one topic may have: bounds the directories one request can create. */
  maxPartitionsPerTopic: 100_000,
  /** Operations waiting in each purgatory (long-poll fetches, acks=all produces); beyond it they answer at once. */
  maxDelayedOperations: 100_000,
  /** The most a batch may decompress to when the broker decodes it (recompression, log lookups). */
  maxDecodeBytes: 64 * 1024 * 1024,
} as const;
