/**
 * What else a latency benchmark's case met on the machine (bench/latency.bench.ts): how long a
 * process's main thread was runnable but waiting for a core, and GC pauses. On a shared machine
 * these make most of a p99, so each case prints them beside its percentiles.
 */
import { readFileSync } from 'node:fs';

/**
 * The milliseconds a process's main thread has spent runnable but waiting for a core so far: the
 * second field of /proc/<pid>/schedstat (nanoseconds; Linux with schedstats). 0 where there is none.
 */
export function runQueueWaitMs(pid: number | 'self'): number {
  try {
    const waitedNs = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(waitedNs) ? waitedNs / 1e6 : 0;
  } catch {
    return 0;
  }
}

/**
 * The pauses (ms) in a piece of `node --trace-gc` output, appended to `into`: a line such as
 * "Scavenge 15.2 (17.0) -> 14.4 (17.0) MB, 4.86 / 0.18 ms (…)" gives 4.86, its main-thread pause.
 */
export function tracedGcPauses(text: string, into: number[]): void {
  for (const m of text.matchAll(/(?:Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Compact|Minor Mark-Sweep)\b[^,\n]*, ([\d.]+) \/ [\d.]+ ms/g)) into.push(Number(m[1]));
}
