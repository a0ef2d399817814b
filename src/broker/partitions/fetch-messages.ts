/**
 * Reading a fetch's partitions within its byte limits. A fetch that found fewer than `minBytes`
 * waits in the fetch purgatory (delayed-fetch.ts, Kafka's DelayedFetch) and then reads again.
 */
import type { AbortedTxn, BufferSource } from '../../log/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Partition, ReadIsolation } from './partition.js';

export interface FetchTarget {
  /** The partition, or the error it answers with (unknown topic, not the leader …). */
  partition: Partition | number;
  fetchOffset: bigint;
  maxBytes: number;
  currentLeaderEpoch: number;
}

export interface FetchOutcome {
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** read_committed: the aborted transactions overlapping the records; otherwise null. */
  abortedTransactions: AbortedTxn[] | null;
  chunks: Buffer[];
  bytes: number;
  /** Bytes visible at the fetch's isolation when read (to count what becomes visible later). */
  visibleBytesAtRead: number;
}

export interface FetchParams {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolation: ReadIsolation;
}

const failed = (errorCode: number, p?: Partition, isolation: ReadIsolation = 'high-watermark'): FetchOutcome => ({
  errorCode,
  highWatermark: p ? p.highWatermark : -1n,
  lastStableOffset: p ? p.lastStableOffset : -1n,
  logStartOffset: p ? p.logStartOffset : -1n,
  abortedTransactions: null,
  chunks: [],
  bytes: 0,
  visibleBytesAtRead: p ? p.visibleBytesFor(isolation) : 0,
});

/** Where a read at this isolation stops: the log end (followers), the high watermark, the last stable offset. */
function readableEnd(p: Partition, isolation: ReadIsolation): bigint {
  return isolation === 'log-end' ? p.logEndOffset : isolation === 'txn-committed' ? p.lastStableOffset : p.highWatermark;
}

/** A read at the readable end: no records, the partition's offsets as a read would give them. */
function caughtUp(p: Partition, isolation: ReadIsolation): FetchOutcome {
  // The answer to most fetches of a caught-up consumer (twice per long poll): one object, no spread.
  return {
    errorCode: ErrorCode.NONE,
    highWatermark: p.highWatermark,
    lastStableOffset: p.lastStableOffset,
    logStartOffset: p.logStartOffset,
    abortedTransactions: isolation === 'txn-committed' ? [] : null,
    chunks: [],
    bytes: 0,
    visibleBytesAtRead: p.visibleBytesFor(isolation),
  };
}

/** The partition a target reads from, or its outcome when it cannot be read. */
function readable(t: FetchTarget, isolation: ReadIsolation): Partition | FetchOutcome {
  if (typeof t.partition === 'number') return failed(t.partition);
  const error = t.partition.leaderError(t.currentLeaderEpoch);
  return error === undefined ? t.partition : failed(error, t.partition, isolation);
}

async function readOne(p: Partition, t: FetchTarget, limit: number, minOneBatch: boolean, params: FetchParams, buffers: BufferSource, onError: (err: unknown, p: Partition) => void): Promise<FetchOutcome> {
  // Nothing to read at the end of what this reader may see (an idle partition, a caught-up
  // follower or consumer): answered without going to the log.
  if (t.fetchOffset === readableEnd(p, params.isolation) && t.fetchOffset >= p.logStartOffset) return caughtUp(p, params.isolation);
  try {
    const r = await p.read(t.fetchOffset, limit, { isolation: params.isolation, minOneBatch, buffers });
    return {
      errorCode: ErrorCode.NONE,
      highWatermark: r.highWatermark,
      lastStableOffset: r.lastStableOffset,
      logStartOffset: r.logStartOffset,
      abortedTransactions: r.abortedTransactions,
      chunks: r.chunks,
      bytes: r.bytes,
      visibleBytesAtRead: r.visibleBytesAtRead,
    };
  } catch (err) {
    const outOfRange = (err as { code?: string }).code === 'SAMSA_OFFSET_OUT_OF_RANGE';
    if (!outOfRange) onError(err, p);
    return failed(outOfRange ? ErrorCode.OFFSET_OUT_OF_RANGE : ErrorCode.KAFKA_STORAGE_ERROR, p, params.isolation);
  }
}

/**
 * Reads every target within the partition and response byte limits. When the partitions' limits
 * fit in the response's, they are read concurrently, the first one keeping a too-large first
 * batch whole (KIP-74); otherwise, or when that found nothing, in request order with the response
 * budget shrinking as it fills and the first partition with data keeping its first batch whole.
 */
export async function readPartitions(targets: readonly FetchTarget[], params: FetchParams, buffers: BufferSource, onError: (err: unknown, p: Partition) => void): Promise<FetchOutcome[]> {
  const located = targets.map((t) => readable(t, params.isolation));
  const isOutcome = (l: Partition | FetchOutcome): l is FetchOutcome => 'errorCode' in l;
  const shares = located.reduce((n, l, i) => (isOutcome(l) ? n : n + targets[i]!.maxBytes), 0);
  if (shares <= params.maxBytes) {
    const first = located.findIndex((l) => !isOutcome(l));
    const outcomes = await Promise.all(located.map((l, i) => (isOutcome(l) ? l : readOne(l, targets[i]!, targets[i]!.maxBytes, i === first, params, buffers, onError))));
    // The pass below differs only for partitions read here without their first batch kept whole:
    // with one readable partition (a consumer of one partition, every long poll of it) it would read the same again.
    if (outcomes.some((o) => o.bytes > 0) || located.findIndex((l, i) => i > first && !isOutcome(l)) < 0) return outcomes;
  }
  let budget = params.maxBytes;
  let anyData = false;
  const outcomes: FetchOutcome[] = [];
  for (const [i, l] of located.entries()) {
    if (isOutcome(l)) {
      outcomes.push(l);
      continue;
    }
    const limit = Math.min(targets[i]!.maxBytes, Math.max(0, budget));
    if (limit <= 0 && anyData) {
      outcomes.push(failed(ErrorCode.NONE, l, params.isolation));
      continue;
    }
    const o = await readOne(l, targets[i]!, limit, !anyData, params, buffers, onError);
    budget -= o.bytes;
    anyData ||= o.bytes > 0;
    outcomes.push(o);
  }
  return outcomes;
}

