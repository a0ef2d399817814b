/**
 * Read throughput of a partition log: consecutive fetch-like reads (maxBytes 1 MiB, the default
 * max.partition.fetch.bytes, and 64 KiB) through a log of 1 KiB records in 16 KiB and 1 MiB
 * batches, against plain node:fs sequential reads of the same segment file in chunks of the same
 * size, in alternating rounds. The file was just written, so both read from the page cache: the
 * ratio is the log's own cost (index lookup, batch framing) over a read(2). Throughput counts the
 * bytes each read returned (a 1 MiB batch is returned whole even to a 64 KiB read, as KIP-74
 * has it). BENCH_READ_MB sets the log size (default 256).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { report } from './harness.js';
import { type BenchCase, alternating, batchOf, freshLog, logConfig } from './log-bench-support.js';
import { lastOffsetAt } from '../src/log/batch-fields.js';
import type { PartitionLog } from '../src/log/partition-log.js';

const LOG_MB = Number(process.env['BENCH_READ_MB'] ?? 256);

async function filledLog(batchBytes: number): Promise<{ log: PartitionLog; file: string; done: () => Promise<void> }> {
  const { log, done } = await freshLog(logConfig({ segmentBytes: 0x7fffffff }));
  const pool = Array.from({ length: 16 }, (_, i) => batchOf(batchBytes, i));
  const target = LOG_MB * 1024 * 1024;
  while (log.sizeInBytes < target) await Promise.all(pool.map((b) => log.append(Buffer.from(b))));
  await log.flush();
  return { log, file: join(log.dir, '00000000000000000000.log'), done };
}

function logReadCase(name: string, log: PartitionLog, maxBytes: number): BenchCase {
  let offset = 0n;
  const fn = async (): Promise<number> => {
    const r = await log.read(offset, maxBytes, { minOneBatch: true });
    const last = r.chunks[r.chunks.length - 1];
    if (!last || offset >= log.acknowledgedEnd) {
      offset = 0n;
      return r.bytes;
    }
    // The next fetch starts after the last batch returned, as a consumer's would.
    let pos = 0;
    let lastStart = 0;
    while (pos < last.length) {
      lastStart = pos;
      pos += 12 + last.readInt32BE(pos + 8);
    }
    offset = lastOffsetAt(last, lastStart) + 1n;
    return r.bytes;
  };
  return { name, bytes: 'returned', perCall: 1, open: async () => ({ fn, done: async () => {} }) };
}

function rawReadCase(name: string, file: string, chunk: number): BenchCase {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  let pos = 0;
  const fn = () =>
    new Promise<void>((resolve, reject) => {
      fs.read(fd, Buffer.allocUnsafe(chunk), 0, chunk, pos, (err, n) => {
        if (err) return reject(err);
        pos = pos + n >= size ? 0 : pos + n;
        resolve();
      });
    });
  closeAfter.push(() => fs.closeSync(fd));
  return { name, bytes: chunk, perCall: 1, open: async () => ({ fn, done: async () => {} }) };
}

const closeAfter: (() => void)[] = [];

async function readCases(batchBytes: number, label: string): Promise<void> {
  const { log, file, done } = await filledLog(batchBytes);
  try {
    for (const maxBytes of [1024 * 1024, 64 * 1024]) {
      const kb = `${maxBytes / 1024} KiB`;
      const rows = await alternating([rawReadCase(`raw fs.read of the segment, ${kb} chunks`, file, maxBytes), logReadCase(`log.read, maxBytes ${kb}`, log, maxBytes)]);
      report(`Read, ${label} batches, ${LOG_MB} MiB log, ${kb} per read — vs raw sequential fs.read (page cache warm)`, rows);
      for (const close of closeAfter.splice(0)) close();
    }
  } finally {
    await done();
  }
}

export default async function logReadBench(): Promise<void> {
  await readCases(16 * 1024, '16 KiB');
  await readCases(1024 * 1024, '1 MiB');
}
