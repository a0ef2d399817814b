/** Recovery at open: what is scanned, what is truncated, what is rebuilt, and what is reported. */
import assert from 'node:assert/strict';
import { appendFile, copyFile, readFile, readdir, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';
import { LogManager } from '../../src/log/log-manager.js';
import type { Disk, OpenMode } from '../../src/storage/disk.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { nodeDisk } from '../../src/storage/node-disk.js';
import { validateBatch, iterateBatches } from '../../src/protocol/records/index.js';
import { batch, capturingLogger, config, openManager, readAll, tempDir } from './helpers.js';
import { flipByte } from './helpers.js';

const seg = (dir: string, base: number, ext = 'log') => join(dir, 't-0', `${String(base).padStart(20, '0')}.${ext}`);

/** A closed log `t-0` in a temp dir with `n` one-record batches; returns the segment base offsets. */
async function closedLog(dir: string, n: number, segmentBytes = 1 << 20): Promise<bigint[]> {
  const m = await openManager(dir);
  const log = await m.createLog('t', 0, config({ segmentBytes, indexIntervalBytes: 64 }));
  for (let i = 0; i < n; i++) await log.append(batch([`value-${i}`]));
  const bases = log.segments.map((s) => s.baseOffset);
  await m.close();
  return bases;
}

async function reopen(dir: string, opts: { unclean?: boolean } = {}) {
  if (opts.unclean) await unlink(join(dir, '.kafka_cleanshutdown'));
  const logger = capturingLogger();
  const m = await openManager(dir, { logger, defaults: config({ indexIntervalBytes: 64 }) });
  return { m, log: m.getLog('t', 0)!, logger };
}

async function assertValid(dir: string): Promise<void> {
  for (const name of await readdir(join(dir, 't-0'))) {
    if (!name.endsWith('.log')) continue;
    const bytes = await readFile(join(dir, 't-0', name));
    for (const span of iterateBatches(bytes)) {
      assert.ok(span.complete, `${name} ends in a partial batch`);
      validateBatch(bytes, span.position, { origin: 'replication' });
    }
  }
}

describe('recovery of a torn or corrupt tail', () => {
  for (const [what, damagedLast, damage] of [
    ['a torn last batch', true, async (p: string) => truncate(p, (await stat(p)).size - 5)],
    ['a garbled last batch (CRC mismatch)', true, async (p: string) => {
      const b = await readFile(p);
      flipByte(b, b.length - 3, 0xff);
      await writeFile(p, b);
    }],
    ['zeros after the last batch (a preallocated tail)', false, async (p: string) => appendFile(p, Buffer.alloc(4096))],
    ['random bytes after the last batch', false, async (p: string) => appendFile(p, Buffer.from('not a record batch at all, just noise....................................'))],
  ] as const) {
    it(`truncates ${what} at the last valid batch and reports it`, async () => {
      const { dir, cleanup } = await tempDir();
      try {
        await closedLog(dir, 20);
        const before = (await stat(seg(dir, 0))).size;
        await damage(seg(dir, 0));
        const { m, log, logger } = await reopen(dir, { unclean: true });
        assert.equal(log.logEndOffset, damagedLast ? 19n : 20n);
        assert.deepEqual((await readAll(log)).map((r) => r.value), Array.from({ length: damagedLast ? 19 : 20 }, (_, i) => `value-${i}`));
        const [report] = m.recoveryReports;
        assert.equal(report?.truncations.length, 1);
        assert.ok(report!.truncations[0]!.bytes > 0);
        assert.ok(logger.entries.some((e) => e.level === 'warn' && e.msg?.includes('truncated')), 'the truncation is logged');
        if (!damagedLast) assert.equal((await stat(seg(dir, 0))).size, before);
        await log.append(batch(['after']));
        await m.close();
        await assertValid(dir);
      } finally {
        await cleanup();
      }
    });
  }

  it('a torn tail after a clean shutdown marker is still found (the active tail is read) and truncated', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await closedLog(dir, 10);
      await truncate(seg(dir, 0), (await stat(seg(dir, 0))).size - 1);
      const { m, log } = await reopen(dir);
      assert.equal(log.logEndOffset, 9n);
      assert.equal(m.recoveryReports[0]?.truncations.length, 1);
      await m.close();
    } finally {
      await cleanup();
    }
  });

  it('corruption in an earlier segment truncates there and deletes every later segment', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const bases = await closedLog(dir, 30, 400);
      assert.ok(bases.length >= 4);
      const victim = Number(bases[1]);
      const b = await readFile(seg(dir, victim));
      flipByte(b, b.length - 1, 0x55);
      await writeFile(seg(dir, victim), b);
      // Without a recovery point checkpoint entry every segment is recovered.
      await unlink(join(dir, 'recovery-point-offset-checkpoint'));
      const { m, log } = await reopen(dir, { unclean: true });
      assert.equal(log.segments.length, 2);
      const report = m.recoveryReports[0]!;
      assert.equal(report.deletedSegments.length, bases.length - 2);
      assert.equal(log.logEndOffset, Number(bases[2]) - 1 > 0 ? BigInt(Number(bases[2]) - 1) : 0n);
      await m.close();
    } finally {
      await cleanup();
    }
  });
});

