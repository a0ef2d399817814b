/**
 * Reading a fetch's partitions within its byte limits. A fetch that found fewer than `minBytes`
 * waits in the fetch purgatory (delayed-fetch.ts, Kafka's DelayedFetch) and then reads again.
 */
import type { AbortedTxn, BufferSource } from '../../log/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Partition, PartitionRead, ReadIsolation } from './partition.js';

export interface FetchTarget {
  /** The partition, or the error it answers with (unknown topic, not the leader …). */
  partition: Partition | number;
  fetchOffset: bigint;
  maxBytes: number;
  currentLeaderEpoch: number;
  /** Answered without records (a follower held back by the leader's replication quota). */
  throttled?: boolean;
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
  if (error !== undefined) return failed(error, t.partition, isolation);
  return t.throttled ? failed(ErrorCode.NONE, t.partition, isolation) : t.partition;
}

/** A read's outcome for the fetch response. */
function readOutcome(r: PartitionRead): FetchOutcome {
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
}

/**
 * One partition's outcome made now when it can be (caught up, or a read the partition can make on
 * the calling thread: Partition.readNow), else the read under way; `readOne` either way.
 */
function readOne(p: Partition, t: FetchTarget, limit: number, minOneBatch: boolean, params: FetchParams, buffers: BufferSource, onError: (err: unknown, p: Partition) => void): FetchOutcome | Promise<FetchOutcome> {
  // Nothing to read at the end of what this reader may see (an idle partition, a caught-up
  // follower or consumer): answered without going to the log.
  if (t.fetchOffset === readableEnd(p, params.isolation) && t.fetchOffset >= p.logStartOffset) return caughtUp(p, params.isolation);
  let now: PartitionRead | undefined;
  try {
    now = p.readNow(t.fetchOffset, limit, { isolation: params.isolation, minOneBatch, buffers });
  } catch {
    // Whatever failed is read again the usual way, which answers it (and retries a segment deleted meanwhile).
    now = undefined;
  }
  return now ? readOutcome(now) : readLater(p, t, limit, minOneBatch, params, buffers, onError);
}

async function readLater(p: Partition, t: FetchTarget, limit: number, minOneBatch: boolean, params: FetchParams, buffers: BufferSource, onError: (err: unknown, p: Partition) => void): Promise<FetchOutcome> {
  try {
    return readOutcome(await p.read(t.fetchOffset, limit, { isolation: params.isolation, minOneBatch, buffers }));
  } catch (err) {
    // Removed while the read was under way: its files may be gone.
    if (p.isRemoved) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER, p, params.isolation);
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
 * The outcomes come back now, without a promise, when every read could be made now (readOne):
 * a caught-up consumer's fetch, and the read of a long poll woken by an append.
 */
export function readPartitions(targets: readonly FetchTarget[], params: FetchParams, buffers: BufferSource, onError: (err: unknown, p: Partition) => void): FetchOutcome[] | Promise<FetchOutcome[]> {
  const located = targets.map((t) => readable(t, params.isolation));
  const shares = located.reduce((n, l, i) => (isOutcome(l) ? n : n + targets[i]!.maxBytes), 0);
  if (shares > params.maxBytes) return inOrder(located, targets, params, buffers, onError, 0, params.maxBytes, false, []);
  const first = located.findIndex((l) => !isOutcome(l));
  let pending = false;
  const reads = located.map((l, i) => {
    if (isOutcome(l)) return l;
    const o = readOne(l, targets[i]!, targets[i]!.maxBytes, i === first, params, buffers, onError);
    pending ||= o instanceof Promise;
    return o;
  });
  // The pass in order differs only for partitions read here without their first batch kept whole:
  // with one readable partition (a consumer of one partition, every long poll of it) it would read the same again.
  const oneReadable = located.findIndex((l, i) => i > first && !isOutcome(l)) < 0;
  const settle = (outcomes: FetchOutcome[]) => (oneReadable || outcomes.some((o) => o.bytes > 0) ? outcomes : inOrder(located, targets, params, buffers, onError, 0, params.maxBytes, false, []));
  return pending ? Promise.all(reads).then(settle) : settle(reads as FetchOutcome[]);
}

const isOutcome = (l: Partition | FetchOutcome): l is FetchOutcome => 'errorCode' in l;

/**
 * The targets from `from` on, in request order, the response budget shrinking as it fills (the
 * first partition with data keeps its first batch whole), appended to `outcomes`: now while every
 * read can be made now, then the rest once a read under way is done.
 */
function inOrder(located: readonly (Partition | FetchOutcome)[], targets: readonly FetchTarget[], params: FetchParams, buffers: BufferSource, onError: (err: unknown, p: Partition) => void, from: number, budget: number, anyData: boolean, outcomes: FetchOutcome[]): FetchOutcome[] | Promise<FetchOutcome[]> {
  for (let i = from; i < located.length; i++) {
    const l = located[i]!;
    if (isOutcome(l)) {
      outcomes.push(l);
      continue;
    }
    const limit = Math.min(targets[i]!.maxBytes, Math.max(0, budget));
    if (limit <= 0 && anyData) {
      outcomes.push(failed(ErrorCode.NONE, l, params.isolation));
      continue;
    }
    const o = readOne(l, targets[i]!, limit, !anyData, params, buffers, onError);
    if (o instanceof Promise) {
      return o.then((read) => {
        outcomes.push(read);
        return inOrder(located, targets, params, buffers, onError, i + 1, budget - read.bytes, anyData || read.bytes > 0, outcomes);
      });
    }
    budget -= o.bytes;
    anyData ||= o.bytes > 0;
    outcomes.push(o);
  }
  return outcomes;
}
