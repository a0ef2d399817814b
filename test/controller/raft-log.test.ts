/**
 * The Raft log on a MemoryDisk: appends and flushes, what survives power loss, recovery of torn
 * and corrupt tails, segments, epoch lookups (Kafka's endOffsetForEpoch and
 * validateOffsetAndEpoch), truncation on divergence, and starting at a snapshot.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import { RaftStateError } from '../../src/controller/raft/errors.js';
import { segmentFileName } from '../../src/controller/raft/log-segments.js';
import { RaftLog } from '../../src/controller/raft/raft-log.js';
import { encodeUncompressedRecordBatch } from '../../src/protocol/records/index.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { gc } from '../helpers/memory.js';

const DIR = '/log/__cluster_metadata-0';

/** V8's heap in use after full collections. */
async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

async function fresh(segmentBytes = 1 << 20, seed = 1): Promise<{ disk: MemoryDisk; log: RaftLog }> {
  const r = new SeededRandom(seed);
  const disk = new MemoryDisk(() => r.next(), () => 0);
  await disk.mkdir(DIR);
  await disk.syncDir('/log');
  await disk.syncDir('/');
  return { disk, log: await RaftLog.open(disk, DIR, { segmentBytes }, undefined) };
}

function rec(text: string) {
  return { value: Buffer.from(text) };
}

/** Appends batches of the given epochs, one or two records each. */
function appendEpochs(log: RaftLog, epochs: number[]): void {
  epochs.forEach((e, i) => log.appendAsLeader(i % 2 === 0 ? [rec(`a${i}`)] : [rec(`b${i}`), rec(`c${i}`)], e, 1000 + i));
}