describe('what recovery scans', () => {
  it('after a clean shutdown nothing is scanned (damage in an old segment goes unnoticed until read)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const bases = await closedLog(dir, 30, 400);
      const b = await readFile(seg(dir, 0));
      flipByte(b, b.length - 1, 0x55);
      await writeFile(seg(dir, 0), b);
      const { m, log } = await reopen(dir);
      assert.equal(m.recoveryReports.length, 0);
      assert.equal(log.segments.length, bases.length);
      await m.close();
    } finally {
      await cleanup();
    }
  });

  it('after a crash only segments from the recovery point on are scanned', async () => {
    const disk = new MemoryDisk();
    const m = await LogManager.open({ dataDir: '/data', disk, clock: new ManualClock(0), defaults: config(), cleaner: false });
    const log = await m.createLog('t', 0, config({ segmentBytes: 400 }));
    for (let i = 0; i < 40; i++) await log.append(batch([`v${i}`]));
    await log.flush();
    await m.checkpoint();
    const segments = log.segments.length;
    assert.ok(segments >= 4);
    for (let i = 40; i < 43; i++) await log.append(batch([`v${i}`]));
    disk.crash();
    const again = await LogManager.open({ dataDir: '/data', disk, clock: new ManualClock(0), defaults: config(), cleaner: false });
    const report = again.recoveryReports[0]!;
    assert.ok(report.recoveredSegments <= 2, `scanned ${report.recoveredSegments} of ${segments} segments`);
    assert.equal(again.getLog('t', 0)!.logEndOffset, 43n);
    await again.close();
  });
});

describe('index rebuilds', () => {
  it('rebuilds a missing index', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await closedLog(dir, 30, 400);
      await unlink(seg(dir, 0, 'index'));
      const { m, log } = await reopen(dir);
      assert.deepEqual(m.recoveryReports[0]?.rebuiltIndexes, [seg(dir, 0)]);
      assert.equal((await readAll(log)).length, 30);
      assert.ok((await stat(seg(dir, 0, 'index'))).size > 0);
      await m.close();
    } finally {
      await cleanup();
    }
  });

  it('rebuilds an index whose entries are inconsistent when it is first read', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await closedLog(dir, 30, 400);
      const idx = await readFile(seg(dir, 0, 'index'));
      assert.ok(idx.length >= 16);
      idx.writeInt32BE(0x7fff0000, 4); // a position far past the end of the log
      await writeFile(seg(dir, 0, 'index'), idx);
      const { m, log, logger } = await reopen(dir);
      const r = await log.read(3n, 1 << 20);
      assert.ok(r.bytes > 0);
      assert.equal((await readAll(log)).length, 30);
      assert.ok(logger.entries.some((e) => e.msg?.includes('rebuilding a damaged index')));
      await m.close();
    } finally {
      await cleanup();
    }
  });
});

describe('leftovers of interrupted work', () => {
  it('completes a segment swap left by a crashed cleaner and removes .cleaned and .deleted files', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const bases = await closedLog(dir, 30, 400);
      const [b0, b1] = [Number(bases[0]), Number(bases[1])];
      // A "cleaned" replacement for the first two segments: their batches back to back.
      const merged = Buffer.concat([await readFile(seg(dir, b0)), await readFile(seg(dir, b1))]);
      await writeFile(seg(dir, b0, 'log.swap'), merged);
      await copyFile(seg(dir, b1), seg(dir, b1, 'log.cleaned'));
      await writeFile(seg(dir, 999, 'log.deleted'), 'x');
      const { m, log } = await reopen(dir, { unclean: true });
      assert.deepEqual(log.segments.map((s) => s.baseOffset), bases.filter((b) => b !== BigInt(b1)));
      assert.equal((await readAll(log)).length, 30);
      const names = await readdir(join(dir, 't-0'));
      assert.ok(!names.some((n) => n.endsWith('.swap') || n.endsWith('.cleaned') || n.endsWith('.deleted')), names.join());
      await m.close();
    } finally {
      await cleanup();
    }
  });
});

describe('checkpointed offsets', () => {
  it('the log start offset set by DeleteRecords survives a crash', async () => {
    const disk = new MemoryDisk();
    const m = await LogManager.open({ dataDir: '/data', disk, clock: new ManualClock(0), defaults: config(), cleaner: false });
    const log = await m.createLog('t', 0, config());
    for (let i = 0; i < 10; i++) await log.append(batch([`v${i}`]));
    await log.deleteRecordsBefore(7n);
    disk.crash();
    const again = await LogManager.open({ dataDir: '/data', disk, clock: new ManualClock(0), defaults: config(), cleaner: false });
    assert.equal(again.getLog('t', 0)!.logStartOffset, 7n);
    await again.close();
  });
});

