/**
 * A small benchmark harness: runs a function repeatedly for a minimum time after a warm-up and
 * reports operations and bytes per second. Every benchmark prints its figures next to a baseline
 * measured in the same run, so ratios stay meaningful across machines.
 */
import { performance } from 'node:perf_hooks';

export interface Measurement {
  name: string;
  opsPerSec: number;
  /** Bytes processed per second, when the operation handles a known number of bytes. */
  bytesPerSec?: number;
  /** Median time of one operation in milliseconds. */
  medianMs: number;
}

export interface MeasureOptions {
  /** Bytes one call of `fn` processes, to report MB/s. */
  bytes?: number;
  /** How long to keep measuring, after warm-up (default 1000 ms). */
  minMs?: number;
  warmupMs?: number;
}

/** Runs `fn` (sync or async) for at least `minMs` after a warm-up, one call per sample. */
export async function measure(name: string, fn: () => unknown, opts: MeasureOptions = {}): Promise<Measurement> {
  const minMs = Number(process.env['BENCH_MIN_MS'] ?? opts.minMs ?? 1000);
  const warmupMs = opts.warmupMs ?? Math.min(300, minMs / 3);
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await fn();
  const samples: number[] = [];
  const start = performance.now();
  let now = start;
  while (now - start < minMs || samples.length < 5) {
    const t0 = performance.now();
    await fn();
    now = performance.now();
    samples.push(now - t0);
  }
  const total = now - start;
  samples.sort((a, b) => a - b);
  const m: Measurement = { name, opsPerSec: (samples.length * 1000) / total, medianMs: samples[samples.length >> 1]! };
  if (opts.bytes !== undefined) m.bytesPerSec = m.opsPerSec * opts.bytes;
  return m;
}

export function mbps(bytesPerSec: number | undefined): string {
  return bytesPerSec === undefined ? '' : `${(bytesPerSec / 1e6).toFixed(1)} MB/s`;
}

/** Prints measurements as an aligned table, each with its ratio to the baseline (the first row unless named). */
export function report(title: string, rows: Measurement[], baselineName?: string): void {
  const base = rows.find((r) => r.name === baselineName) ?? rows[0];
  console.log(`\n## ${title}`);
  const table = rows.map((r) => {
    const ratio = base ? (r.bytesPerSec ?? r.opsPerSec) / (base.bytesPerSec ?? base.opsPerSec) : 1;
    return [r.name, `${Math.round(r.opsPerSec).toLocaleString('en-US')} ops/s`, mbps(r.bytesPerSec), `${r.medianMs.toFixed(3)} ms`, `${ratio.toFixed(2)}x`];
  });
  const header = ['case', 'rate', 'throughput', 'median', `vs ${base?.name ?? '-'}`];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const row of table) console.log(line(row));
}