describe('RaftLog', () => {
  it('appends in memory at once and is durable only after flush', async () => {
    const { disk, log } = await fresh();
    appendEpochs(log, [1, 1, 2]);
    assert.equal(log.endOffset, 4);
    assert.equal(log.flushedEndOffset, 0);
    await log.flush();
    assert.equal(log.flushedEndOffset, 4);
    appendEpochs(log, [2]);
    disk.powerLoss({ keepPartialTails: false });
    const reopened = await RaftLog.open(disk, DIR, { segmentBytes: 1 << 20 }, undefined);
    assert.equal(reopened.endOffset, 4, 'the unflushed batch is gone, the flushed ones stay');
    assert.equal(reopened.lastFetchedEpoch, 2);
    assert.deepEqual(reopened.read(0, 1 << 20).map((b) => [b.baseOffset, b.lastOffset, b.epoch]), [[0, 0, 1], [1, 2, 1], [3, 3, 2]]);
  });

  it('keeps what arrives while a flush is writing for the next flush', async () => {
    const { disk, log } = await fresh();
    appendEpochs(log, [1]);
    const flushing = log.flush();
    appendEpochs(log, [1]);
    await flushing;
    assert.equal(log.flushedEndOffset, 1);
    await log.flush();
    assert.equal(log.flushedEndOffset, 2);
    disk.powerLoss({ keepPartialTails: false });
    assert.equal((await RaftLog.open(disk, DIR, { segmentBytes: 1 << 20 }, undefined)).endOffset, 2);
  });

  it('recovers the valid prefix of a torn or corrupt tail and drops later segments', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { disk, log } = await fresh(300, seed);
      appendEpochs(log, [1, 1, 1, 2, 2]);
      await log.flush();
      const durable = log.endOffset;
      appendEpochs(log, [2, 3, 3, 3]);
      await log.flush();
      // Unsynced writes after a power loss keep a random prefix: the reopened log is a prefix of what was written.
      appendEpochs(log, [3, 3, 3]);
      await log.flush().catch(() => undefined);
      const batches = log.read(0, 1 << 20).map((b) => b.bytes);
      disk.powerLoss({ keepPartialTails: true });
      const reopened = await RaftLog.open(disk, DIR, { segmentBytes: 300 }, undefined);
      assert.ok(reopened.endOffset >= durable, `seed ${seed}`);
      const got = reopened.read(0, 1 << 20).map((b) => b.bytes);
      assert.deepEqual(got, batches.slice(0, got.length), `seed ${seed}: a prefix`);
    }
  });

  it('truncates at a corrupt batch in the middle and deletes the segments after it', async () => {
    const { disk, log } = await fresh(200);
    appendEpochs(log, [1, 1, 1, 1, 1, 1, 1, 1]);
    await log.flush();
    const files = (await disk.readdir(DIR)).filter((f) => f.endsWith('.log')).sort();
    assert.ok(files.length >= 3, `rolled into ${files.length} segments`);
    const second = `${DIR}/${files[1]}`;
    const bytes = disk.contents(second);
    const f = await disk.open(second, 'readwrite');
    await f.write([Buffer.from([bytes[bytes.length - 5]! ^ 0xff])], bytes.length - 5);
    await f.sync();
    const reopened = await RaftLog.open(disk, DIR, { segmentBytes: 200 }, undefined);
    const firstOfSecond = Number(files[1]!.slice(0, 20));
    assert.ok(reopened.endOffset >= firstOfSecond && reopened.endOffset < 11, `end ${reopened.endOffset}`);
    const left = (await disk.readdir(DIR)).filter((x) => x.endsWith('.log')).sort();
    assert.deepEqual(left, files.slice(0, 2));
  });

  it("answers endOffsetForEpoch as Kafka's leader epoch cache does", async () => {
    const { log } = await fresh();
    appendEpochs(log, [1, 1, 3, 3, 4]); // offsets 0 | 1-2 | 3 | 4-5 | 6
    assert.deepEqual(log.endOffsetForEpoch(1), { offset: 3, epoch: 1 });
    assert.deepEqual(log.endOffsetForEpoch(2), { offset: 3, epoch: 1 }, 'an epoch absent from the log: the one before it');
    assert.deepEqual(log.endOffsetForEpoch(3), { offset: 6, epoch: 3 });
    assert.deepEqual(log.endOffsetForEpoch(4), { offset: 7, epoch: 4 });
    assert.deepEqual(log.endOffsetForEpoch(9), { offset: 7, epoch: 4 });
    assert.deepEqual(log.endOffsetForEpoch(0), { offset: 0, epoch: 0 });
  });

  it('tells a follower whether its position is valid, diverges, or needs a snapshot', async () => {
    const { log } = await fresh();
    appendEpochs(log, [1, 1, 3, 3, 4]);
    assert.equal(log.validateOffsetAndEpoch(0, 0).kind, 'valid');
    assert.equal(log.validateOffsetAndEpoch(3, 1).kind, 'valid');
    assert.equal(log.validateOffsetAndEpoch(6, 3).kind, 'valid');
    assert.deepEqual(log.validateOffsetAndEpoch(5, 2), { kind: 'diverging', divergingEpoch: { offset: 3, epoch: 1 } });
    assert.deepEqual(log.validateOffsetAndEpoch(4, 1), { kind: 'diverging', divergingEpoch: { offset: 3, epoch: 1 } });
    assert.deepEqual(log.validateOffsetAndEpoch(9, 4), { kind: 'diverging', divergingEpoch: { offset: 7, epoch: 4 } });
  });

  it('truncates to the divergence point, never below the committed offset', async () => {
    const { disk, log } = await fresh(150);
    appendEpochs(log, [1, 1, 2, 2, 2]); // 0 | 1-2 | 3 | 4-5 | 6
    await log.flush();
    await assert.rejects(log.truncateToEndOffset({ offset: 3, epoch: 1 }, 4), RaftStateError);
    assert.equal(log.endOffset, 7, 'nothing was cut');
    assert.equal(await log.truncateToEndOffset({ offset: 3, epoch: 1 }, 3), 3);
    assert.equal(log.lastFetchedEpoch, 1);
    assert.equal(log.flushedEndOffset, 3);
    // The truncation is durable: power loss does not bring the cut batches back.
    appendEpochs(log, [5]);
    await log.flush();
    disk.powerLoss({ keepPartialTails: false });
    const reopened = await RaftLog.open(disk, DIR, { segmentBytes: 150 }, undefined);
    assert.deepEqual(reopened.read(0, 1 << 20).map((b) => b.epoch), [1, 1, 5]);
  });

  it('accepts a leader\'s batches only when they continue the log', async () => {
    const { log } = await fresh();
    appendEpochs(log, [1]);
    const next = encodeUncompressedRecordBatch({ baseOffset: 1n, partitionLeaderEpoch: 2, records: [rec('x')] });
    const gap = encodeUncompressedRecordBatch({ baseOffset: 5n, partitionLeaderEpoch: 2, records: [rec('x')] });
    const back = encodeUncompressedRecordBatch({ baseOffset: 2n, partitionLeaderEpoch: 1, records: [rec('x')] });
    assert.throws(() => log.appendAsFollower(gap, 2), RaftStateError);
    assert.throws(() => log.appendAsFollower(next, 1), RaftStateError, 'beyond the leader epoch');
    assert.equal(log.appendAsFollower(Buffer.concat([next, next.subarray(0, 20)]), 2), 1, 'a partial batch at the end is left out');
    assert.throws(() => log.appendAsFollower(back, 2), RaftStateError, 'epoch going back');
    const corrupt = Buffer.from(encodeUncompressedRecordBatch({ baseOffset: 2n, partitionLeaderEpoch: 2, records: [rec('y')] }));
    corrupt[corrupt.length - 1]! ^= 1;
    assert.throws(() => log.appendAsFollower(corrupt, 2), /crc/i);
    assert.equal(log.endOffset, 2);
  });

  it('begins at a snapshot: deletes covered segments, reopens there, resets when behind it', async () => {
    const { disk, log } = await fresh(150);
    appendEpochs(log, [1, 1, 1, 2, 2, 2, 2]); // ends at 11
    await log.flush();
    const snap = { offset: 6, epoch: 2 }; // batches: 0 | 1-2 | 3 | 4-5 | 6 | 7-8 | 9
    assert.equal(log.epochOf(5), 2);
    await log.deleteBefore(snap);
    assert.equal(log.startOffset, 6);
    assert.equal(log.validateOffsetAndEpoch(3, 1).kind, 'snapshot');
    assert.equal(log.validateOffsetAndEpoch(6, 2).kind, 'valid');
    assert.equal(log.validateOffsetAndEpoch(6, 1).kind, 'snapshot');
    assert.ok(!(await disk.readdir(DIR)).includes(segmentFileName(0)), 'the first segment is deleted');
    const reopened = await RaftLog.open(disk, DIR, { segmentBytes: 150 }, snap);
    assert.equal(reopened.startOffset, 6);
    assert.equal(reopened.endOffset, 10);
    // A snapshot beyond the log's end: the log is begun anew at it.
    const ahead = await RaftLog.open(disk, DIR, { segmentBytes: 150 }, { offset: 40, epoch: 7 });
    assert.equal(ahead.startOffset, 40);
    assert.equal(ahead.endOffset, 40);
    assert.equal(ahead.lastFetchedEpoch, 7);
    disk.powerLoss({ keepPartialTails: false });
    const again = await RaftLog.open(disk, DIR, { segmentBytes: 150 }, { offset: 40, epoch: 7 });
    assert.equal(again.endOffset, 40);
  });

  it('refuses a log that starts after its snapshot', async () => {
    const { disk, log } = await fresh(150);
    appendEpochs(log, [1, 1, 1, 2, 2, 2, 2]);
    await log.flush();
    await log.deleteBefore({ offset: 6, epoch: 2 });
    await assert.rejects(RaftLog.open(disk, DIR, { segmentBytes: 150 }, undefined), RaftStateError);
  });

  it('keeps each batch in memory of its own, small and of one shape, until the next snapshot', async () => {
    // The log holds every batch since the last snapshot (up to 20 MiB of them by default). A small
    // batch once shared an 8 KiB allocation slab with whatever was allocated around it, and kept it
    // alive: ~100 topics created and deleted took 2.5 MB. A spread gave each batch object a hidden
    // class of its own once its segment was set: ~500 bytes of V8 heap a batch, now ~260.
    const { disk, log } = await fresh(1 << 20);
    const own = (b: { bytes: Buffer }) => b.bytes.buffer.byteLength === b.bytes.length;
    const neighbours: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      log.appendAsLeader([rec(`v${i}`)], 1, 1000 + i);
      neighbours.push(Buffer.allocUnsafe(64)); // as the broker allocates between appends
    }
    assert.ok(log.read(0, 1 << 20).every(own), 'as leader');
    const follower = (await fresh(1 << 20)).log;
    follower.appendAsFollower(Buffer.concat(log.read(0, 1 << 20).map((b) => b.bytes)), 1);
    assert.ok(follower.read(0, 1 << 20).every(own), 'as follower');
    await log.flush();
    assert.ok((await RaftLog.open(disk, DIR, { segmentBytes: 1 << 20 }, undefined)).read(0, 1 << 20).every(own), 'read back at a start');

    const many = (await fresh(64 << 20)).log;
    const before = await heapUsed();
    const BATCHES = 20_000;
    for (let i = 0; i < BATCHES; i++) many.appendAsLeader([rec(`v${i}`)], 1, 1000 + i);
    await many.flush();
    const perBatch = ((await heapUsed()) - before) / BATCHES;
    assert.ok(perBatch < 400, `${perBatch.toFixed(0)} bytes of V8 heap a batch`);
    assert.equal(many.endOffset, BATCHES);
  });
});
