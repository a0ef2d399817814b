/**
 * The leader epochs of a partition log: learned from appends, persisted in
 * `leader-epoch-checkpoint` when an epoch starts, cut by truncation and by the log start offset,
 * and loaded (or rebuilt from the batches) at open after clean shutdowns, crashes and power loss.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';
import { writeLeaderEpochCheckpoint } from '../../src/log/leader-epoch-checkpoint-file.js';
import type { LogConfig } from '../../src/log/log-config.js';
import { LogManager } from '../../src/log/log-manager.js';
import type { PartitionLog } from '../../src/log/partition-log.js';
import { encodeUncompressedRecordBatch } from '../../src/protocol/records/index.js';
import { FaultyDisk } from '../../src/storage/faulty-disk.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import type { Disk, DiskFile, OpenMode } from '../../src/storage/disk.js';
import { batch, capturingLogger, config, readAll } from './helpers.js';

const DIR = '/data/t-0';
const FILE = `${DIR}/leader-epoch-checkpoint`;

async function open(disk: Disk, cfg: Partial<LogConfig> = {}, logger = capturingLogger()): Promise<{ m: LogManager; log: PartitionLog }> {
  const m = await LogManager.open({ dataDir: '/data', disk, clock: new ManualClock(1_700_000_000_000), defaults: config(cfg), cleaner: false, logger });
  return { m, log: m.getLog('t', 0) ?? (await m.createLog('t', 0, config(cfg))) };
}

/** Appends `n` one-record batches in leader epoch `epoch`. */
async function appendIn(log: PartitionLog, epoch: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await log.append(batch([`e${epoch}-${i}`]), { leaderEpoch: epoch });
}

function fileText(disk: MemoryDisk): string | undefined {
  try {
    return disk.contents(FILE).toString();
  } catch {
    return undefined;
  }
}

