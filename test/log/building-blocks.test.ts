/** Unit tests of the log layer's small building blocks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { patchAppendBatches, walkAppendBatches } from '../../src/log/append-batches.js';
import { CoalescingTask } from '../../src/log/coalescing-task.js';
import { OffsetMap } from '../../src/log/cleaner/offset-map.js';
import { CleanedTransactionMetadata } from '../../src/log/cleaner/transaction-metadata.js';
import { Mutex } from '../../src/log/mutex.js';
import { CheckpointFormatError, decodeOffsetCheckpoint, encodeOffsetCheckpoint } from '../../src/log/offset-checkpoint-file.js';
import { scanBatches } from '../../src/log/segment-scan.js';
import { readWindow } from '../../src/log/window-read.js';
import { readBatchHeader, validateBatch } from '../../src/protocol/records/index.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { batch, flipByte } from './helpers.js';

async function fileWith(bytes: Buffer) {
  const disk = new MemoryDisk();
  await disk.mkdir('/d');
  const f = await disk.open('/d/f', 'create');
  await f.write([bytes], 0);
  return f;
}

describe('readWindow', () => {
  it('carries the bytes of a straddling batch into the next window instead of reading them again', async () => {
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const f = await fileWith(data);
    const w1 = await readWindow(f, undefined, 0, 40, 1, 100);
    assert.deepEqual([...w1.buf], [...data.subarray(0, 40)]);
    const w2 = await readWindow(f, w1, 30, 40, 50, 100);
    assert.equal(w2.pos, 30);
    assert.deepEqual([...w2.buf], [...data.subarray(30, 80)], 'minBytes beats wantBytes');
    const w3 = await readWindow(f, w2, 90, 40, 1, 95);
    assert.deepEqual([...w3.buf], [...data.subarray(90, 95)], 'never past end');
  });
});

describe('scanBatches', () => {
  it('visits whole batches across windows and reports where the bytes stop being valid', async () => {
    const batches = [batch(['a']), batch(['b'.repeat(300)]), batch(['c'])];
    const good = Buffer.concat(batches);
    const f = await fileWith(Buffer.concat([good, Buffer.from('garbage-garbage-garbage')]));
    const seen: number[] = [];
    const r = await scanBatches(f, 0, good.length + 23, (_b, _p, size, at) => void seen.push(at, size), { windowBytes: 100, verifyCrc: true });
    assert.deepEqual(seen, [0, batches[0]!.length, batches[0]!.length, batches[1]!.length, batches[0]!.length + batches[1]!.length, batches[2]!.length]);
    assert.equal(r.validEnd, good.length);
    assert.ok(r.invalid);
    const bad = Buffer.from(good);
    flipByte(bad, batches[0]!.length + 70, 1);
    const g = await fileWith(bad);
    const r2 = await scanBatches(g, 0, bad.length, () => {}, { verifyCrc: true });
    assert.deepEqual([r2.validEnd, r2.invalid], [batches[0]!.length, 'crc-mismatch']);
  });
});

describe('append framing', () => {
  it('assigns consecutive offsets to each batch, stamps the epoch, keeps CRCs valid', () => {
    const buf = Buffer.concat([batch(['a', 'b']), batch(['c'])]);
    const spans = walkAppendBatches(buf);
    const r = patchAppendBatches(buf, spans, 40n, { leaderEpoch: 3 });
    assert.equal(r.lastOffset, 42n);
    assert.deepEqual(spans.map((s) => s.lastOffset), [41n, 42n]);
    assert.equal(readBatchHeader(buf, spans[1]!.position).baseOffset, 42n);
    assert.equal(readBatchHeader(buf, spans[1]!.position).partitionLeaderEpoch, 3);
    for (const s of spans) validateBatch(buf, s.position, { origin: 'replication' });
    assert.throws(() => walkAppendBatches(buf.subarray(0, buf.length - 2)), { code: 'SAMSA_INVALID_APPEND' });
  });
});

describe('OffsetMap', () => {
  it('keeps the latest offset per key in fixed memory and reports full at its load factor', () => {
    const map = new OffsetMap(24 * 10, 0.5);
    assert.equal(map.capacity, 5);
    map.put(Buffer.from('a'), 1n);
    map.put(Buffer.from('b'), 2n);
    map.put(Buffer.from('a'), 7n);
    assert.equal(map.get(Buffer.from('a')), 7n);
    assert.equal(map.get(Buffer.from('zz')), -1n);
    assert.equal(map.size, 2);
    for (const k of ['c', 'd', 'e']) map.put(Buffer.from(k), 9n);
    assert.equal(map.isFull, true);
    assert.throws(() => map.put(Buffer.from('f'), 10n), RangeError);
    map.put(Buffer.from('c'), 11n);
    assert.equal(map.latestOffset, 11n);
    map.clear();
    assert.equal(map.get(Buffer.from('a')), -1n);
  });
});

describe('CleanedTransactionMetadata', () => {
  it('marks data of aborted transactions and keeps a marker while its data was seen', () => {
    const m = new CleanedTransactionMetadata([{ producerId: 5n, firstOffset: 10n, lastOffset: 20n }]);
    assert.equal(m.onBatchRead(4n, 9n, true), false, 'a committed (or open) transaction');
    assert.equal(m.onBatchRead(5n, 12n, true), true, 'inside the aborted range');
    assert.equal(m.onControlBatchRead(5n, 20n, 0), false, 'abort marker kept: its data was seen');
    assert.equal(m.onControlBatchRead(4n, 21n, 1), false, 'commit marker kept: its data was seen');
    const later = new CleanedTransactionMetadata([{ producerId: 5n, firstOffset: 10n, lastOffset: 20n }]);
    assert.equal(later.onControlBatchRead(5n, 20n, 0), true, 'no data of the aborted transaction left: the marker may go');
    assert.equal(later.onControlBatchRead(9n, 30n, -1), true, 'an emptied control batch may go');
  });
});

describe('offset checkpoint files', () => {
  it("round-trip Kafka's format and refuse malformed content", () => {
    const text = encodeOffsetCheckpoint([{ topic: 'orders', partition: 0, offset: 1234n }, { topic: 'my-topic', partition: 12, offset: 9n }]).toString();
    assert.equal(text, '0\n2\norders 0 1234\nmy-topic 12 9\n');
    assert.deepEqual([...decodeOffsetCheckpoint(text)], [['orders-0', 1234n], ['my-topic-12', 9n]]);
    assert.throws(() => decodeOffsetCheckpoint('1\n0\n'), CheckpointFormatError);
    assert.throws(() => decodeOffsetCheckpoint('0\n2\norders 0 1\n'), CheckpointFormatError);
  });
});

describe('CoalescingTask and Mutex', () => {
  it('coalesces requests made during a run into one following run', async () => {
    let runs = 0;
    let release!: () => void;
    const task = new CoalescingTask(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
    });
    const a = task.request();
    await new Promise((r) => setImmediate(r));
    const b = task.request();
    const c = task.request();
    assert.equal(b, c);
    release();
    await Promise.all([a, b, c]);
    assert.equal(runs, 2);
  });

  it('runs sections one at a time in call order', async () => {
    const m = new Mutex();
    const order: string[] = [];
    const slow = m.run(async () => {
      order.push('a-start');
      await new Promise((r) => setTimeout(r, 5));
      order.push('a-end');
    });
    const fast = m.run(async () => void order.push('b'));
    await Promise.all([slow, fast]);
    assert.deepEqual(order, ['a-start', 'a-end', 'b']);
  });
});