describe('the active segment tail after a clean reopen', () => {
  it('timestamp lookups answer the same before and after reopening', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      let m = await openManager(dir);
      const log = await m.createLog('t', 0, config({ indexIntervalBytes: 200 }));
      const t0 = 1_700_000_000_000n;
      // Timestamps that rise, fall back and peak between index entries.
      const times = [5, 9, 3, 12, 12, 7, 20, 1, 19, 25, 2, 2, 30, 29, 4, 31, 8, 6];
      for (const [i, t] of times.entries()) await log.append(batch([`v${i}`, `w${i}`], { timestamp: t0 + BigInt(t) }));
      const targets = [0, 3, 6, 10, 12, 13, 20, 21, 26, 30, 31, 32].map((t) => t0 + BigInt(t));
      const before = await Promise.all(targets.map((t) => log.offsetForTimestamp(t)));
      const maxBefore = await log.maxTimestampOffset();
      await m.close();
      m = await openManager(dir);
      const again = m.getLog('t', 0)!;
      assert.deepEqual(await Promise.all(targets.map((t) => again.offsetForTimestamp(t))), before);
      assert.deepEqual(await again.maxTimestampOffset(), maxBefore);
      assert.deepEqual(maxBefore, { offset: 30n, timestamp: t0 + 31n });
      // Appends after the reopen keep the time index consistent.
      await again.append(batch(['late'], { timestamp: t0 + 40n }));
      assert.deepEqual(await again.offsetForTimestamp(t0 + 35n), { offset: 36n, timestamp: t0 + 40n });
      await m.close();
    } finally {
      await cleanup();
    }
  });
});

describe('the file-system calls of an open', () => {
  /** A node disk that counts reads per path, stats and listings. */
  function countingDisk() {
    const reads = new Map<string, number>();
    const opened: string[] = [];
    const stats: string[] = [];
    const listed: string[] = [];
    const disk: Disk = Object.assign(Object.create(nodeDisk) as Disk, {
      stat: (path: string) => (stats.push(path), nodeDisk.stat(path)),
      statMany: (paths: readonly string[]) => (stats.push(...paths), nodeDisk.statMany(paths)),
      readdir: (path: string) => (listed.push(path), nodeDisk.readdir(path)),
      open: async (path: string, mode: OpenMode) => {
        opened.push(path);
        const file = await nodeDisk.open(path, mode);
        const read = file.read.bind(file);
        return Object.assign(file, { read: (b: Buffer, o: number, l: number, p: number) => (reads.set(path, (reads.get(path) ?? 0) + 1), read(b, o, l, p)) });
      },
    });
    return { disk, reads, opened, stats, listed };
  }

  it('after a clean shutdown with its summary, opens, lists and reads nothing of a partition (three stats check it is unchanged)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await closedLog(dir, 30, 400);
      const c = countingDisk();
      const m = await openManager(dir, { disk: c.disk, defaults: config({ indexIntervalBytes: 64 }) });
      try {
        const part = join(dir, 't-0');
        assert.deepEqual(c.opened.filter((p) => p.startsWith(part)), [], 'no file of the partition opened');
        assert.deepEqual(c.listed.filter((p) => p.startsWith(part)), [], 'the partition directory is not listed');
        assert.deepEqual(c.stats.filter((p) => p.startsWith(part)).sort(), [part, join(part, 'leader-epoch-checkpoint'), m.getLog('t', 0)!.segments.at(-1)!.filePath].sort());
        assert.ok(m.getLog('t', 0)!.segments.length > 1);
        assert.equal((await readAll(m.getLog('t', 0)!)).length, 30, 'the segments are opened on first read');
      } finally {
        await m.close();
      }
    } finally {
      await cleanup();
    }
  });

  it('after a clean shutdown without a summary reads the active segment of a log without producers once, and stats no partition directory', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      // One batch: no index entry, so the tail read starts at the first batch.
      await closedLog(dir, 1);
      await unlink(join(dir, 'clean-shutdown-summary'));
      const { disk, reads, stats } = countingDisk();
      const m = await openManager(dir, { disk, defaults: config({ indexIntervalBytes: 64 }) });
      try {
        assert.equal(reads.get(seg(dir, 0)), 1, 'one read of the tail: no separate read of the first batch, no producer replay');
        assert.deepEqual(stats.filter((p) => p === join(dir, 't-0')), [], 'the data directory listing says what is a directory');
        assert.equal((await readAll(m.getLog('t', 0)!)).length, 1);
      } finally {
        await m.close();
      }
    } finally {
      await cleanup();
    }
  });

  it('lists a partition directory once at open when it loads the log from it, clean or not (the producer snapshots come from the same listing)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await closedLog(dir, 20, 512);
      for (const unclean of [false, true]) {
        const { disk, listed } = countingDisk();
        await unlink(join(dir, 'clean-shutdown-summary'));
        if (unclean) await unlink(join(dir, '.kafka_cleanshutdown'));
        const m = await openManager(dir, { disk, defaults: config({ indexIntervalBytes: 64 }) });
        try {
          assert.deepEqual(listed.filter((p) => p === join(dir, 't-0')), [join(dir, 't-0')], unclean ? 'after a crash' : 'after a clean shutdown');
          assert.equal((await readAll(m.getLog('t', 0)!)).length, 20);
        } finally {
          await m.close();
        }
      }
    } finally {
      await cleanup();
    }
  });
});
