/**
 * The fetch's small reads made on the calling thread (fetch-messages.ts readOne, Partition.readNow,
 * PartitionLog.readNow, readSegmentNow): a caught-up consumer's fetch, and the read at the end of
 * its last read, are answered without a promise and with the same bytes and offsets as the read
 * through the log's async path; reads the log cannot make now (no read ended at the offset, a
 * window above the disk's synchronous-read size, a disk without readNow) take the async path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readPartitions, type FetchOutcome, type FetchParams } from '../../../src/broker/partitions/fetch-messages.js';
import { Partition } from '../../../src/broker/partitions/partition.js';
import { ManualClock } from '../../../src/common/clock.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/log/log-config.js';
import { LogManager } from '../../../src/log/log-manager.js';
import { encodeUncompressedRecordBatch } from '../../../src/protocol/records/index.js';
import type { Disk } from '../../../src/storage/disk.js';
import { FaultyDisk } from '../../../src/storage/faulty-disk.js';
import { MemoryDisk } from '../../../src/storage/memory-disk.js';
import { NodeDisk } from '../../../src/storage/node-disk.js';
import { tempDir } from '../../log/helpers.js';
import { countingDisk } from '../../helpers/counting-disk.js';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const params = (isolation: FetchParams['isolation'] = 'high-watermark'): FetchParams => ({ maxWaitMs: 0, minBytes: 1, maxBytes: 50 << 20, isolation });
const fresh = () => ({ take: (n: number) => Buffer.alloc(n) });
const noError = (err: unknown) => assert.fail(`no read error expected: ${String(err)}`);

async function leader(disk: Disk, dataDir: string) {
  const clock = new ManualClock(1000);
  const logs = await LogManager.open({ dataDir, defaults: DEFAULT_LOG_CONFIG, disk, clock, cleaner: false });
  const log = await logs.createLog('t', 0);
  const p = new Partition('t', 0, TOPIC_ID, 1, log, { leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], partitionEpoch: 0 }, { partitionChanged: () => undefined }, clock.now());
  let n = 0;
  const append = (records: number, bytes = 100) =>
    p.appendAsLeader(encodeUncompressedRecordBatch({ records: Array.from({ length: records }, () => ({ value: Buffer.alloc(bytes, n++ % 256) })) }), { requiredAcks: 1, minInsyncReplicas: 1 });
  const fetch = (fetchOffset: bigint, isolation?: FetchParams['isolation'], maxBytes = 1 << 20) =>
    readPartitions([{ partition: p, fetchOffset, maxBytes, currentLeaderEpoch: -1 }], params(isolation), fresh(), noError);
  return { p, logs, append, fetch };
}

/** What a fetch outcome says, with its records as one buffer. */
const said = (o: FetchOutcome) => ({ errorCode: o.errorCode, hw: o.highWatermark, lso: o.lastStableOffset, start: o.logStartOffset, aborted: o.abortedTransactions, bytes: o.bytes, records: Buffer.concat(o.chunks).toString('hex') });

