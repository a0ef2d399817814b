/**
 * Append throughput of a partition log (1 KiB records in 16 KiB and 1 MiB batches) for each
 * durability policy, against plain node:fs sequential writes of the same sizes measured in the
 * same run, in alternating rounds on fresh files (see log-bench-support.ts): without fsync for
 * the no-fsync policies, with an fdatasync per write for the fsync-before-ack ones. Segments are
 * large enough not to roll within a round (steady state); a separate row uses 64 MiB segments to
 * show what rolling costs (each rolled segment is fsynced in the background, as in Kafka). "sequential" awaits each
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

function rawCase(name: string, batch: Buffer, sync: boolean): BenchCase {
  return {
    name,
    bytes: batch.length,
    perCall: 1,
    open: async () => {
      const w = await rawWriter();
      return { fn: () => w.write(batch, sync), done: w.done };
    },
  };
}

/** Appends `inFlight` batches at a time, each from its own buffer (as separate requests would be). */
function appendCase(name: string, batchBytes: number, cfg: Partial<LogConfig>, inFlight: number): BenchCase {
  const pool = Array.from({ length: inFlight }, (_, i) => batchOf(batchBytes, i));
  return {
    name,
    bytes: pool[0]!.length * inFlight,
    perCall: inFlight,
    open: async () => {
      const { log, done } = await freshLog(logConfig({ segmentBytes: STEADY_SEGMENT_BYTES, ...cfg }));
      const fn = inFlight === 1 ? () => log.append(pool[0]!) : () => Promise.all(pool.map((b) => log.append(b)));
      return { fn, done };
    },
  };
}

/** Large enough that a round never rolls: steady-state appends. Rolls are measured on their own rows. */
const STEADY_SEGMENT_BYTES = 0x7fffffff;
const ROLLING_SEGMENT_BYTES = 64 * 1024 * 1024;

async function noFsync(batchBytes: number, label: string): Promise<void> {
  const batch = batchOf(batchBytes);
  const rows = await alternating([
    rawCase(`raw fs.write ${label}, sequential`, batch, false),
    appendCase('append, no fsync, sequential', batchBytes, {}, 1),
    appendCase('append, no fsync, x16 in flight', batchBytes, {}, 16),
    appendCase('append, flush.ms=1000, sequential', batchBytes, { flushMs: 1000 }, 1),
    appendCase('append, flush.messages=100000, sequential', batchBytes, { flushMessages: 100_000 }, 1),
    appendCase('append, no fsync, sequential, 64 MiB segments (rolls)', batchBytes, { segmentBytes: ROLLING_SEGMENT_BYTES }, 1),
  ]);
  report(`Append, ${label} batches of 1 KiB records (${recordsIn(batchBytes)} per batch), acknowledged without fsync — vs raw sequential fs.write`, rows);
}

async function withFsync(batchBytes: number, label: string): Promise<void> {
  const batch = batchOf(batchBytes);
  const rows = await alternating([
    rawCase(`raw fs.write + fdatasync per write ${label}`, batch, true),
    appendCase('fsync-before-ack, sequential', batchBytes, { fsyncBeforeAck: true }, 1),
    appendCase('fsync-before-ack, x16 in flight', batchBytes, { fsyncBeforeAck: true }, 16),
    appendCase('fsync-before-ack, x64 in flight', batchBytes, { fsyncBeforeAck: true }, 64),
    appendCase('flush.messages=1, x64 in flight', batchBytes, { flushMessages: 1 }, 64),
  ]);
  report(`Append, ${label} batches, acknowledged after fsync — vs one fdatasync per raw write (rate = acknowledged appends/s)`, rows);
}

export default async function logAppendBench(): Promise<void> {
  await noFsync(16 * 1024, '16 KiB');
  await noFsync(1024 * 1024, '1 MiB');
  await withFsync(16 * 1024, '16 KiB');
  await withFsync(1024 * 1024, '1 MiB');
}
