/**
 * Open and recovery times:
 * - a log of 1,000 segments opened after a clean shutdown (no scan), after a crash with a
 *   recovery point (only the active segment is scanned), and with no recovery point (all 1,000);
 * - a log whose 1 GiB active segment was being written when its process got SIGKILL: recovery
 *   scans it (CRC-32C of every batch) and rebuilds its indexes; compared with a raw sequential
 *   read of the same file. BENCH_RECOVERY_MB scales the segment down for quick runs (default 1024).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { type Measurement, report } from './harness.js';
import { batchOf, benchDir, logConfig, syncDisks } from './log-bench-support.js';
import { LogManager } from '../src/log/log-manager.js';

const RECOVERY_MB = Number(process.env['BENCH_RECOVERY_MB'] ?? 1024);

function timed(name: string, ms: number, bytes?: number): Measurement {
  const m: Measurement = { name, opsPerSec: 1000 / ms, medianMs: ms };
  if (bytes !== undefined) m.bytesPerSec = (bytes * 1000) / ms;
  return m;
}

async function timeOpen(dir: string): Promise<{ ms: number; manager: LogManager }> {
  const t0 = performance.now();
  const manager = await LogManager.open({ dataDir: dir, defaults: logConfig(), cleaner: false });
  return { ms: performance.now() - t0, manager };
}

async function thousandSegments(): Promise<void> {
  const { dir, cleanup } = await benchDir('samsa-bench-open-');
  try {
    const cfg = logConfig({ segmentBytes: 64 * 1024 });
    const m = await LogManager.open({ dataDir: dir, defaults: cfg, cleaner: false });
    const log = await m.createLog('open', 0, cfg);
    const batch = batchOf(16 * 1024);
    while (log.segments.length < 1000) await log.append(Buffer.from(batch));
    const bytes = log.sizeInBytes;
    await m.close();
    syncDisks();
    const rows: Measurement[] = [];
    let r = await timeOpen(dir);
    rows.push(timed('open after a clean shutdown (no scan)', r.ms));
    await r.manager.close();
    await unlink(join(dir, '.kafka_cleanshutdown'));
    r = await timeOpen(dir);
    rows.push(timed('open after a crash, recovery point at the active segment', r.ms));
    await r.manager.close();
    await unlink(join(dir, '.kafka_cleanshutdown'));
    await unlink(join(dir, 'recovery-point-offset-checkpoint'));
    r = await timeOpen(dir);
    rows.push(timed(`open after a crash, no recovery point (scan all ${(bytes / 1048576).toFixed(0)} MiB)`, r.ms, bytes));
    await r.manager.close();
    report('Opening a log of 1,000 segments (64 KiB segments of 16 KiB batches)', rows);
  } finally {
    await cleanup();
  }
}

/** Runs the child until its active segment holds `mb` MiB, then SIGKILLs it. */
function fillAndKill(dir: string, mb: number): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  const child = join(here, '..', `log-recovery-child${ts ? '.ts' : '.js'}`);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), child, dir, String(mb)], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.setEncoding('utf8').on('data', (s: string) => s.includes('filled') && p.kill('SIGKILL'));
    p.on('error', reject);
    p.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error('recovery child did not fill its log'))));
  });
}

function rawRead(file: string): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1024 * 1024);
  const t0 = performance.now();
  let pos = 0;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    pos += n;
  }
  fs.closeSync(fd);
  return performance.now() - t0;
}

async function killedWithBigSegment(): Promise<void> {
  const { dir, cleanup } = await benchDir('samsa-bench-recover-');
  try {
    await fillAndKill(dir, RECOVERY_MB);
    syncDisks();
    const file = join(dir, 'recover-0', '00000000000000000000.log');
    const bytes = fs.statSync(file).size;
    const rawMs = rawRead(file);
    const r = await timeOpen(dir);
    const report0 = r.manager.recoveryReports[0];
    await r.manager.close();
    const clean = await timeOpen(dir);
    await clean.manager.close();
    const mib = (bytes / 1048576).toFixed(0);
    report(`Recovery after SIGKILL with a ${mib} MiB active segment (${report0?.recoveredSegments ?? 0} segment scanned, ${report0?.truncations.length ?? 0} truncated)`, [
      timed(`raw sequential fs.read of the ${mib} MiB segment`, rawMs, bytes),
      timed('open with recovery: CRC-32C of every batch, indexes rebuilt', r.ms, bytes),
      timed('open of the same log after a clean shutdown', clean.ms),
    ]);
  } finally {
    await cleanup();
  }
}

export default async function logRecoveryBench(): Promise<void> {
  await thousandSegments();
  await killedWithBigSegment();
}
