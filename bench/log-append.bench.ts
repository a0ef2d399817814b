/**
 * Append throughput of a partition log (1 KiB records in 16 KiB and 1 MiB batches) for each
 * durability policy, against plain node:fs sequential writes of the same sizes measured in the
 * same run, in alternating rounds (see log-bench-support.ts): without fsync for the no-fsync
 * policies, with an fdatasync per write for the fsync-before-ack ones. "sequential" awaits each
 * append before the next (one producer, one request in flight); "xN" keeps N appends in flight
 * (N producers, or pipelined requests), which is where group commit shares fsyncs. Rates are
 * per append (= per batch); the median is per append too.
 *
 * Goals (issue #3): no-fsync appends within 80% of raw writes; fsync-before-ack with group commit
 * at least 10x the acknowledged appends per second of one fsync per append.
 */
import { report } from './harness.js';
import { type BenchCase, alternating, batchOf, freshLog, logConfig, rawWriter, recordsIn } from './log-bench-support.js';
import type { LogConfig } from '../src/log/log-config.js';

async function rawCase(name: string, batch: Buffer, sync: boolean): Promise<BenchCase> {
  const w = await rawWriter();
  return { name, fn: () => w.write(batch, sync), bytes: batch.length, perCall: 1, done: w.done };
}

/** Appends `inFlight` batches at a time, each from its own buffer (as separate requests would be). */
async function appendCase(name: string, batchBytes: number, cfg: Partial<LogConfig>, inFlight: number): Promise<BenchCase> {
  const { log, done } = await freshLog(logConfig(cfg));
  const pool = Array.from({ length: inFlight }, (_, i) => batchOf(batchBytes, i));
  const fn = inFlight === 1 ? () => log.append(pool[0]!) : () => Promise.all(pool.map((b) => log.append(b)));
  return { name, fn, bytes: pool[0]!.length * inFlight, perCall: inFlight, done };
}

async function noFsync(batchBytes: number, label: string): Promise<void> {
  const batch = batchOf(batchBytes);
  const rows = await alternating([
    await rawCase(`raw fs.write ${label}, sequential`, batch, false),
    await appendCase('append, no fsync, sequential', batchBytes, {}, 1),
    await appendCase('append, no fsync, x16 in flight', batchBytes, {}, 16),
    await appendCase('append, flush.ms=1000, sequential', batchBytes, { flushMs: 1000 }, 1),
    await appendCase('append, flush.messages=100000, sequential', batchBytes, { flushMessages: 100_000 }, 1),
  ]);
  report(`Append, ${label} batches of 1 KiB records (${recordsIn(batchBytes)} per batch), acknowledged without fsync — vs raw sequential fs.write`, rows);
}

async function withFsync(batchBytes: number, label: string): Promise<void> {
  const batch = batchOf(batchBytes);
  const rows = await alternating([
    await rawCase(`raw fs.write + fdatasync per write ${label}`, batch, true),
    await appendCase('fsync-before-ack, sequential', batchBytes, { fsyncBeforeAck: true }, 1),
    await appendCase('fsync-before-ack, x16 in flight', batchBytes, { fsyncBeforeAck: true }, 16),
    await appendCase('fsync-before-ack, x64 in flight', batchBytes, { fsyncBeforeAck: true }, 64),
    await appendCase('flush.messages=1, x64 in flight', batchBytes, { flushMessages: 1 }, 64),
  ]);
  report(`Append, ${label} batches, acknowledged after fsync — vs one fdatasync per raw write (rate = acknowledged appends/s)`, rows);
}

export default async function logAppendBench(): Promise<void> {
  await noFsync(16 * 1024, '16 KiB');
  await noFsync(1024 * 1024, '1 MiB');
  await withFsync(16 * 1024, '16 KiB');
  await withFsync(1024 * 1024, '1 MiB');
}
