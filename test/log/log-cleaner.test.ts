/** Compaction: the latest record per key, tombstones, lags, ratios, transactions, bounded memory. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControlRecordType, encodeUncompressedRecordBatch, endTxnMarkerRecord, iterateBatches, readBatchHeader } from '../../src/protocol/records/index.js';
import { LogCleaner } from '../../src/log/cleaner/log-cleaner.js';
import type { PartitionLog } from '../../src/log/partition-log.js';
import { type DecodedRecord, config, decodeChunks, keyedBatch, withLog } from './helpers.js';
import type { LogManager } from '../../src/log/log-manager.js';

const COMPACT = { cleanupPolicy: { delete: false, compact: true }, segmentBytes: 400, minCleanableDirtyRatio: 0.01 };

function cleanerFor(manager: LogManager, dir: string, opts: { dedupeBufferBytes?: number; waitForHighWatermark?: boolean } = {}): LogCleaner {
  const env = (manager as unknown as { env: ConstructorParameters<typeof LogCleaner>[0]['env'] }).env;
  return new LogCleaner({ env, dataDir: dir, logs: () => manager.allLogs(), ...opts });
}

async function everything(log: PartitionLog): Promise<DecodedRecord[]> {
  return decodeChunks((await log.read(log.logStartOffset, 1 << 30, { minOneBatch: true })).chunks);
}

/** key -> value of the last record per key, and the offset it had. */
function latest(records: DecodedRecord[]): Map<string, DecodedRecord> {
  const m = new Map<string, DecodedRecord>();
  for (const r of records) m.set(r.key!, r);
  return m;
}

