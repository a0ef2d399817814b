/**
 * The young generation of the process running a broker on its main thread (`samsa broker`): held
 * at the size V8 starts it at (1 MiB semi-spaces) while the broker is idle, grown to `targetMiB`
 * when it is busy, and held there.
 *
 * Why not V8's default (growing to 16 MiB semi-spaces): with a small old generation and hundreds of
 * MB/s of short-lived socket buffers, V8 then ran a mark-compact every ~25 ms under produce load
 * (docs/broker.md). Why not the start size alone (the previous setting): at 20,000 records/s with
 * a consumer at the log end the broker then scavenged ~12 times a second, about once per 45
 * requests, so more than 1% of requests met a scavenge; with 4 MiB semi-spaces it scavenges a
 * quarter as often (scavenges cost by what survives, not by the young generation's size). And why
 * not 4 MiB from the start: an idle broker would hold ~6 MB more (docs/broker.md, idle memory).
 *
 * How, without re-executing node: a process's heap limits (`--min-semi-space-size`) are fixed when
 * it starts, but V8 reads its semi-space growth factor each time it grows the young generation,
 * which it does once as many bytes have survived scavenges since the last growth as the young
 * generation holds — with a broker's survival rate (a few KB a scavenge) that takes minutes, and
 * V8 shrinks it again whenever the allocation rate falls. So the factor is kept at 1 (no growth),
 * and, once the broker is up, when scavenges come often (BUSY_SCAVENGES within BUSY_WINDOW_MS)
 * while the young generation is below the target, it is grown on purpose: with the factor at 2,
 * ~64 KB arrays are kept alive until V8 has grown it (at most 1.5 times its size of them, copied
 * by two or three scavenges: a few ms), then dropped and the factor set back to 1; one step a
 * second until the target, then not again for GROWTH_INTERVAL_MS: V8 shrinks the young generation
 * when the allocation rate falls (a broker going idle). A process whose maximum is below the
 * target (`node --max-semi-space-size=1`) stops trying after MAX_FAILED_GROWTHS refusals.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** V8's semi-space growth factor by default (set back by `release`). */
export const V8_DEFAULT_GROWTH_FACTOR = 2;
/**
 * Scavenges within BUSY_WINDOW_MS that make a broker busy enough for the larger young generation:
 * allocating ~4 MB/s or more at 1 MiB (the 20,000 records/s benchmark: ~5 MB/s producing, ~12 MB/s
 * with a consumer at the log end; an idle broker: a scavenge every few seconds at most).
 */
export const BUSY_SCAVENGES = 4;
export const BUSY_WINDOW_MS = 1_000;
/** The least time between two growths made on purpose that reached the target (V8 shrinks the young generation when allocation slows). */
export const GROWTH_INTERVAL_MS = 10_000;
/** Growths tried in a row that V8 refused, after which the hold stops trying. */
const MAX_FAILED_GROWTHS = 3;
/** Elements of one array kept alive while growing (8 bytes each: ~64 KB, below V8's large-object size). */
const PRIME_ARRAY_LENGTH = 8_000;

/** The young generation's size now, in bytes (V8's `new_space`, one semi-space). */
export function semiSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

export interface YoungGenerationHold {
  /**
   * From now on, grows the young generation to `targetMiB` MiB semi-spaces whenever scavenges come
   * often while it is smaller (see the file comment); `now` is the clock of the busy window.
   */
  growUnderLoad(targetMiB: number, now?: () => number): void;
  /** Times the young generation was grown on purpose so far. */
  readonly growths: number;
  /** Stops watching and sets V8's default growth factor back. */
  release(): void;
}

const setGrowthFactor = (factor: number) => setFlagsFromString(`--semi-space-growth-factor=${factor}`);

/**
 * One growth of the young generation, made on purpose: with the growth factor at 2, arrays are
 * kept alive through scavenges until V8 has grown it, bounded by 1.5 times its size (the survivors
 * one growth needs, and what those scavenges copy: ~1.5-3 MB). Whether it grew.
 */
function growOnce(): boolean {
  const before = semiSpaceBytes();
  setGrowthFactor(2);
  try {
    let kept: unknown[] | undefined = [];
    for (let bytes = 0; semiSpaceBytes() === before && bytes < 1.5 * before; bytes += PRIME_ARRAY_LENGTH * 8) kept.push(new Array<number>(PRIME_ARRAY_LENGTH).fill(0));
    kept = undefined;
    return semiSpaceBytes() > before;
  } finally {
    setGrowthFactor(1);
  }
}

/** Holds the young generation at its size now (V8 grows it no further; it may still shrink it). */
export function holdYoungGeneration(): YoungGenerationHold {
  setGrowthFactor(1);
  let observer: PerformanceObserver | undefined;
  let growths = 0;
  return {
    growUnderLoad(targetMiB, now = () => performance.now()) {
      const target = targetMiB * 1024 * 1024;
      const recent: number[] = [];
      let nextTry = -Infinity;
      let failed = 0;
      observer?.disconnect();
      const watching = new PerformanceObserver((list) => {
        const t = now();
        for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) recent.push(t);
        while (recent.length > 0 && recent[0]! < t - BUSY_WINDOW_MS) recent.shift();
        if (recent.length < BUSY_SCAVENGES || t < nextTry || semiSpaceBytes() >= target) return;
        recent.length = 0;
        const grew = growOnce();
        if (grew) growths++;
        failed = grew ? 0 : failed + 1;
        // V8 would not grow it (its maximum is below the target): give up.
        if (failed >= MAX_FAILED_GROWTHS) watching.disconnect();
        // The next step soon (from 1 MiB to 4 may take two), else not before GROWTH_INTERVAL_MS.
        nextTry = t + (grew && semiSpaceBytes() < target ? BUSY_WINDOW_MS : GROWTH_INTERVAL_MS);
      });
      observer = watching;
      observer.observe({ entryTypes: ['gc'] });
    },
    get growths() {
      return growths;
    },
    release() {
      observer?.disconnect();
      // V8 stamps a code cache with the flags in force when it is written, and the build writes the
      // bundle's at exit (bundle-loader.cts): the default must be back by then.
      setGrowthFactor(V8_DEFAULT_GROWTH_FACTOR);
    },
  };
}