/** Waits (a few turns of the event loop) for background writes to settle on `check`. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(check(), what);
}

describe('leader epochs of a log', () => {
  it('are learned from appends, in Kafka\'s file format, written only when an epoch starts', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const disk = new FaultyDisk(mem);
    const { m, log } = await open(disk);
    await appendIn(log, 0, 3);
    await eventually(() => fileText(mem) === '0\n1\n0 0\n', 'epoch 0 is in the file');
    const renames = disk.count('rename');
    await appendIn(log, 0, 20);
    assert.equal(disk.count('rename'), renames, 'appends in the same epoch write nothing');
    await appendIn(log, 2, 2);
    await eventually(() => fileText(mem) === '0\n2\n0 0\n2 23\n', 'epoch 2 starts at 23');
    assert.equal(disk.count('rename'), renames + 1, 'one atomic write for the new epoch');
    assert.equal(log.latestEpoch, 2);
    assert.deepEqual(log.epochEntries(), [
      { epoch: 0, startOffset: 0n },
      { epoch: 2, startOffset: 23n },
    ]);
    assert.deepEqual(log.endOffsetForEpoch(0), { epoch: 0, endOffset: 23n });
    assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 0, endOffset: 23n });
    assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 2, endOffset: 25n }, 'the latest epoch ends at the log end');
    await m.close();
  });

  it('take each batch\'s own partitionLeaderEpoch without the option, and ignore batches without one', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const { m, log } = await open(mem);
    const stamped = (epoch: number, value: string) => encodeUncompressedRecordBatch({ partitionLeaderEpoch: epoch, records: [{ value: Buffer.from(value), timestamp: 1n }] });
    await log.append(batch(['none']));
    await log.append(Buffer.concat([stamped(3, 'a'), stamped(-1, 'b'), stamped(4, 'c')]));
    assert.deepEqual(log.epochEntries(), [
      { epoch: 3, startOffset: 1n },
      { epoch: 4, startOffset: 3n },
    ]);
    await m.close();
  });

  it('a log that never had an epoch has no checkpoint file', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const { m, log } = await open(mem, { segmentBytes: 300 });
    for (let i = 0; i < 20; i++) await log.append(batch([`v${i}`]));
    await m.close();
    const again = await open(mem);
    assert.deepEqual(again.log.epochEntries(), []);
    await again.m.close();
    assert.ok(!(await mem.readdir(DIR)).includes('leader-epoch-checkpoint'));
  });

  it('assignEpochStartOffset records an epoch before its first batch (a new leader)', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const { m, log } = await open(mem);
    await appendIn(log, 1, 4);
    log.assignEpochStartOffset(2);
    assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 4n });
    await appendIn(log, 2, 1);
    assert.deepEqual(log.epochEntries().at(-1), { epoch: 2, startOffset: 4n });
    await m.close();
  });

  it('truncateTo drops the epochs past the new end, and the file agrees once it resolves', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const { m, log } = await open(mem, { segmentBytes: 300, indexIntervalBytes: 1 });
    await appendIn(log, 1, 5);
    await appendIn(log, 2, 5);
    await appendIn(log, 3, 5);
    assert.equal(await log.truncateTo(7n), 7n);
    assert.deepEqual(log.epochEntries(), [
      { epoch: 1, startOffset: 0n },
      { epoch: 2, startOffset: 5n },
    ]);
    assert.equal(fileText(mem), '0\n2\n1 0\n2 5\n');
    await appendIn(log, 4, 1);
    assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 2, endOffset: 7n });
    await log.truncateTo(3n);
    assert.deepEqual(log.epochEntries(), [{ epoch: 1, startOffset: 0n }]);
    await m.close();
  });

  it('move their first entry up with the log start offset (DeleteRecords, retention)', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const { m, log } = await open(mem, { segmentBytes: 300, retentionBytes: 400, fileDeleteDelayMs: 0 });
    await appendIn(log, 1, 4);
    await appendIn(log, 2, 4);
    await log.deleteRecordsBefore(2n);
    assert.deepEqual(log.epochEntries()[0], { epoch: 1, startOffset: 2n });
    await appendIn(log, 3, 20);
    const r = await log.deleteOldSegments();
    assert.ok(r.deleted.length > 0);
    assert.ok(log.logStartOffset > 8n, `retention moved the log start to ${log.logStartOffset}`);
    assert.deepEqual(log.epochEntries(), [{ epoch: 3, startOffset: log.logStartOffset }]);
    await eventually(() => fileText(mem) === `0\n1\n3 ${log.logStartOffset}\n`, 'the file follows');
    await m.close();
  });
});

describe('leader epochs at open', () => {
  it('come back as they were after a clean shutdown, from the file alone', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const { m, log } = await open(mem, { segmentBytes: 300 });
    await appendIn(log, 1, 10);
    await appendIn(log, 5, 10);
    const entries = log.epochEntries();
    await m.close();
    const again = await open(mem);
    assert.deepEqual(again.log.epochEntries(), entries);
    assert.equal(again.m.recoveryReports.length, 0);
    await again.m.close();
  });

  it('are rebuilt from the batches after a crash when the file is behind the log', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const { log } = await open(mem, { segmentBytes: 300 });
    await appendIn(log, 1, 10);
    await appendIn(log, 2, 3);
    await appendIn(log, 4, 3);
    const entries = log.epochEntries();
    // A crash before the checkpoint caught up: the file still says only epoch 1.
    await writeLeaderEpochCheckpoint(mem, DIR, [{ epoch: 1, startOffset: 0n }]);
    mem.crash();
    const again = await open(mem);
    assert.deepEqual(again.log.epochEntries(), entries);
    assert.equal(fileText(mem), '0\n3\n1 0\n2 10\n4 13\n', 'and the file is rewritten');
    await again.m.close();
  });

  it('an entry below the log start offset (the file behind DeleteRecords) moves up to it at open', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const { log } = await open(mem);
    await appendIn(log, 1, 4);
    await appendIn(log, 2, 4);
    await log.deleteRecordsBefore(6n);
    await writeLeaderEpochCheckpoint(mem, DIR, [
      { epoch: 1, startOffset: 0n },
      { epoch: 2, startOffset: 4n },
    ]);
    mem.crash();
    const again = await open(mem);
    assert.equal(again.log.logStartOffset, 6n);
    assert.deepEqual(again.log.epochEntries(), [{ epoch: 2, startOffset: 6n }]);
    assert.equal(fileText(mem), '0\n1\n2 6\n');
    await again.m.close();
  });

  it('are rebuilt from every batch when the file is missing (a log from before the file existed), once', async () => {
    for (const stop of ['clean', 'crash'] as const) {
      const mem = new MemoryDisk(() => 0.5);
      const first = await open(mem, { segmentBytes: 300 });
      await appendIn(first.log, 0, 10);
      await appendIn(first.log, 3, 10);
      const entries = first.log.epochEntries();
      assert.ok(first.log.segments.length > 3);
      if (stop === 'clean') await first.m.close();
      else await first.log.flush();
      await mem.unlink(FILE);
      if (stop === 'crash') mem.crash();
      const again = await open(mem);
      assert.deepEqual(again.log.epochEntries(), entries, `after a ${stop} stop`);
      assert.equal(fileText(mem), '0\n2\n0 0\n3 10\n');
      await again.m.close();
    }
  });

  it('drop entries past the log end that recovery cut after a power loss', async () => {
    const mem = new MemoryDisk(() => 0);
    const { log } = await open(mem, { segmentBytes: 100_000 });
    await appendIn(log, 1, 5);
    await log.flush();
    await appendIn(log, 2, 5);
    await eventually(() => (fileText(mem) ?? '').includes('2 5'), 'epoch 2 is in the file');
    // The checkpoint was fsynced when epoch 2 started; its batches were not.
    mem.powerLoss({ keepPartialTails: false });
    const again = await open(mem);
    assert.equal(again.log.logEndOffset, 5n);
    assert.deepEqual(again.log.epochEntries(), [{ epoch: 1, startOffset: 0n }]);
    assert.equal(fileText(mem), '0\n1\n1 0\n');
    await again.m.close();
  });

  it('with fsync-before-ack, survive power loss for every acknowledged batch, across rolled segments', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const { log } = await open(mem, { fsyncBeforeAck: true, segmentBytes: 250 });
    for (let epoch = 0; epoch < 6; epoch++) await appendIn(log, epoch, 4);
    const entries = log.epochEntries();
    assert.equal(entries.length, 6);
    await log.flush();
    mem.powerLoss();
    const again = await open(mem);
    assert.deepEqual((await readAll(again.log)).length, 24);
    assert.deepEqual(again.log.epochEntries(), entries);
    await again.m.close();
  });

  it('an unreadable file is rebuilt from the batches, with a warning', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const { m, log } = await open(mem);
    await appendIn(log, 7, 3);
    await m.close();
    const f = await mem.open(FILE, 'overwrite');
    await f.write([Buffer.from('garbage')], 0);
    await f.close();
    const logger = capturingLogger();
    const again = await open(mem, {}, logger);
    assert.deepEqual(again.log.epochEntries(), [{ epoch: 7, startOffset: 0n }]);
    assert.ok(logger.entries.some((x) => x.level === 'warn' && /leader-epoch-checkpoint/.test(x.msg ?? '')));
    await again.m.close();
  });

  it('the recovery point passes a rolled segment only once the epochs starting in it are in the file', async () => {
    const mem = new MemoryDisk(() => 0.5);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    // Checkpoint writes wait at the gate; everything else goes through.
    const disk: Disk = Object.assign(Object.create(mem) as MemoryDisk, {
      open: async (path: string, mode: OpenMode): Promise<DiskFile> => {
        if (path.includes('leader-epoch-checkpoint')) await gate;
        return mem.open(path, mode);
      },
    });
    const { m, log } = await open(disk, { segmentBytes: 250 });
    await appendIn(log, 1, 3);
    await appendIn(log, 2, 3);
    assert.ok(log.segments.length > 1, 'rolled');
    // (flush() would wait for the gate too: acknowledgements wait for rolled segments' finalization.)
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    assert.equal(log.recoveryPoint, 0n, 'the rolled segments are flushed, but their epochs are not in the file yet');
    release();
    await eventually(() => log.recoveryPoint > 0n, 'the recovery point moves once the file is written');
    assert.equal(fileText(mem), '0\n2\n1 0\n2 3\n');
    await m.close();
  });

  it('a failed checkpoint write takes the log offline, as any I/O error', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const disk = new FaultyDisk(mem);
    const { m, log } = await open(disk);
    await appendIn(log, 1, 1);
    await eventually(() => fileText(mem) !== undefined, 'first checkpoint written');
    disk.failNext({ op: 'sync', path: /leader-epoch-checkpoint/ });
    await appendIn(log, 2, 1);
    await eventually(() => log.offlineError !== null, 'offline');
    assert.equal(log.offlineError!.code, 'SAMSA_LOG_OFFLINE');
    await m.close();
  });
});