describe('log cleaner', () => {
  it('keeps exactly the latest record per key below the active segment, at its original offset', async () => {
    await withLog(COMPACT, async (log, { manager, dir }) => {
      for (let i = 0; i < 60; i++) await log.append(keyedBatch([[`k${i % 7}`, `v${i}`]]));
      await log.flush();
      const before = await everything(log);
      const cleaner = cleanerFor(manager, dir);
      const s = await cleaner.cleanLogNow(log);
      assert.ok(s && s.segmentsCleaned > 0 && s.recordsWritten < s.recordsRead);
      const after = await everything(log);
      const activeBase = log.localLog.active.baseOffset;
      const cleanedPart = after.filter((r) => r.offset < activeBase);
      const expected = [...latest(before.filter((r) => r.offset < activeBase)).values()].sort((a, b) => Number(a.offset - b.offset));
      assert.deepEqual(cleanedPart, expected);
      assert.deepEqual(after.filter((r) => r.offset >= activeBase), before.filter((r) => r.offset >= activeBase), 'the active segment is untouched');
      assert.deepEqual(latest(after), latest(before), 'a reader still sees the latest value of every key');
      assert.equal(cleaner.firstDirtyOffset(log), activeBase);
      await cleaner.stop();
    });
  });

  it('copies batches it keeps whole byte for byte', async () => {
    await withLog(COMPACT, async (log, { manager, dir }) => {
      await log.append(keyedBatch([['a', '1'], ['b', '2']]));
      await log.append(keyedBatch([['c', '3']]));
      await log.append(keyedBatch([['a', '4']]));
      for (let i = 0; i < 10; i++) await log.append(keyedBatch([[`z${i}`, 'filler-filler-filler']]));
      await log.flush();
      const original = Buffer.concat((await log.read(2n, 1 << 20)).chunks);
      const cleaner = cleanerFor(manager, dir);
      await cleaner.cleanLogNow(log);
      const firstBatches = Buffer.concat((await log.read(0n, 1 << 20)).chunks);
      const spans = [...iterateBatches(firstBatches)];
      // Batch 0 lost 'a' (rewritten, offsets kept), batch 2 ('c') is byte-identical.
      const b0 = readBatchHeader(firstBatches, 0);
      assert.equal(b0.baseOffset, 0n);
      assert.equal(b0.lastOffsetDelta, 1, 'the rewritten batch keeps its last offset');
      assert.equal(b0.recordCount, 1);
      const c = spans.find((s) => s.complete && s.header.baseOffset === 2n)!;
      assert.deepEqual(firstBatches.subarray(c.position, c.position + (c.complete ? c.sizeInBytes : 0)), original.subarray(0, c.complete ? c.sizeInBytes : 0));
      await cleaner.stop();
    });
  });

  it('keeps tombstones until delete.retention.ms after the cleaning that saw them', async () => {
    await withLog({ ...COMPACT, deleteRetentionMs: 10_000 }, async (log, { manager, dir, clock }) => {
      await log.append(keyedBatch([['gone', 'v1'], ['kept', 'v1']]));
      await log.append(keyedBatch([['gone', null]]));
      for (let i = 0; i < 10; i++) await log.append(keyedBatch([[`f${i}`, 'filler-filler-filler']]));
      await log.flush();
      const cleaner = cleanerFor(manager, dir);
      await cleaner.cleanLogNow(log);
      let recs = await everything(log);
      assert.deepEqual(recs.filter((r) => r.key === 'gone').map((r) => r.value), [null], 'the tombstone stays, the value it deletes goes');
      clock.advance(9_000);
      await cleaner.cleanLogNow(log);
      assert.equal((await everything(log)).filter((r) => r.key === 'gone').length, 1);
      clock.advance(2_000);
      const s = await cleaner.cleanOnce();
      assert.equal(s?.due, 'tombstones-expired', 'an expired delete horizon makes the log due on its own');
      recs = await everything(log);
      assert.equal(recs.filter((r) => r.key === 'gone').length, 0);
      assert.equal(recs.filter((r) => r.key === 'kept').length, 1);
      await cleaner.stop();
    });
  });

  it('respects min.cleanable.dirty.ratio, min.compaction.lag.ms and max.compaction.lag.ms', async () => {
    await withLog({ ...COMPACT, minCleanableDirtyRatio: 0.99, maxCompactionLagMs: 60_000, minCompactionLagMs: 0 }, async (log, { manager, dir, clock }) => {
      const t = BigInt(clock.now());
      for (let i = 0; i < 30; i++) await log.append(keyedBatch([[`k${i % 3}`, `v${i}`]], t));
      await log.flush();
      const cleaner = cleanerFor(manager, dir);
      await cleaner.cleanLogNow(log);
      for (let i = 0; i < 30; i++) await log.append(keyedBatch([[`k${i % 3}`, `w${i}`]], t));
      await log.flush();
      assert.equal(await cleaner.cleanOnce(), undefined, 'dirty ratio below 0.99 and no lag exceeded');
      clock.advance(61_000);
      const s = await cleaner.cleanOnce();
      assert.equal(s?.due, 'max-compaction-lag');
      log.updateConfig({ ...log.config, minCompactionLagMs: 1_000_000, minCleanableDirtyRatio: 0.01 });
      for (let i = 0; i < 30; i++) await log.append(keyedBatch([[`k${i % 3}`, `x${i}`]], BigInt(clock.now())));
      await log.flush();
      const before = (await everything(log)).length;
      await cleaner.cleanLogNow(log);
      const young = (await everything(log)).filter((r) => r.value?.startsWith('x'));
      assert.ok(young.length >= 25, `records younger than min.compaction.lag.ms stay (${young.length} of 30; before ${before})`);
      await cleaner.stop();
    });
  });

  it('cleans by ratio only above min.cleanable.dirty.ratio: at 1, a log all dirty waits for max.compaction.lag.ms', async () => {
    // Kafka's grabFilthiestCompactedLog: cleanableRatio > minCleanableRatio, or the lag exceeded.
    await withLog({ ...COMPACT, minCleanableDirtyRatio: 1, maxCompactionLagMs: 60_000 }, async (log, { manager, dir, clock }) => {
      for (let i = 0; i < 30; i++) await log.append(keyedBatch([[`k${i % 3}`, `v${i}`]], BigInt(clock.now())));
      await log.flush();
      const cleaner = cleanerFor(manager, dir);
      assert.equal(await cleaner.cleanOnce(), undefined, 'a dirty ratio of 1 does not exceed 1');
      clock.advance(61_000);
      assert.equal((await cleaner.cleanOnce())?.due, 'max-compaction-lag');
      await cleaner.stop();
    });
  });

  it('removes aborted transactional data, keeps committed data, and keeps markers while their data remains', async () => {
    await withLog(COMPACT, async (log, { manager, dir, clock }) => {
      const txBatch = (pid: bigint, seq: number, entries: [string, string][]) =>
        encodeUncompressedRecordBatch({ isTransactional: true, producerId: pid, producerEpoch: 0, baseSequence: seq, records: entries.map(([k, v]) => ({ key: Buffer.from(k), value: Buffer.from(v), timestamp: 1_700_000_000_000n })) });
      const marker = (pid: bigint, type: ControlRecordType) =>
        encodeUncompressedRecordBatch({ isTransactional: true, isControlBatch: true, producerId: pid, producerEpoch: 0, records: [endTxnMarkerRecord(type, 0, 1_700_000_000_000n)] });
      await log.append(txBatch(1n, 0, [['a', 'committed']]));
      await log.append(txBatch(2n, 0, [['b', 'aborted']]));
      await log.append(marker(2n, ControlRecordType.Abort));
      await log.append(marker(1n, ControlRecordType.Commit));
      for (let i = 0; i < 12; i++) await log.append(keyedBatch([[`f${i}`, 'filler-filler-filler']]));
      await log.flush();
      // The partition layer tells the log where the high watermark is: the markers are below it.
      log.onHighWatermarkUpdated(log.acknowledgedEnd);
      const cleaner = cleanerFor(manager, dir);
      await cleaner.cleanLogNow(log);
      const chunks = (await log.read(0n, 1 << 20)).chunks;
      const batches = chunks.flatMap((c) => [...iterateBatches(c)].map((s) => (s.complete ? s.header : undefined)));
      const recs = await decodeChunks(chunks);
      assert.ok(recs.some((r) => r.value === 'committed'));
      assert.ok(!recs.some((r) => r.value === 'aborted'), 'aborted data is removed');
      const pid2 = batches.filter((h) => h?.producerId === 2n);
      assert.ok(pid2.some((h) => h!.recordCount === 0 && (h!.attributes & 0x20) === 0), "the aborted producer's last data batch stays, empty");
      assert.ok(pid2.some((h) => (h!.attributes & 0x20) !== 0), 'the abort marker stays while its batch does');
      clock.advance(log.config.deleteRetentionMs + 1);
      await cleaner.cleanLogNow(log);
      await cleaner.cleanLogNow(log);
      const after = (await log.read(0n, 1 << 20)).chunks.flatMap((c) => [...iterateBatches(c)].map((s) => (s.complete ? s.header : undefined)));
      assert.ok(after.some((h) => h?.producerId === 1n && (h.attributes & 0x20) === 0), 'committed data stays');
      await cleaner.stop();
    });
  });

  it('with an offset map too small for the whole dirty range, cleans in several passes', async () => {
    await withLog(COMPACT, async (log, { manager, dir }) => {
      for (let i = 0; i < 200; i++) await log.append(keyedBatch([[`k${i % 50}`, `v${i}`]]));
      await log.flush();
      const before = await everything(log);
      const cleaner = cleanerFor(manager, dir, { dedupeBufferBytes: 24 * 40 });
      const first = await cleaner.cleanLogNow(log);
      assert.ok(first && first.endOffset < log.localLog.active.baseOffset, `the first pass stops early (${first?.endOffset})`);
      for (let i = 0; i < 20; i++) {
        const s = await cleaner.cleanLogNow(log);
        if (!s || s.endOffset >= log.localLog.active.baseOffset) break;
      }
      assert.equal(cleaner.firstDirtyOffset(log), log.localLog.active.baseOffset);
      assert.deepEqual(latest(await everything(log)), latest(before));
      await cleaner.stop();
    });
  });

  it('truncation below the cleaner checkpoint lowers it, so data appended afterwards is cleaned too', async () => {
    await withLog(COMPACT, async (log, { manager, dir }) => {
      for (let i = 0; i < 30; i++) await log.append(keyedBatch([[`k${i % 3}`, `v${i}`]]));
      await log.flush();
      const cleaner = cleanerFor(manager, dir);
      await cleaner.cleanLogNow(log);
      const checkpoint = cleaner.firstDirtyOffset(log)!;
      await log.truncateTo(checkpoint - 4n);
      // Key z lands only in the truncated range, below the old checkpoint; later records never have it.
      for (let i = 0; i < 4; i++) await log.append(keyedBatch([['z', `z${i}`]]));
      for (let i = 0; i < 30; i++) await log.append(keyedBatch([[`f${i}`, 'filler-filler']]));
      await log.flush();
      await cleaner.cleanLogNow(log);
      const clean = cleaner.firstDirtyOffset(log)!;
      const keys = (await everything(log)).filter((r) => r.offset < clean).map((r) => r.key);
      assert.equal(new Set(keys).size, keys.length, `no key twice below the checkpoint: ${keys.join()}`);
      await cleaner.stop();
    });
  });

  it('cleans nothing above the high watermark: an unreplicated value may be truncated, the one it supersedes must stay', async () => {
    await withLog(COMPACT, async (log, { manager, dir }) => {
      await log.append(keyedBatch([['k', 'replicated']]));
      log.onHighWatermarkUpdated(log.logEndOffset);
      const hw = log.logEndOffset;
      // Not yet on any follower: a new leader would not have these, and this log would be cut back to hw.
      await log.append(keyedBatch([['k', 'unreplicated']]));
      for (let i = 0; i < 30; i++) await log.append(keyedBatch([[`f${i}`, 'filler-filler-filler']]));
      await log.flush();
      assert.ok(log.localLog.active.baseOffset > hw, 'the unreplicated value is below the active segment');
      const cleaner = cleanerFor(manager, dir);
      await cleaner.cleanLogNow(log);
      await log.truncateTo(hw);
      assert.deepEqual((await everything(log)).map((r) => r.value), ['replicated'], 'the replicated value survives the truncation');
      await cleaner.stop();
    });
  });

  it('with waitForHighWatermark (the broker), leaves a log alone until its partition tells it its high watermark', async () => {
    await withLog(COMPACT, async (log, { manager, dir }) => {
      for (let i = 0; i < 30; i++) await log.append(keyedBatch([[`k${i % 3}`, `v${i}`]]));
      await log.flush();
      const cleaner = cleanerFor(manager, dir, { waitForHighWatermark: true });
      assert.equal(await cleaner.cleanOnce(), undefined, 'a log opened at start, its partition not there yet: its tail may be unreplicated');
      log.onHighWatermarkUpdated(log.logEndOffset);
      assert.equal((await cleaner.cleanOnce())?.due, 'dirty-ratio');
      await cleaner.stop();
    });
  });

  it('forgets a deleted log: a new log of its name is cleaned from its start', async () => {
    // The cleaner kept its checkpoint of a deleted log (in memory, for the broker's life): a
    // compacted topic deleted and created again had its first offsets taken for clean, never compacted.
    await withLog(
      COMPACT,
      async (log, { manager }) => {
        const cleaner = manager.logCleaner!;
        for (let i = 0; i < 60; i++) await log.append(keyedBatch([[`k${i % 5}`, `v${i}`]]));
        await log.flush();
        await cleaner.cleanLogNow(log);
        assert.ok(cleaner.firstDirtyOffset(log)! > 0n);
        await manager.deleteLog(log.topic, log.partition);
        const again = await manager.createLog(log.topic, log.partition, config(COMPACT));
        for (let i = 0; i < 60; i++) await again.append(keyedBatch([[`n${i % 5}`, `w${i}`]]));
        await again.flush();
        await cleaner.cleanLogNow(again);
        const clean = cleaner.firstDirtyOffset(again)!;
        const keys = (await everything(again)).filter((r) => r.offset < clean).map((r) => r.key);
        assert.equal(new Set(keys).size, keys.length, `no key twice below the checkpoint: ${keys.join()}`);
      },
      { cleaner: { backoffMs: 60_000 } },
    );
  });

  it('runs in the background of the LogManager and persists its checkpoint', async () => {
    await withLog(
      COMPACT,
      async (log, { manager, clock }) => {
        for (let i = 0; i < 60; i++) await log.append(keyedBatch([[`k${i % 5}`, `v${i}`]]));
        await log.flush();
        const before = log.sizeInBytes;
        clock.advance(100);
        // A pass fsyncs every cleaned segment: on a loaded machine it can take seconds of wall time.
        for (let i = 0; i < 5000 && manager.logCleaner!.firstDirtyOffset(log) === undefined; i++) await new Promise((r) => setTimeout(r, 2));
        assert.ok(log.sizeInBytes < before, 'the background cleaner compacted the log');
        assert.equal(manager.logCleaner!.firstDirtyOffset(log), log.localLog.active.baseOffset);
      },
      { cleaner: { backoffMs: 50 } },
    );
  });
});
