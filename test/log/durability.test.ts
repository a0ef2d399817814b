/**
 * What each durability policy acknowledges, and what survives a process crash (kill -9) and a
 * power loss, on the in-memory disk that models both (see docs/durability.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';
import type { LogConfig } from '../../src/log/log-config.js';
import { LogManager } from '../../src/log/log-manager.js';
import { FaultyDisk } from '../../src/storage/faulty-disk.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { batch, config, readAll } from './helpers.js';

async function open(disk: MemoryDisk | FaultyDisk, cfg: Partial<LogConfig> = {}, clock = new ManualClock(1_700_000_000_000)) {
  const m = await LogManager.open({ dataDir: '/data', disk, clock, defaults: config(cfg), cleaner: false });
  const log = m.getLog('t', 0) ?? (await m.createLog('t', 0, config(cfg)));
  return { m, log, clock };
}

/** Appends `n` one-record batches concurrently and returns the acknowledged values. */
async function appendConcurrently(log: Awaited<ReturnType<typeof open>>['log'], n: number, prefix = 'v'): Promise<string[]> {
  const acked: string[] = [];
  await Promise.all(Array.from({ length: n }, (_, i) => log.append(batch([`${prefix}${i}`])).then(() => acked.push(`${prefix}${i}`))));
  return acked;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('durability policies', () => {
  it('a data directory created with its parents survives power loss, parents included', async () => {
    const mem = new MemoryDisk(() => 0);
    const m = await LogManager.open({ dataDir: '/srv/samsa/data', disk: mem, clock: new ManualClock(1_700_000_000_000), defaults: config({ fsyncBeforeAck: true }), cleaner: false });
    const log = await m.createLog('t', 0, config({ fsyncBeforeAck: true }));
    await log.append(batch(['kept']));
    mem.powerLoss({ keepPartialTails: false });
    const again = await LogManager.open({ dataDir: '/srv/samsa/data', disk: mem, clock: new ManualClock(1_700_000_000_000), defaults: config({ fsyncBeforeAck: true }), cleaner: false });
    const survived = again.getLog('t', 0);
    assert.ok(survived, 'the partition survived');
    assert.deepEqual((await readAll(survived)).map((r) => r.value), ['kept']);
    await again.close();
  });

  it('fsync-before-ack acknowledges only after an fsync, and concurrent appends share fsyncs (group commit)', async () => {
    const disk = new FaultyDisk(new MemoryDisk());
    const { log } = await open(disk, { fsyncBeforeAck: true });
    const syncsBefore = disk.count('sync');
    const acked = await appendConcurrently(log, 200);
    const syncs = disk.count('sync') - syncsBefore;
    assert.equal(acked.length, 200);
    assert.ok(syncs >= 1 && syncs <= 4, `${syncs} fsyncs for 200 concurrent appends`);
    assert.equal(log.flushedOffset, 200n);
    assert.equal(log.acknowledgedEnd, 200n);
  });

  it('fsync-before-ack: every acknowledged record survives power loss', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const { log } = await open(mem, { fsyncBeforeAck: true, segmentBytes: 2000 });
    const acked = await appendConcurrently(log, 120);
    // Appends in flight at the moment of the power loss are not acknowledged.
    const inFlight = appendConcurrently(log, 30, 'lost');
    mem.powerLoss();
    await inFlight.catch(() => {});
    const again = await open(mem, { fsyncBeforeAck: true, segmentBytes: 2000 });
    const values = (await readAll(again.log)).map((r) => r.value);
    for (const v of acked) assert.ok(values.includes(v), `acknowledged ${v} lost`);
    assert.deepEqual(values.slice(0, 120), acked.slice().sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
    await again.m.close();
  });

  it('default policy (no fsync): acknowledged after the write; survives kill -9 but not power loss', async () => {
    const mem = new MemoryDisk(() => 0);
    const first = await open(mem);
    const disk = mem;
    await appendConcurrently(first.log, 50);
    assert.equal(first.log.flushedOffset, 0n, 'nothing was fsynced');
    disk.crash();
    const afterCrash = await open(mem);
    assert.equal((await readAll(afterCrash.log)).length, 50, 'kill -9 keeps what the kernel has');
    await appendConcurrently(afterCrash.log, 50, 'w');
    disk.powerLoss({ keepPartialTails: false });
    const afterPowerLoss = await open(mem);
    const n = (await readAll(afterPowerLoss.log)).length;
    assert.ok(n < 100, `power loss drops unsynced acknowledged records (kept ${n} of 100)`);
    await afterPowerLoss.m.close();
  });

  it('flush.messages fsyncs before acknowledging the append that reaches the count', async () => {
    const disk = new FaultyDisk(new MemoryDisk());
    const { log } = await open(disk, { flushMessages: 3 });
    const base = disk.count('sync');
    await log.append(batch(['a']));
    await log.append(batch(['b']));
    assert.equal(disk.count('sync') - base, 0);
    assert.equal(log.flushedOffset, 0n);
    await log.append(batch(['c']));
    assert.equal(disk.count('sync') - base, 1);
    assert.equal(log.flushedOffset, 3n, 'acknowledged once durable');
    await log.append(batch(['d', 'e', 'f']));
    assert.equal(log.flushedOffset, 6n);
  });

  it('flush.ms fsyncs that long after the first unflushed write, without delaying acknowledgements', async () => {
    const disk = new FaultyDisk(new MemoryDisk());
    const { log, clock } = await open(disk, { flushMs: 1000 });
    await log.append(batch(['a']));
    assert.equal(log.flushedOffset, 0n);
    clock.advance(999);
    await tick();
    assert.equal(log.flushedOffset, 0n);
    clock.advance(1);
    for (let i = 0; i < 5 && log.flushedOffset === 0n; i++) await tick();
    assert.equal(log.flushedOffset, 1n);
  });

  it('a clean close flushes everything; after power loss a cleanly closed log is whole', async () => {
    const mem = new MemoryDisk(() => 0);
    const { m, log } = await open(mem, { segmentBytes: 500 });
    await appendConcurrently(log, 40);
    await m.close();
    mem.powerLoss({ keepPartialTails: false });
    const again = await open(mem);
    assert.equal((await readAll(again.log)).length, 40);
    assert.equal(again.m.recoveryReports.length, 0, 'the clean shutdown marker skipped recovery');
    await again.m.close();
  });
});
