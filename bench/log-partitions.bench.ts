/**
 * Many mostly idle partitions on one node: BENCH_PARTITIONS logs (default 100,000) each get one
 * small batch; we report the time to create them, the heap held per open log, the process's open
 * file descriptors (bounded by maxOpenFiles, 1024 here), and the time to open them all again
 * after a clean shutdown and after a crash (recovery scans each log's active segment, which holds
 * one batch). Then 10% of the logs are read and appended to again, and the descriptors counted.
 */
import { readdirSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { type Measurement, report } from './harness.js';
import { benchDir, logConfig, syncDisks } from './log-bench-support.js';
import { LogManager, forEachLimited } from '../src/log/log-manager.js';
import { encodeUncompressedRecordBatch } from '../src/protocol/records/index.js';

const PARTITIONS = Number(process.env['BENCH_PARTITIONS'] ?? 100_000);
const PER_TOPIC = 1000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

const row = (name: string, ms: number, note?: { perOpMs?: number }): Measurement => ({ name, opsPerSec: (PARTITIONS * 1000) / ms, medianMs: note?.perOpMs ?? ms / PARTITIONS });
const small = () => encodeUncompressedRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('hello'), timestamp: BigInt(Date.now()) }] });
const partitions = Array.from({ length: PARTITIONS }, (_, i) => ({ topic: `topic-${Math.floor(i / PER_TOPIC)}`, partition: i % PER_TOPIC }));

export default async function logPartitionsBench(): Promise<void> {
  const { dir, cleanup } = await benchDir('samsa-bench-many-');
  const cfg = logConfig();
  const notes: string[] = [];
  try {
    const heap0 = heapMb();
    let m = await LogManager.open({ dataDir: dir, defaults: cfg, cleaner: false, maxOpenFiles: 1024 });
    let t = performance.now();
    await forEachLimited(partitions, 64, async (p) => void (await (await m.createLog(p.topic, p.partition, cfg)).append(small())));
    const createMs = performance.now() - t;
    const heapOpen = heapMb();
    notes.push(`after creating ${PARTITIONS.toLocaleString('en-US')} logs: heap ${(heapOpen - heap0).toFixed(0)} MiB (${(((heapOpen - heap0) * 1048576) / PARTITIONS).toFixed(0)} bytes per log), ${openFds()} open fds, ${m.openFileCount} segment files open`);
    await m.close();
    syncDisks();
    t = performance.now();
    m = await LogManager.open({ dataDir: dir, defaults: cfg, cleaner: false, maxOpenFiles: 1024 });
    const openMs = performance.now() - t;
    notes.push(`after opening them (clean): heap ${(heapMb() - heap0).toFixed(0)} MiB, ${openFds()} open fds`);
    t = performance.now();
    await forEachLimited(partitions.filter((_, i) => i % 10 === 0), 64, async (p) => {
      const log = m.getLog(p.topic, p.partition)!;
      await log.read(0n, 1 << 20);
      await log.append(small());
    });
    const touchMs = performance.now() - t;
    notes.push(`after reading and appending to 10% of them: ${openFds()} open fds, ${m.openFileCount} segment files open`);
    await m.close();
    await unlink(join(dir, '.kafka_cleanshutdown'));
    syncDisks();
    t = performance.now();
    m = await LogManager.open({ dataDir: dir, defaults: cfg, cleaner: false, maxOpenFiles: 1024 });
    const recoverMs = performance.now() - t;
    await m.close();
    report(`${PARTITIONS.toLocaleString('en-US')} partitions with one batch each (rate = logs/s; median column = ms per log)`, [
      row('create (mkdir, segment file, fsync of both directories) + append', createMs),
      row('open after a clean shutdown', openMs),
      row('open after a crash (each active segment scanned)', recoverMs),
      { name: 'read + append on 10% of them after open', opsPerSec: (PARTITIONS / 10 / touchMs) * 1000, medianMs: touchMs / (PARTITIONS / 10) },
    ]);
    for (const n of notes) console.log(`- ${n}`);
  } finally {
    await cleanup();
  }
}
