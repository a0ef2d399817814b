/**
 * replication-offset-checkpoint (src/broker/partitions/high-watermark-checkpoint.ts): Kafka's
 * OffsetCheckpointFile text, written atomically through the Disk interface, read back; a missing
 * file is empty and a malformed one is refused; the checkpointer writes every interval.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/common/clock.js';
import { HighWatermarkCheckpointer, highWatermarkCheckpointPath, readHighWatermarks, writeHighWatermarks } from '../../../src/broker/partitions/high-watermark-checkpoint.js';
import { CheckpointFormatError } from '../../../src/log/offset-checkpoint-file.js';
import { readWholeFile, writeFileAtomically } from '../../../src/storage/disk-files.js';
import { MemoryDisk } from '../../../src/storage/memory-disk.js';

const DIR = '/data';

async function text(disk: MemoryDisk): Promise<string | undefined> {
  return (await readWholeFile(disk, highWatermarkCheckpointPath(DIR)))?.toString('utf8');
}

describe('replication-offset-checkpoint', () => {
  it("is Kafka's format: version, count, then topic partition offset lines; read back by partition directory name", async () => {
    const disk = new MemoryDisk();
    await disk.mkdir(DIR);
    assert.deepEqual(await readHighWatermarks(disk, DIR), new Map(), 'no file: nothing checkpointed');
    await writeHighWatermarks(disk, DIR, [
      { topic: 'orders', partition: 0, highWatermark: 1234n },
      { topic: 'orders', partition: 1, highWatermark: 0n },
      { topic: '__consumer_offsets', partition: 7, highWatermark: 99n },
    ]);
    assert.equal(await text(disk), '0\n3\norders 0 1234\norders 1 0\n__consumer_offsets 7 99\n');
    assert.deepEqual(await readHighWatermarks(disk, DIR), new Map([['orders-0', 1234n], ['orders-1', 0n], ['__consumer_offsets-7', 99n]]));
    await writeHighWatermarks(disk, DIR, []);
    assert.equal(await text(disk), '0\n0\n');
  });

  it('refuses a file that is not one', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir(DIR);
    for (const bad of ['1\n0\n', '0\n2\norders 0 5\n', '0\n1\norders zero 5\n']) {
      await writeFileAtomically(disk, highWatermarkCheckpointPath(DIR), Buffer.from(bad));
      await assert.rejects(readHighWatermarks(disk, DIR), CheckpointFormatError, JSON.stringify(bad));
    }
  });

  it('the checkpointer writes the high watermarks as they are every interval, and on demand', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir(DIR);
    const clock = new ManualClock(0);
    let hw = 3n;
    const errors: unknown[] = [];
    const c = new HighWatermarkCheckpointer({ disk, dataDir: DIR, clock, intervalMs: 5000, entries: () => [{ topic: 't', partition: 0, highWatermark: hw }], onError: (e) => errors.push(e) });
    try {
      clock.advance(4999);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(await text(disk), undefined, 'not before the interval');
      clock.advance(1);
      for (let i = 0; i < 100 && (await text(disk)) === undefined; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(await text(disk), '0\n1\nt 0 3\n');
      hw = 8n;
      await c.write();
      assert.equal(await text(disk), '0\n1\nt 0 8\n');
      assert.deepEqual(errors, []);
    } finally {
      c.stop();
    }
  });
});
