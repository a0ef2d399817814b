/**
 * The clean-shutdown summary (src/log/clean-shutdown-summary.ts): a log opened from it is the log
 * loaded from its directory, behaves the same on first use (reads of old segments, appends and
 * rolls, truncation, DeleteRecords, retention, OffsetForLeaderEpoch, a crash afterwards), and a
 * summary that is stale, damaged, unsealed, or describes files changed since is never trusted.
 */
import assert from 'node:assert/strict';
import { cp, readFile, readdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';
import { encodeMarker } from '../../src/log/clean-shutdown-summary.js';
import { crc32c } from '../../src/protocol/primitives/crc32c.js';
import type { PartitionLog } from '../../src/log/partition-log.js';
import { encodeUncompressedRecordBatch } from '../../src/protocol/records/index.js';
import { FaultyDisk } from '../../src/storage/faulty-disk.js';
import { nodeDisk } from '../../src/storage/node-disk.js';
import type { StorageOp } from '../../src/storage/storage-error.js';
import { batch, capturingLogger, config, openManager, readAll, tempDir } from './helpers.js';

const SUMMARY = 'clean-shutdown-summary';
const MARKER = '.kafka_cleanshutdown';
const cfg = config({ segmentBytes: 600, indexIntervalBytes: 64, retentionMs: 60_000 });

/** How many logs the last open built from the summary (its 'logs loaded' line). */
function summarized(logger: ReturnType<typeof capturingLogger>): number {
  const line = logger.entries.findLast((e) => e.msg === 'logs loaded');
  return (line?.obj as { summarized: number }).summarized;
}

async function open(dir: string, clock = new ManualClock(1_700_000_000_000), disk: FaultyDisk = new FaultyDisk(nodeDisk)) {
  const logger = capturingLogger();
  const m = await openManager(dir, { logger, clock, defaults: cfg, disk });
  return { m, logger, clock };
}

/** A disk that records which paths each operation touched. */
class RecordingDisk extends FaultyDisk {
  readonly touched: { op: StorageOp; path: string }[] = [];

  override check(op: StorageOp, path: string) {
    this.touched.push({ op, path });
    return super.check(op, path);
  }

  /** Paths under the partition directory `name` that `op` touched. */
  under(name: string, op: StorageOp): string[] {
    return this.touched.filter((t) => t.op === op && t.path.includes(`/${name}/`)).map((t) => t.path);
  }
}

/** Three logs closed cleanly: several segments with timestamps, two leader epochs, a moved log start; one empty. */
async function closedLogs(dir: string): Promise<void> {
  const { m } = await open(dir);
  const a = await m.createLog('t', 0, cfg);
  for (let i = 0; i < 20; i++) await a.append(batch([`a${i}`], { timestamp: 1_700_000_000_000n + BigInt(i) }), { leaderEpoch: i < 12 ? 3 : 5 });
  await a.deleteRecordsBefore(2n);
  const b = await m.createLog('t', 1, cfg);
  for (let i = 0; i < 3; i++) await b.append(batch([`b${i}`]), { leaderEpoch: 1 });
  await m.createLog('u', 0, cfg);
  await m.close();
}

/** The log's state as a client or a follower could observe it. */
async function observable(log: PartitionLog) {
  return {
    start: log.logStartOffset,
    end: log.logEndOffset,
    acknowledged: log.acknowledgedEnd,
    segments: log.segments.map((s) => [s.baseOffset, s.size, s.offsetIndex.entries, s.timeIndex.entries]),
    tail: log.segments.at(-1)!.tailState(),
    epochs: log.epochEntries(),
    latestEpoch: log.latestEpoch,
    epochEnds: [0, 3, 4, 5, 6].map((e) => log.endOffsetForEpoch(e)),
    byTime: await log.offsetForTimestamp(1_700_000_000_005n),
    maxTime: await log.maxTimestampOffset(),
    records: (await readAll(log)).map((r) => [r.offset, r.value]),
  };
}

/** A copy of `dir` without the summary: opening it loads every log from its directory. */
async function withoutSummary(dir: string): Promise<string> {
  const copy = `${dir}-nosummary`;
  await cp(dir, copy, { recursive: true });
  await rm(join(copy, SUMMARY));
  return copy;
}

describe('the clean-shutdown summary', () => {
  it('is written by a clean close, and a log opened from it is the log loaded from its directory', async () => {
    const { dir, cleanup } = await tempDir();
    const copy = await (async () => {
      await closedLogs(dir);
      assert.ok((await readdir(dir)).includes(SUMMARY));
      return withoutSummary(dir);
    })();
    try {
      const fromSummary = await open(dir);
      const fromDirs = await open(copy);
      assert.equal(summarized(fromSummary.logger), 3);
      assert.equal(summarized(fromDirs.logger), 0);
      assert.equal(fromSummary.m.openFileCount, 0, 'no segment file open before first use');
      for (const [t, p] of [['t', 0], ['t', 1], ['u', 0]] as const) {
        assert.deepEqual(await observable(fromSummary.m.getLog(t, p)!), await observable(fromDirs.m.getLog(t, p)!), `${t}-${p}`);
      }
      assert.ok(!(await readdir(dir)).includes(SUMMARY), 'the summary goes at open, with the marker');
      assert.ok(!(await readdir(dir)).includes(MARKER));
      await fromSummary.m.close();
      await fromDirs.m.close();
    } finally {
      await cleanup();
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('after a restart from it, appends, rolls, truncation, DeleteRecords, retention and a crash behave as after a directory load', async () => {
    const { dir, cleanup } = await tempDir();
    await closedLogs(dir);
    const copy = await withoutSummary(dir);
    try {
      const results: unknown[] = [];
      for (const d of [dir, copy]) {
        const { m, logger, clock } = await open(d);
        const out: unknown[] = [summarized(logger) > 0];
        const log = m.getLog('t', 0)!;
        // Appends at a new epoch roll the active segment; the producer of an old segment is read back.
        for (let i = 0; i < 6; i++) out.push((await log.append(batch([`late${i}`], { timestamp: 1_700_000_100_000n }), { leaderEpoch: 7 })).baseOffset);
        out.push(await observable(log));
        // A follower truncates into an older segment, then appends the leader's batches.
        out.push(await log.truncateTo(10n), await observable(log));
        const b = m.getLog('t', 1)!;
        out.push(await b.deleteRecordsBefore(2n), await observable(b));
        // Retention by time: the clock passes retention.ms for the old segments.
        clock.advance(200_000);
        out.push((await log.deleteOldSegments()).deleted.length, await observable(log));
        out.push(await observable(m.getLog('u', 0)!));
        await log.append(batch(['after-retention']), { leaderEpoch: 8 });
        // A crash now (no close: no marker, no summary) recovers from the directories.
        const crashed = `${d}-crash`;
        await log.flush();
        await m.checkpoint();
        await cp(d, crashed, { recursive: true, filter: (src) => !src.endsWith('.tmp') });
        await rm(join(crashed, MARKER), { force: true });
        assert.ok(!(await readdir(crashed)).includes(SUMMARY));
        const again = await open(crashed);
        assert.equal(summarized(again.logger), 0);
        out.push(await observable(again.m.getLog('t', 0)!));
        await again.m.close();
        await rm(crashed, { recursive: true, force: true });
        await m.close();
        results.push(out);
      }
      const [a, b] = results as unknown[][];
      assert.equal(a![0], true, 'the first open used the summary');
      assert.equal(b![0], false);
      assert.deepEqual(a!.slice(1), b!.slice(1));
    } finally {
      await cleanup();
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('is not trusted once stale: restored with its marker after later appends, or restored beside a newer marker', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await closedLogs(dir);
      const oldSummary = await readFile(join(dir, SUMMARY));
      const oldMarker = await readFile(join(dir, MARKER));
      const first = await open(dir);
      await first.m.getLog('t', 1)!.append(batch(['b3', 'b4']));
      await first.m.close();
      // The old pair: the marker vouches for the summary, but the log's files changed since.
      await writeFile(join(dir, SUMMARY), oldSummary);
      await writeFile(join(dir, MARKER), oldMarker);
      const second = await open(dir);
      assert.equal(second.m.getLog('t', 1)!.logEndOffset, 5n);
      assert.equal(summarized(second.logger), 2, 'the unchanged logs still come from the summary');
      assert.ok(second.logger.entries.some((e) => e.level === 'warn' && /changed since the clean-shutdown summary/.test(e.msg ?? '')));
      await second.m.getLog('t', 1)!.append(batch(['b5']));
      await second.m.close();
      // The old summary beside the newer marker: the seal does not match.
      await writeFile(join(dir, SUMMARY), oldSummary);
      const third = await open(dir);
      assert.equal(summarized(third.logger), 0);
      assert.equal(third.m.getLog('t', 1)!.logEndOffset, 6n);
      assert.deepEqual((await readAll(third.m.getLog('t', 1)!)).map((r) => r.value), ['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
      await third.m.close();
    } finally {
      await cleanup();
    }
  });

  it('is not trusted for a log whose leader-epoch checkpoint was replaced since', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await closedLogs(dir);
      const path = join(dir, 't-0', 'leader-epoch-checkpoint');
      // Only the epoch entry of epoch 5 is kept: a log built from the summary would still have epoch 3.
      await writeFile(`${path}.tmp`, '0\n1\n5 12\n');
      await rename(`${path}.tmp`, path);
      const { m, logger } = await open(dir);
      assert.equal(summarized(logger), 2);
      assert.deepEqual(m.getLog('t', 0)!.epochEntries(), [{ epoch: 5, startOffset: 12n }]);
      await m.close();
    } finally {
      await cleanup();
    }
  });

  it('is not trusted when truncated, or without its marker (a crash after writing it), and is removed at open', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await closedLogs(dir);
      const size = (await readFile(join(dir, SUMMARY))).length;
      await truncate(join(dir, SUMMARY), size - 10);
      const damaged = await open(dir);
      assert.equal(summarized(damaged.logger), 0);
      assert.ok(damaged.logger.entries.some((e) => e.level === 'warn' && /ignoring the clean-shutdown summary/.test(e.msg ?? '')));
      assert.equal(damaged.m.getLog('t', 0)!.logEndOffset, 20n);
      await damaged.m.close();
      // A summary left without a marker (as if the close crashed between the two writes).
      await rm(join(dir, MARKER));
      const crashed = await open(dir);
      assert.equal(summarized(crashed.logger), 0);
      assert.equal(crashed.m.getLog('t', 0)!.logEndOffset, 20n);
      assert.ok(!(await readdir(dir)).includes(SUMMARY), 'removed before anything is written');
      await crashed.m.close();
    } finally {
      await cleanup();
    }
  });

  it('is one entry per line, each parsed as its log is built: a malformed entry sends only its log to its directory; a summary of version 2 (one document) is not used', async () => {
    const { dir, cleanup } = await tempDir();
    const copy = `${dir}-copy`;
    try {
      await closedLogs(dir);
      await cp(dir, copy, { recursive: true });
      const lines = (await readFile(join(dir, SUMMARY), 'utf8')).split('\n');
      assert.deepEqual(JSON.parse(lines[0]!), { version: 3 });
      assert.deepEqual(lines.slice(1).map((l) => (JSON.parse(l) as { dir: string }).dir).sort(), ['t-0', 't-1', 'u-0']);
      assert.ok(lines.slice(1).every((l) => l.startsWith('{"dir":"')), 'the directory name first');
      /** Writes `text` as the summary, with a marker whose seal matches it. */
      const sealed = async (d: string, text: string) => {
        const data = Buffer.from(text, 'utf8');
        const seal = { bytes: data.length, crc32c: crc32c(data) };
        await writeFile(join(d, SUMMARY), data);
        await writeFile(join(d, MARKER), encodeMarker(seal));
      };
      // t-1's entry damaged (as only a writer's bug could: the file is sealed).
      await sealed(dir, lines.map((l) => (l.startsWith('{"dir":"t-1"') ? '{"dir":"t-1","start":"x"}' : l)).join('\n'));
      const damaged = await open(dir);
      assert.equal(summarized(damaged.logger), 2, 't-0 and u-0 from the summary');
      assert.ok(damaged.logger.entries.some((e) => e.level === 'warn' && /malformed clean-shutdown summary entries/.test(e.msg ?? '')));
      assert.equal(damaged.m.getLog('t', 1)!.logEndOffset, 3n);
      assert.deepEqual((await readAll(damaged.m.getLog('t', 1)!)).map((r) => r.value), ['b0', 'b1', 'b2']);
      await damaged.m.close();
      // Version 2: `{"version":2,"logs":[...]}`, sealed: its logs are loaded from their directories, and the close writes version 3.
      await sealed(copy, JSON.stringify({ version: 2, logs: lines.slice(1).map((l) => JSON.parse(l) as unknown) }));
      const older = await open(copy);
      assert.equal(summarized(older.logger), 0);
      assert.ok(older.logger.entries.some((e) => e.level === 'warn' && /ignoring the clean-shutdown summary/.test(e.msg ?? '')));
      assert.equal(older.m.getLog('t', 0)!.logEndOffset, 20n);
      await older.m.close();
      const again = await open(copy);
      assert.equal(summarized(again.logger), 3);
      await again.m.close();
    } finally {
      await cleanup();
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('carries the producer state of a log with producer snapshots (idempotent and transactional producers): retries are recognised and open transactions stay open, as after a directory load', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const idempotent = (seq: number, v: string) => encodeUncompressedRecordBatch({ producerId: 42n, producerEpoch: 0, baseSequence: seq, records: [{ value: Buffer.from(v) }] });
      const transactional = encodeUncompressedRecordBatch({ producerId: 43n, producerEpoch: 1, baseSequence: 0, isTransactional: true, records: [{ value: Buffer.from('t0') }] });
      const { m } = await open(dir);
      const log = await m.createLog('p', 0, cfg);
      await m.createLog('q', 0, cfg);
      await log.append(idempotent(0, 'x0'));
      await log.append(idempotent(1, 'x1'));
      await log.append(transactional);
      await m.close();
      assert.ok((await readdir(join(dir, 'p-0'))).some((n) => n.endsWith('.snapshot')));
      const copy = await withoutSummary(dir);
      try {
        const seen: unknown[] = [];
        for (const d of [dir, copy]) {
          const reopened = await open(d);
          assert.equal(summarized(reopened.logger), d === dir ? 2 : 0, 'the log with producers comes from the summary too');
          const again = reopened.m.getLog('p', 0)!;
          const state = { producers: again.activeProducers(), unstable: again.firstUnstableOffset, ongoing: again.hasOngoingTransaction(43n, 1), snapshots: again.hasProducerSnapshots };
          assert.equal(state.producers.length, 2);
          assert.equal(state.unstable, 2n);
          assert.equal(state.ongoing, true);
          assert.equal((await again.append(idempotent(1, 'x1'))).baseOffset, 1n, 'a retry gets its first offsets back');
          await assert.rejects(again.append(idempotent(5, 'gap')), 'a sequence gap is refused');
          assert.equal(again.logEndOffset, 3n);
          assert.equal((await again.append(idempotent(2, 'x2'))).baseOffset, 3n);
          await reopened.m.close();
          seen.push(state);
        }
        assert.deepEqual(seen[0], seen[1]);
        // The close after a start from the summary writes it again, with the later producer state.
        const third = await open(dir);
        assert.equal(summarized(third.logger), 2);
        assert.equal((await third.m.getLog('p', 0)!.append(idempotent(2, 'x2'))).baseOffset, 3n, 'the retry of the last batch before that close');
        await third.m.close();
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    } finally {
      await cleanup();
    }
  });

  it('builds no producer state for a log no producer wrote to; the first idempotent and transactional appends after the restart behave as after a directory load', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const idempotent = (seq: number, v: string) => encodeUncompressedRecordBatch({ producerId: 42n, producerEpoch: 0, baseSequence: seq, records: [{ value: Buffer.from(v) }] });
      const transactional = encodeUncompressedRecordBatch({ producerId: 43n, producerEpoch: 1, baseSequence: 0, isTransactional: true, records: [{ value: Buffer.from('t0') }] });
      const first = await open(dir);
      const log = await first.m.createLog('p', 0, cfg);
      await log.append(batch(['plain0', 'plain1']));
      await first.m.close();
      const copy = await withoutSummary(dir);
      try {
        const seen: unknown[] = [];
        for (const d of [dir, copy]) {
          const reopened = await open(d);
          assert.equal(summarized(reopened.logger), d === dir ? 1 : 0);
          const again = reopened.m.getLog('p', 0)!;
          if (d === dir) assert.equal(again.hasProducerStateInMemory, false, 'a log from the summary without producers makes no producer state at open');
          const before = { producers: again.activeProducers(), unstable: again.firstUnstableOffset, ongoing: again.hasOngoingTransaction(43n, 1), snapshots: again.hasProducerSnapshots };
          again.onHighWatermarkUpdated(again.logEndOffset);
          assert.equal((await again.append(idempotent(0, 'x0'))).baseOffset, 2n);
          assert.equal((await again.append(idempotent(0, 'x0'))).baseOffset, 2n, 'a retry of the first idempotent batch gets its offset back');
          await assert.rejects(again.append(idempotent(5, 'gap')), 'a sequence gap is refused');
          await again.append(transactional);
          const after = { producers: again.activeProducers().length, unstable: again.firstUnstableOffset, ongoing: again.hasOngoingTransaction(43n, 1) };
          await reopened.m.close();
          // The close wrote a producer snapshot: the next open has the producers (from the summary or the directory).
          const third = await open(d);
          const log3 = third.m.getLog('p', 0)!;
          const restored = { producers: log3.activeProducers().length, unstable: log3.firstUnstableOffset, retry: (await log3.append(idempotent(0, 'x0'))).baseOffset };
          await third.m.close();
          seen.push({ before, after, restored });
        }
        assert.deepEqual(seen[0], seen[1]);
        assert.deepEqual(seen[0], {
          before: { producers: [], unstable: undefined, ongoing: false, snapshots: false },
          after: { producers: 2, unstable: 3n, ongoing: true },
          restored: { producers: 2, unstable: 3n, retry: 2n },
        });
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    } finally {
      await cleanup();
    }
  });

  it('leaves out a log whose retired segments were not deleted before the close (the next open removes them)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const { m, clock } = await open(dir);
      const log = await m.createLog('t', 0, config({ segmentBytes: 300, retentionMs: 1000, fileDeleteDelayMs: 60_000 }));
      for (let i = 0; i < 10; i++) await log.append(batch([`v${i}`], { timestamp: 1_700_000_000_000n }));
      clock.advance(5000);
      assert.ok((await log.deleteOldSegments()).deleted.length > 0);
      await m.close();
      assert.ok((await readdir(join(dir, 't-0'))).some((n) => n.endsWith('.deleted')));
      const again = await open(dir);
      assert.equal(summarized(again.logger), 0);
      assert.ok(!(await readdir(join(dir, 't-0'))).some((n) => n.endsWith('.deleted')));
      await again.m.close();
    } finally {
      await cleanup();
    }
  });

  it('a clean close opens and fsyncs nothing of a log opened from it and not written to since; a log written to or truncated is flushed as before', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await closedLogs(dir);
      const disk = new RecordingDisk(nodeDisk);
      const { m, logger } = await open(dir, undefined, disk);
      assert.equal(summarized(logger), 3);
      await m.getLog('t', 1)!.append(batch(['b3']), { leaderEpoch: 1 });
      await m.getLog('u', 0)!.read(0n, 1000);
      const untouched = await observable(m.getLog('t', 0)!);
      disk.touched.length = 0;
      await m.close();
      for (const op of ['open', 'sync', 'syncDir'] as const) assert.deepEqual(disk.under('t-0', op), [], `${op} of the untouched log t-0`);
      assert.deepEqual(disk.under('u-0', 'sync'), [], 'read, not written: nothing to fsync');
      assert.ok(disk.under('t-1', 'sync').some((p) => p.endsWith('.log')), 'the log appended to is fsynced');
      // What the close left is what the next open sees, from the summary and from the directories alike.
      const copy = await withoutSummary(dir);
      try {
        for (const d of [dir, copy]) {
          const again = await open(d);
          assert.deepEqual(await observable(again.m.getLog('t', 0)!), untouched);
          assert.deepEqual((await readAll(again.m.getLog('t', 1)!)).map((r) => r.value), ['b0', 'b1', 'b2', 'b3']);
          await again.m.close();
        }
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
      // A truncation (a follower's) changes the indexes of a segment opened durable: its close fsyncs them again.
      const third = await open(dir, undefined, disk);
      assert.equal(summarized(third.logger), 3);
      await third.m.getLog('t', 0)!.truncateTo(10n);
      disk.touched.length = 0;
      await third.m.close();
      assert.ok(disk.under('t-0', 'sync').length > 0, 'the truncated log is fsynced at close');
      const fourth = await open(dir);
      assert.equal(fourth.m.getLog('t', 0)!.logEndOffset, 10n);
      await fourth.m.close();
    } finally {
      await cleanup();
    }
  });
});
