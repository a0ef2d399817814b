/** I/O failures through the Disk interface: a typed error, the log offline, nothing acknowledged lost. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';
import type { LogConfig } from '../../src/log/log-config.js';
import { LogManager } from '../../src/log/log-manager.js';
import { FaultyDisk } from '../../src/storage/faulty-disk.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { batch, capturingLogger, config, readAll } from './helpers.js';

async function setup(cfg: Partial<LogConfig>) {
  const mem = new MemoryDisk(() => 0.5);
  const disk = new FaultyDisk(mem);
  const logger = capturingLogger();
  const m = await LogManager.open({ dataDir: '/data', disk, clock: new ManualClock(0), defaults: config(cfg), cleaner: false, logger });
  const log = await m.createLog('t', 0, config(cfg));
  return { mem, disk, m, log, logger };
}

async function reopen(mem: MemoryDisk) {
  return LogManager.open({ dataDir: '/data', disk: mem, clock: new ManualClock(0), defaults: config(), cleaner: false });
}

describe('fault injection', () => {
  for (const policy of [{ fsyncBeforeAck: true }, { flushMessages: 1 }] as const) {
    it(`a failed fsync (${JSON.stringify(policy)}) fails the appends it covered, takes the log offline, keeps acknowledged data readable`, async () => {
      const { mem, disk, m, log, logger } = await setup(policy);
      for (let i = 0; i < 5; i++) await log.append(batch([`ok${i}`]));
      disk.failNext({ op: 'sync', path: /\.log$/ });
      const failed = await Promise.allSettled([log.append(batch(['x1'])), log.append(batch(['x2']))]);
      assert.ok(failed.every((r) => r.status === 'rejected'));
      const reason = (failed[0] as PromiseRejectedResult).reason as { code: string; cause: { errno: string } };
      assert.equal(reason.code, 'SAMSA_LOG_OFFLINE');
      assert.equal(reason.cause.errno, 'EIO');
      assert.ok(log.offlineError);
      await assert.rejects(log.append(batch(['later'])), { code: 'SAMSA_LOG_OFFLINE' });
      assert.equal(log.acknowledgedEnd, 5n);
      assert.deepEqual((await readAll(log)).map((r) => r.value), ['ok0', 'ok1', 'ok2', 'ok3', 'ok4'], 'acknowledged data stays readable');
      assert.ok(logger.entries.some((e) => e.level === 'error'));
      await m.close();
      mem.powerLoss();
      const again = await reopen(mem);
      const values = (await readAll(again.getLog('t', 0)!)).map((r) => r.value);
      assert.deepEqual(values.slice(0, 5), ['ok0', 'ok1', 'ok2', 'ok3', 'ok4']);
      await again.close();
    });
  }

  it('a full disk: the append that does not fit fails, the earlier ones stay, recovery cuts the partial write', async () => {
    const { mem, disk, m, log } = await setup({ fsyncBeforeAck: true });
    for (let i = 0; i < 5; i++) await log.append(batch([`ok${i}`]));
    disk.setFreeSpace(20);
    await assert.rejects(log.append(batch(['does-not-fit'])), (e: { code: string; cause: { errno: string } }) => e.code === 'SAMSA_LOG_OFFLINE' && e.cause.errno === 'ENOSPC');
    assert.equal((await readAll(log)).length, 5);
    disk.clearFaults();
    await m.close();
    const again = await reopen(mem);
    const r = again.recoveryReports[0];
    assert.ok(r && r.truncations.length === 1, 'the partial batch is truncated at open');
    assert.equal((await readAll(again.getLog('t', 0)!)).length, 5);
    await again.getLog('t', 0)!.append(batch(['after']));
    await again.close();
  });

  it('a torn write: the append fails and the torn bytes are cut at the next open', async () => {
    const { mem, disk, m, log } = await setup({});
    await log.append(batch(['a']));
    disk.failNext({ op: 'write', path: /\.log$/, tornBytes: 30 });
    await assert.rejects(log.append(batch(['torn'])), { code: 'SAMSA_LOG_OFFLINE' });
    await m.close();
    const again = await reopen(mem);
    assert.equal(again.getLog('t', 0)!.logEndOffset, 1n);
    assert.equal(again.recoveryReports[0]!.truncations[0]!.bytes, 30);
    await again.close();
  });

  it('a failing roll (segment file creation) takes the log offline without losing the old segment', async () => {
    const { mem, disk, m, log } = await setup({ segmentBytes: 200, fsyncBeforeAck: true });
    for (let i = 0; i < 3; i++) await log.append(batch([`v${i}`]));
    disk.failNext({ op: 'open', path: /\.log$/, errno: 'EMFILE', times: 5 });
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => log.append(batch([`w${i}`]))));
    assert.ok(results.some((r) => r.status === 'rejected'));
    const acked = results.filter((r) => r.status === 'fulfilled').length;
    await m.close();
    const again = await reopen(mem);
    assert.equal((await readAll(again.getLog('t', 0)!)).length >= 3 + acked, true);
    await again.close();
  });
});
