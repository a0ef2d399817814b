/**
 * The log writer's small writes made on the calling thread (LogWriter.writeNow, LogSegment.writeNow,
 * DiskFile.writeNow): an append of a few KB that needs no fsync is written without a promise per
 * layer, still acknowledged only after `append` has returned and in order; larger writes, writes
 * that must be fsynced before the acknowledgement, and disks without writeNow go through the
 * promise path; a failed synchronous write takes the log offline as a failed write always did.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Disk } from '../../src/storage/disk.js';
import { FaultyDisk } from '../../src/storage/faulty-disk.js';
import { NodeDisk } from '../../src/storage/node-disk.js';
import { countingDisk } from '../helpers/counting-disk.js';
import { batch, readAll, withLog } from './helpers.js';

describe('log writes made now', () => {
  it('writes a small append on the calling thread, acknowledged after append returns, in order', async () => {
    const { disk, calls } = countingDisk(new NodeDisk());
    await withLog(
      {},
      async (log) => {
        await log.append(batch(['first']));
        const before = { ...calls };
        const order: string[] = [];
        const a = log.append(batch(['a'])).then(() => order.push('a'));
        const b = log.append(batch(['b', 'c'])).then(() => order.push('b'));
        assert.equal(calls.writeNow - before.writeNow, 1, 'written now, on the calling thread');
        assert.equal(calls.write - before.write, 0, 'not through the promise path');
        assert.equal(log.acknowledgedEnd, 1n, 'not acknowledged before append returned');
        await Promise.all([a, b]);
        assert.deepEqual(order, ['a', 'b']);
        assert.equal(log.acknowledgedEnd, 4n);
        assert.deepEqual((await readAll(log)).map((r) => r.value), ['first', 'a', 'b', 'c']);
      },
      { disk },
    );
  });

  it('writes through the promise path above the synchronous size, with fsync before the acknowledgement, and without writeNow', async () => {
    const cases: [string, Disk, Parameters<typeof withLog>[0], Buffer][] = [
      ['large', new NodeDisk({ syncWriteMaxBytes: 64 }), {}, batch(['x'.repeat(200)])],
      ['fsync before ack', new NodeDisk(), { fsyncBeforeAck: true }, batch(['y'])],
      ['no writeNow', new NodeDisk(), {}, batch(['z'])],
    ];
    for (const [name, inner, cfg, records] of cases) {
      const { disk, calls } = countingDisk(inner, name === 'no writeNow');
      await withLog(
        cfg,
        async (log) => {
          await log.append(batch(['first']));
          const before = { ...calls };
          await log.append(records);
          assert.equal(calls.writeNow - before.writeNow, 0, `${name}: not written now`);
          assert.equal(calls.write - before.write, 1, `${name}: through write`);
          assert.equal((await readAll(log)).length, 2);
        },
        { disk },
      );
    }
  });

  it('takes the log offline when a write made now fails, rejecting that append and later ones', async () => {
    const faulty = new FaultyDisk(new NodeDisk());
    const { disk, calls } = countingDisk(faulty);
    await withLog(
      {},
      async (log) => {
        await log.append(batch(['kept']));
        faulty.failNext({ op: 'write', path: /\.log$/, errno: 'EIO' });
        const before = calls.writeNow;
        await assert.rejects(log.append(batch(['lost'])), (err: Error) => /EIO|offline/i.test(`${err.message} ${String((err as { cause?: unknown }).cause)}`));
        assert.equal(calls.writeNow - before, 1, 'the failed write was made now');
        assert.equal(log.acknowledgedEnd, 1n);
        assert.equal(log.logEndOffset, 1n, 'the log end went back to the acknowledged end');
        await assert.rejects(log.append(batch(['after'])));
        assert.deepEqual((await readAll(log)).map((r) => r.value), ['kept']);
      },
      { disk },
    );
  });
});
