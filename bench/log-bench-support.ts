/**
 * Shared pieces of the log benchmarks: temp directories on the disk under test (BENCH_DIR, or the
 * OS temp dir), batches of 1 KiB records, and the raw node:fs baselines they are compared with.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../src/log/log-config.js';
import { LogManager } from '../src/log/log-manager.js';
import type { PartitionLog } from '../src/log/partition-log.js';
import { encodeUncompressedRecordBatch } from '../src/protocol/records/index.js';
import { performance } from 'node:perf_hooks';
import type { Measurement } from './harness.js';

export const RECORD_BYTES = 1024;

export async function benchDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(process.env['BENCH_DIR'] ?? tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A batch of `batchBytes` / 1 KiB records of 1 KiB values (so slightly more than batchBytes with overhead). */
export function batchOf(batchBytes: number, seed = 0): Buffer {
  const n = Math.max(1, Math.floor(batchBytes / RECORD_BYTES));
  const value = Buffer.alloc(RECORD_BYTES - 20, 0x61 + (seed % 26));
  return encodeUncompressedRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`key-${i}`), value, timestamp: BigInt(Date.now()) })) });
}

export function recordsIn(batchBytes: number): number {
  return Math.max(1, Math.floor(batchBytes / RECORD_BYTES));
}

export function logConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, ...overrides };
}

/** A fresh log in its own directory, and a function that closes and removes it. */
export async function freshLog(cfg: LogConfig): Promise<{ log: PartitionLog; manager: LogManager; done: () => Promise<void> }> {
  const { dir, cleanup } = await benchDir('samsa-bench-log-');
  const manager = await LogManager.open({ dataDir: dir, defaults: cfg, cleaner: false });
  const log = await manager.createLog('bench', 0, cfg);
  return {
    log,
    manager,
    done: async () => {
      await manager.close();
      await cleanup();
    },
  };
}

const call = <T>(fn: (cb: (err: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

/** A plain file written sequentially with fs.write (and optionally fdatasync after each write). */
export async function rawWriter(): Promise<{ write: (buf: Buffer, sync: boolean) => Promise<void>; done: () => Promise<void> }> {
  const { dir, cleanup } = await benchDir('samsa-bench-raw-');
  const fd = await call<number>((cb) => fs.open(join(dir, 'raw'), 'w', cb));
  let pos = 0;
  return {
    write: async (buf, sync) => {
      await call<number>((cb) => fs.write(fd, buf, 0, buf.length, pos, cb));
      pos += buf.length;
      if (sync) await call<void>((cb) => fs.fdatasync(fd, (e) => cb(e, undefined)));
      // Keep the file from growing without bound across a long measurement.
      if (pos > 1024 * 1024 * 1024) {
        await call<void>((cb) => fs.ftruncate(fd, 0, (e) => cb(e, undefined)));
        pos = 0;
      }
    },
    done: async () => {
      await call<void>((cb) => fs.close(fd, (e) => cb(e, undefined)));
      await cleanup();
    },
  };
}

/** Flushes every dirty page on the machine, so one case's writeback does not slow the next. */
export function syncDisks(): void {
  try {
    execFileSync('sync');
  } catch {
    // No sync(1) on this platform: rounds still alternate.
  }
}

export interface BenchRun {
  /** One call: one or more operations. Resolves to the bytes processed when the case's `bytes` is 'returned'. */
  fn: () => Promise<unknown>;
  done: () => Promise<void>;
}

export interface BenchCase {
  name: string;
  /** Bytes one call processes, or 'returned' when the call says (reads return what they returned). */
  bytes: number | 'returned';
  /** Operations per call (appends in flight), to report per-operation rates. */
  perCall: number;
  /** Sets up one round (a fresh file or log, so rounds measure the same steady state). */
  open: () => Promise<BenchRun>;
}

interface Round {
  calls: number;
  bytes: number;
  ms: number;
  samples: number[];
}

/** Calls `run.fn` for at least `ms` after a short warm-up, counting calls, bytes and per-call times. */
async function round(c: BenchCase, run: BenchRun, ms: number): Promise<Round> {
  const warmEnd = performance.now() + Math.min(30, ms / 4);
  while (performance.now() < warmEnd) await run.fn();
  const r: Round = { calls: 0, bytes: 0, ms: 0, samples: [] };
  const start = performance.now();
  let now = start;
  while (now - start < ms || r.calls < 5) {
    const t0 = performance.now();
    const out = await run.fn();
    now = performance.now();
    r.samples.push(now - t0);
    r.calls++;
    r.bytes += c.bytes === 'returned' ? Number(out) : c.bytes;
  }
  r.ms = now - start;
  return r;
}

/**
 * Measures the cases in many short alternating rounds (A B C A B C ...), each on a fresh setup
 * after flushing dirty pages, and combines each case's rounds: writeback, other processes' load
 * and drift then weigh on every case alike. BENCH_MIN_MS is the time per case (default 1500),
 * BENCH_ROUNDS the number of rounds (default 6).
 */
export async function alternating(cases: BenchCase[]): Promise<Measurement[]> {
  const total = Number(process.env['BENCH_MIN_MS'] ?? 1500);
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 6);
  const per = Math.max(50, Math.floor(total / rounds));
  const results = cases.map(() => [] as Round[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < cases.length; i++) {
      const run = await cases[i]!.open();
      try {
        syncDisks();
        results[i]!.push(await round(cases[i]!, run, per));
      } finally {
        await run.done();
      }
    }
  }
  return cases.map((c, i) => combine(c, results[i]!));
}

function combine(c: BenchCase, rounds: Round[]): Measurement {
  const ms = rounds.reduce((n, r) => n + r.ms, 0);
  const calls = rounds.reduce((n, r) => n + r.calls, 0);
  const bytes = rounds.reduce((n, r) => n + r.bytes, 0);
  const samples = rounds.flatMap((r) => r.samples).sort((a, b) => a - b);
  return { name: c.name, opsPerSec: (calls * c.perCall * 1000) / ms, bytesPerSec: (bytes * 1000) / ms, medianMs: samples[samples.length >> 1]! / c.perCall };
}
