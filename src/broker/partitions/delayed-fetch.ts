/**
 * Kafka's DelayedFetch and its purgatory, shaped for fetches of many partitions (a follower's
 * fetch session holds every partition its leader leads for it; a consumer's may hold as many).
 * A fetch that found fewer than `minBytes` waits as one waiter: registered with each of its
 * partitions by reference (no per-fetch key strings or sets), woken by the partition that
 * changed, and checking only that partition — what the others held when the waiter began is
 * still what they hold, or they would have woken it. So a change in one of 1,000 idle partitions
 * costs one check, not 1,000, and a wait that expires costs nothing but its deregistration.
 *
 * It answers when enough bytes have become visible in its partitions (below the high watermark,
 * or for read_committed the last stable offset, each read saw), one of them changed in a way the
 * client must hear about (leadership, a truncation, its log start passing the fetch offset; for a
 * follower, records past its offset or a high watermark it has not been told), or `maxWaitMs`
 * passed.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { FetchOutcome, FetchParams, FetchTarget } from './fetch-messages.js';
import type { Partition } from './partition.js';

/**
 * Whether a read of `t` now would give what the first read gave: that read found the partition
 * with nothing to read at the end of what this reader may see, and the partition's offsets are
 * still the same (no leadership news either). A fetch that waited re-reads only the other
 * partitions — for a session of 1,000 idle partitions, none — as a read at the readable end is
 * answered from these same offsets without going to the log (fetch-messages.ts, readOne).
 */
export function unchangedSinceRead(t: FetchTarget, first: FetchOutcome, params: FetchParams): boolean {
  const p = t.partition;
  if (typeof p === 'number' || first.errorCode !== ErrorCode.NONE || first.bytes > 0) return false;
  if (p.highWatermark !== first.highWatermark || p.lastStableOffset !== first.lastStableOffset || p.logStartOffset !== first.logStartOffset || t.fetchOffset < first.logStartOffset) return false;
  const end = params.isolation === 'log-end' ? p.logEndOffset : params.isolation === 'txn-committed' ? p.lastStableOffset : p.highWatermark;
  return t.fetchOffset === end && p.leaderError(t.currentLeaderEpoch) === undefined;
}

interface Watch {
  readonly p: Partition;
  readonly t: FetchTarget;
  readonly seen: FetchOutcome;
}

class FetchWaiter {
  /** Bytes visible now beyond what the first read found, as counted per partition so far. */
  private bytes: number;
  private readonly counted: number[];
  timer: TimerHandle | undefined;
  done = false;

  constructor(
    readonly watches: readonly Watch[],
    private readonly params: FetchParams,
    firstBytes: number,
    readonly resolve: () => void,
  ) {
    this.bytes = firstBytes;
    this.counted = watches.map((w) => w.seen.visibleBytesAtRead);
  }

  /** Whether the fetch may be answered, looking at watch `i` only. */
  ready(i: number): boolean {
    const { p, t, seen } = this.watches[i]!;
    // Something the client must hear about (leadership, a truncation, an offset gone).
    if (p.leaderError(t.currentLeaderEpoch) !== undefined || p.highWatermark < seen.highWatermark || p.logStartOffset > t.fetchOffset) return true;
    // A partition held back by the replication quota brings nothing until the next fetch.
    if (t.throttled) return false;
    // A follower: records past its offset, or a high watermark it has not been told.
    if (this.params.isolation === 'log-end' && (p.acknowledgedEnd > t.fetchOffset || p.highWatermark !== seen.highWatermark)) return true;
    const visible = p.visibleBytesFor(this.params.isolation);
    this.bytes += visible - this.counted[i]!;
    this.counted[i] = visible;
    return this.bytes >= this.params.minBytes;
  }

  /** Whether the fetch may be answered, looking at every partition (once, before it waits). */
  readyAny(): boolean {
    for (let i = 0; i < this.watches.length; i++) if (this.ready(i)) return true;
    return false;
  }
}

export class DelayedFetchPurgatory {
  /** Each partition's waiters, with the index of the partition among the waiter's watches. */
  private readonly waiters = new WeakMap<Partition, Map<FetchWaiter, number>>();
  private readonly all = new Set<FetchWaiter>();

  /** `maxOperations` bounds what waits here; beyond it a fetch is answered at once. */
  constructor(
    private readonly clock: Clock,
    private readonly maxOperations: number,
  ) {}

  /** Fetches waiting. */
  get size(): number {
    return this.all.size;
  }

  /** Waits until the fetch may be answered (see the file comment); always resolves. */
  wait(targets: readonly FetchTarget[], first: readonly FetchOutcome[], params: FetchParams): Promise<void> {
    const watches: Watch[] = [];
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      if (typeof t.partition !== 'number') watches.push({ p: t.partition, t, seen: first[i]! });
    }
    const total = first.reduce((n, o) => n + o.bytes, 0);
    return new Promise((resolve) => {
      const w = new FetchWaiter(watches, params, total, resolve);
      if (w.readyAny() || this.all.size >= this.maxOperations || watches.length === 0 || params.maxWaitMs <= 0) return resolve();
      this.all.add(w);
      for (let i = 0; i < watches.length; i++) {
        const p = watches[i]!.p;
        let m = this.waiters.get(p);
        if (!m) this.waiters.set(p, (m = new Map()));
        m.set(w, i);
      }
      w.timer = this.clock.setTimeout(() => this.finish(w), params.maxWaitMs);
    });
  }

  /** A partition's high watermark, log or leadership moved: wakes the fetches watching it that may now be answered. */
  partitionChanged(p: Partition): void {
    const m = this.waiters.get(p);
    if (!m || m.size === 0) return;
    for (const [w, i] of [...m]) if (!w.done && w.ready(i)) this.finish(w);
  }

  /** Answers every waiting fetch (the broker is closing). */
  expireAll(): void {
    for (const w of [...this.all]) this.finish(w);
  }

  private finish(w: FetchWaiter): void {
    if (w.done) return;
    w.done = true;
    this.all.delete(w);
    w.timer?.cancel();
    for (const { p } of w.watches) this.waiters.get(p)?.delete(w);
    w.resolve();
  }
}
