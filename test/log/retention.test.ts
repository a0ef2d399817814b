import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LogManagerOptions } from '../../src/log/log-manager.js';
import type { OpenMode } from '../../src/storage/disk.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { batch, readAll, withLog } from './helpers.js';

const listSegments = async (dir: string) => (await readdir(join(dir, 't-0'))).filter((n) => n.endsWith('.log')).sort();

describe('retention', () => {
  it('retention.ms deletes whole segments whose newest record is older, the active one rolled first', async () => {
    await withLog({ segmentBytes: 300, retentionMs: 60_000, fileDeleteDelayMs: 1000 }, async (log, { clock, dir }) => {
      const t0 = BigInt(clock.now());
      for (let i = 0; i < 10; i++) await log.append(batch([`old-${i}`], { timestamp: t0 }));
      clock.advance(30_000);
      for (let i = 0; i < 10; i++) await log.append(batch([`new-${i}`], { timestamp: t0 + 30_000n }));
      const before = log.segments.length;
      clock.advance(40_000);
      const r = await log.deleteOldSegments();
      assert.ok(r.deleted.length > 0 && r.deleted.every((d) => d.reason === 'retention.ms'));
      assert.equal(log.segments.length, before - r.deleted.length);
      assert.equal(log.logStartOffset, log.segments[0]!.baseOffset);
      const values = (await readAll(log)).map((x) => x.value);
      assert.ok(values.includes('new-0') && values.includes('new-9'));
      assert.ok(!values.includes('old-0'));
      // Files are renamed .deleted, then removed after file.delete.delay.ms.
      assert.ok((await readdir(join(dir, 't-0'))).some((n) => n.endsWith('.deleted')));
      clock.advance(1000);
      // Bounded (10 s) but generous: on a loaded machine the scheduled deletion can take a while to run.
      for (let i = 0; i < 2000 && (await readdir(join(dir, 't-0'))).some((n) => n.endsWith('.deleted')); i++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(!(await readdir(join(dir, 't-0'))).some((n) => n.endsWith('.deleted')));
      // When everything is expired, the active segment is rolled and deleted too (as in Kafka): an empty one stays.
      const end = log.logEndOffset;
      clock.advance(10_000_000);
      await log.deleteOldSegments();
      assert.deepEqual(log.segments.map((s) => [s.baseOffset, s.size]), [[end, 0]]);
      assert.equal(log.logStartOffset, end);
      assert.deepEqual(await listSegments(dir), [`${String(end).padStart(20, '0')}.log`]);
      await log.append(batch(['after']));
      assert.deepEqual((await readAll(log)).map((x) => x.value), ['after']);
    });
  });

  it('retention.ms rolls and deletes an active segment of records stamped long ago once below the high watermark, not one holding a record stamped now', async () => {
    await withLog({ retentionMs: 60_000 }, async (log, { clock }) => {
      const old = BigInt(clock.now() - 600_000);
      await log.append(batch(['old-1', 'old-2'], { timestamp: old }));
      await log.append(batch(['now'], { timestamp: BigInt(clock.now()) }));
      assert.deepEqual((await log.deleteOldSegments()).deleted, [], 'a record stamped now keeps its segment');
      assert.equal(log.logStartOffset, 0n);
      clock.advance(60_001);
      log.onHighWatermarkUpdated(2n);
      assert.deepEqual((await log.deleteOldSegments()).deleted, [], 'nothing above the high watermark goes (as in Kafka)');
      log.onHighWatermarkUpdated(3n);
      const r = await log.deleteOldSegments();
      assert.deepEqual(r.deleted.map((d) => [d.baseOffset, d.reason]), [[0n, 'retention.ms']]);
      assert.equal(log.logStartOffset, 3n);
    });
  });

  it('retention.bytes deletes the oldest segments while the log stays at least that large without them', async () => {
    await withLog({ segmentBytes: 300, retentionBytes: 1000 }, async (log) => {
      for (let i = 0; i < 40; i++) await log.append(batch([`v${i}`]));
      const total = log.sizeInBytes;
      const r = await log.deleteOldSegments();
      assert.ok(r.deleted.length > 0 && r.deleted.every((d) => d.reason === 'retention.bytes'));
      assert.ok(log.sizeInBytes >= 1000, `${log.sizeInBytes} left`);
      assert.ok(log.sizeInBytes - log.segments[0]!.size < 1000, 'deleting one more would go below');
      assert.ok(total - log.sizeInBytes === r.deleted.reduce((n, d) => n + d.size, 0));
    });
  });

  it('retention.bytes deletes no segment above the high watermark: the log start never passes it', async () => {
    await withLog({ segmentBytes: 300, retentionBytes: 300 }, async (log) => {
      for (let i = 0; i < 40; i++) await log.append(batch([`v${i}`]));
      // Followers have the first records only (acks=1): what they lack stays until they have it.
      const hw = log.segments[2]!.baseOffset;
      log.onHighWatermarkUpdated(hw);
      const r = await log.deleteOldSegments();
      assert.ok(log.logStartOffset <= hw, `log start ${log.logStartOffset} <= high watermark ${hw}`);
      assert.equal(r.deleted.length, 2, 'the two segments below the high watermark go');
    });
  });

  it('segments below the log start offset go whatever the policy; compact-only logs keep the rest', async () => {
    await withLog({ segmentBytes: 300, retentionMs: 1, retentionBytes: 1, cleanupPolicy: { delete: false, compact: true } }, async (log, { clock }) => {
      for (let i = 0; i < 20; i++) await log.append(batch([`v${i}`]));
      clock.advance(1_000_000);
      assert.equal((await log.deleteOldSegments()).deleted.length, 0, 'no time or size retention without delete');
      const cut = log.segments[2]!.baseOffset;
      await log.deleteRecordsBefore(cut + 1n);
      const r = await log.deleteOldSegments();
      assert.deepEqual(r.deleted.map((d) => d.reason), ['log-start-offset', 'log-start-offset']);
      assert.equal(log.logStartOffset, cut + 1n);
    });
  });

  it('the manager runs retention on its schedule', async () => {
    await withLog(
      { segmentBytes: 300, retentionBytes: 500 },
      async (log, { clock }) => {
        for (let i = 0; i < 30; i++) await log.append(batch([`v${i}`]));
        const before = log.segments.length;
        clock.advance(1000);
        for (let i = 0; i < 5000 && log.segments.length === before; i++) await new Promise((r) => setTimeout(r, 2));
        assert.ok(log.segments.length < before);
      },
      { retentionCheckIntervalMs: 1000 },
    );
  });
});

describe('retention of a segment whose background flush is still queued', () => {
  it('skips the flush and removes the files after it, leaving the log online', async () => {
    // Every fsync of the first segment's .log waits for `release`: the background flushes of the
    // rolled segments queue behind it while retention retires them and their deletion comes due.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inner = new MemoryDisk();
    const disk = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop !== 'open') return Reflect.get(target, prop, receiver) as unknown;
        return async (path: string, mode: OpenMode) => {
          const file = await target.open(path, mode);
          if (!/00000000000000000000\.log/.test(path)) return file;
          return new Proxy(file, { get: (f, p, r) => (p === 'sync' ? async () => (await gate, f.sync()) : (Reflect.get(f, p, r) as unknown)) });
        };
      },
    });
    await withLog(
      { segmentBytes: 300, retentionMs: 60_000, fileDeleteDelayMs: 1000 },
      async (log, { clock, dir }) => {
        const t0 = BigInt(clock.now());
        for (let i = 0; i < 10; i++) await log.append(batch([`old-${i}`], { timestamp: t0 }));
        clock.advance(30_000);
        for (let i = 0; i < 10; i++) await log.append(batch([`new-${i}`], { timestamp: t0 + 30_000n }));
        clock.advance(40_000);
        const r = await log.deleteOldSegments();
        assert.ok(r.deleted.length >= 2, 'two segments or more retired while their flushes are queued');
        clock.advance(1000);
        await new Promise((res) => setTimeout(res, 50));
        release();
        await log.flush();
        assert.equal(log.offlineError, null);
        for (let i = 0; i < 2000 && (await inner.readdir(join(dir, 't-0'))).some((n) => n.endsWith('.deleted')); i++) await new Promise((res) => setTimeout(res, 5));
        assert.deepEqual((await inner.readdir(join(dir, 't-0'))).filter((n) => n.endsWith('.deleted')), []);
        clock.advance(10_000_000);
        await log.deleteOldSegments();
        assert.equal(log.segments.length, 1);
      },
      { disk } as Partial<LogManagerOptions>,
    );
  });
});