describe('fetch reads made now', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  before(async () => (dir = await tempDir('samsa-read-now-')));
  after(() => dir.cleanup());

  for (const [name, disk] of [
    ['NodeDisk', () => new NodeDisk()],
    ['MemoryDisk', () => new MemoryDisk()],
  ] as const) {
    it(`answers a caught-up consumer and the read where its last one ended without a promise, as the async read would (${name})`, async () => {
      const { p, logs, append, fetch } = await leader(disk(), `${dir.dir}/${name}`);
      try {
        await append(60);
        // The first read from the log's start: the segment's first position is known.
        const first = fetch(0n);
        assert.ok(!(first instanceof Promise), 'read from the segment start now');
        assert.equal(first[0]!.bytes > 0, true);
        assert.equal(first[0]!.highWatermark, 60n);
        // At the high watermark: caught up, answered now for both isolation levels.
        for (const isolation of ['high-watermark', 'txn-committed'] as const) {
          const caught = fetch(60n, isolation);
          assert.ok(!(caught instanceof Promise), `caught up (${isolation})`);
          assert.deepEqual(said(caught[0]!), { errorCode: 0, hw: 60n, lso: 60n, start: 0n, aborted: isolation === 'txn-committed' ? [] : null, bytes: 0, records: '' });
        }
        // The records appended since: read now where the last read ended, the same as the log's async read.
        await append(40);
        await append(1);
        for (const isolation of ['high-watermark', 'txn-committed', 'log-end'] as const) {
          const now = fetch(60n, isolation);
          assert.ok(!(now instanceof Promise), `read at the end of the last read now (${isolation})`);
          const later = await p.read(60n, 1 << 20, { isolation, minOneBatch: true });
          assert.deepEqual(said(now[0]!), { errorCode: 0, hw: later.highWatermark, lso: later.lastStableOffset, start: later.logStartOffset, aborted: later.abortedTransactions, bytes: later.bytes, records: Buffer.concat(later.chunks).toString('hex') });
          assert.equal(now[0]!.bytes, later.bytes);
          assert.equal(now[0]!.visibleBytesAtRead, p.visibleBytesFor(isolation));
        }
        // Limits: a partition limit below the first batch gives it whole (KIP-74), and only it.
        const one = fetch(60n, 'high-watermark', 10);
        assert.ok(!(one instanceof Promise));
        const batch40 = (await p.read(60n, 10, { isolation: 'high-watermark', minOneBatch: true })).bytes;
        assert.equal(one[0]!.bytes, batch40, 'the first batch whole, alone');
        // Answered now, the read noted its end: the next fetch from there is read now as well.
        const next = fetch(101n);
        assert.ok(!(next instanceof Promise), 'caught up again');
      } finally {
        await logs.close();
      }
    });
  }

  it('reads the async way where the log cannot read now, with the same answer', async () => {
    const { p, logs, append, fetch } = await leader(new NodeDisk(), `${dir.dir}/fallback`);
    try {
      await append(10);
      await append(10);
      // Inside the segment where no read ended (the index would be needed): a promise.
      const inside = fetch(10n);
      assert.ok(inside instanceof Promise, 'no read ended at offset 10');
      const [o] = await inside;
      const direct = await p.read(10n, 1 << 20, { isolation: 'high-watermark', minOneBatch: true });
      assert.equal(o!.bytes, direct.bytes);
      assert.equal(Buffer.concat(o!.chunks).toString('hex'), Buffer.concat(direct.chunks).toString('hex'));
      // Beyond the log end: OFFSET_OUT_OF_RANGE as before.
      const beyond = await fetch(99n);
      assert.equal(beyond[0]!.errorCode, 1);
    } finally {
      await logs.close();
    }
  });

  it('reads the async way above the disk synchronous-read size, and on a disk without readNow', async () => {
    for (const [name, disk] of [
      ['small-sync', new NodeDisk({ syncReadMaxBytes: 64 })],
      ['no readNow', countingDisk(new NodeDisk(), true).disk],
    ] as const) {
      const { logs, append, fetch } = await leader(disk, `${dir.dir}/${name}`);
      try {
        await append(5);
        const r = fetch(0n);
        assert.ok(r instanceof Promise, `${name}: read through the promise path`);
        const [o] = await r;
        assert.equal(o!.errorCode, 0);
        assert.equal(o!.highWatermark, 5n);
        assert.ok(o!.bytes > 0);
      } finally {
        await logs.close();
      }
    }
  });

  it('reads again the async way when a read made now fails, answering its error if that read fails too', async () => {
    const faulty = new FaultyDisk(new NodeDisk());
    const errors: unknown[] = [];
    const { p, logs, append } = await leader(faulty, `${dir.dir}/faulty`);
    const fetch = (fetchOffset: bigint) => readPartitions([{ partition: p, fetchOffset, maxBytes: 1 << 20, currentLeaderEpoch: -1 }], params(), fresh(), (err) => errors.push(err));
    try {
      await append(5);
      faulty.failNext({ op: 'read', path: /\.log$/ });
      const once = fetch(0n);
      assert.ok(once instanceof Promise, 'the failed read made now is made again the async way');
      const [o] = await once;
      assert.equal(o!.errorCode, 0);
      assert.ok(o!.bytes > 0, 'and answered by it');
      assert.equal(errors.length, 0);
      faulty.failNext({ op: 'read', path: /\.log$/, times: 2 });
      const [failed] = await fetch(0n);
      assert.equal(failed!.errorCode, 56, 'KAFKA_STORAGE_ERROR');
      assert.equal(errors.length, 1, 'the error reported once');
    } finally {
      await logs.close();
    }
  });
});
