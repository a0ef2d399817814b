import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TimestampType, encodeUncompressedRecordBatch, readBatchHeader, validateBatch } from '../../src/protocol/records/index.js';
import { batch, decodeChunks, readAll, withLog } from './helpers.js';

describe('PartitionLog append', () => {
  it('assigns offsets in call order and acknowledges in order', async () => {
    await withLog({}, async (log) => {
      const order: bigint[] = [];
      const appends = [log.append(batch(['a', 'b', 'c'])), log.append(batch(['d'])), log.append(batch(['e', 'f']))];
      assert.equal(log.logEndOffset, 6n, 'the log end moves synchronously');
      appends.forEach((p) => void p.then((r) => order.push(r.baseOffset)));
      const results = await Promise.all(appends);
      assert.deepEqual(results.map((r) => [r.baseOffset, r.lastOffset, r.logAppendTime, r.logStartOffset]), [
        [0n, 2n, -1n, 0n],
        [3n, 3n, -1n, 0n],
        [4n, 5n, -1n, 0n],
      ]);
      assert.deepEqual(order, [0n, 3n, 4n]);
      assert.equal(log.acknowledgedEnd, 6n);
    });
  });

  it('stores the bytes as sent except the base offset and leader epoch, which stay outside the CRC', async () => {
    await withLog({}, async (log) => {
      await log.append(batch(['x']));
      const sent = batch(['hello', 'world']);
      const original = Buffer.from(sent);
      await log.append(sent, { leaderEpoch: 7 });
      const r = await log.read(1n, 1 << 20);
      const stored = Buffer.concat(r.chunks);
      assert.equal(stored.length, original.length);
      const h = readBatchHeader(stored);
      assert.equal(h.baseOffset, 1n);
      assert.equal(h.partitionLeaderEpoch, 7);
      assert.deepEqual(stored.subarray(17), original.subarray(17), 'everything from the magic byte on is unchanged');
      validateBatch(stored, 0, { origin: 'replication' });
    });
  });

  it('stamps LogAppendTime when asked and keeps the CRC valid', async () => {
    await withLog({}, async (log) => {
      const r = await log.append(batch(['a', 'b']), { logAppendTime: 1_800_000_000_000n });
      assert.equal(r.logAppendTime, 1_800_000_000_000n);
      const stored = Buffer.concat((await log.read(0n, 1 << 20)).chunks);
      const v = validateBatch(stored, 0, { origin: 'replication' });
      assert.equal(v.header.maxTimestamp, 1_800_000_000_000n);
      assert.equal(v.header.attributes & 0x08, TimestampType.LogAppendTime << 3);
      assert.deepEqual((await decodeChunks([stored])).map((x) => x.timestamp), [1_800_000_000_000n, 1_800_000_000_000n]);
    });
  });

  it('takes several batches in one append, each getting its own offsets', async () => {
    await withLog({}, async (log) => {
      const r = await log.append(Buffer.concat([batch(['a', 'b']), batch(['c'])]));
      assert.deepEqual([r.baseOffset, r.lastOffset], [0n, 2n]);
      assert.deepEqual((await readAll(log)).map((x) => `${x.offset}:${x.value}`), ['0:a', '1:b', '2:c']);
    });
  });

  it('refuses bytes that are not whole batches, with a typed error', async () => {
    await withLog({}, async (log) => {
      const b = batch(['a']);
      await assert.rejects(log.append(b.subarray(0, b.length - 1)), { code: 'SAMSA_INVALID_APPEND' });
      await assert.rejects(log.append(Buffer.alloc(0)), { code: 'SAMSA_INVALID_APPEND' });
      assert.equal(log.logEndOffset, 0n);
    });
  });

  it('tells listeners when the acknowledged end moves, and by how many bytes', async () => {
    await withLog({}, async (log) => {
      const seen: [bigint, number][] = [];
      const stop = log.subscribe({ acknowledged: (end, bytes) => seen.push([end, bytes]) });
      const first = batch(['a']);
      const second = batch(['b', 'c']);
      await log.append(first);
      await log.append(second);
      stop();
      await log.append(batch(['d']));
      assert.deepEqual(seen, [
        [1n, first.length],
        [3n, second.length],
      ]);
    });
  });
});

describe('PartitionLog read', () => {
  it('returns whole batches from the one holding the offset, within maxBytes, and the first one whole with minOneBatch (KIP-74)', async () => {
    await withLog({}, async (log) => {
      const sizes: number[] = [];
      for (const vals of [['a', 'b', 'c'], ['d'], ['e', 'f']]) {
        const b = batch(vals);
        sizes.push(b.length);
        await log.append(b);
      }
      const mid = await log.read(1n, 1 << 20);
      assert.deepEqual((await decodeChunks(mid.chunks)).map((r) => r.offset), [0n, 1n, 2n, 3n, 4n, 5n], 'the batch holding offset 1 starts at 0');
      assert.equal(mid.bytes, sizes[0]! + sizes[1]! + sizes[2]!);
      assert.equal(mid.acknowledgedEnd, 6n);
      const two = await log.read(0n, sizes[0]! + sizes[1]! + 1);
      assert.equal(two.bytes, sizes[0]! + sizes[1]!, 'stops before a batch that does not fit');
      assert.equal((await log.read(0n, 10)).bytes, 0, 'a first batch larger than maxBytes is not returned without minOneBatch');
      assert.equal((await log.read(0n, 10, { minOneBatch: true })).bytes, sizes[0], 'but is, whole, with it');
      const capped = await log.read(0n, 1 << 20, { maxOffset: 4n });
      assert.deepEqual((await decodeChunks(capped.chunks)).map((r) => r.offset), [0n, 1n, 2n, 3n], 'batches ending at or past maxOffset are left out');
      assert.equal((await log.read(6n, 100)).bytes, 0, 'reading at the log end gives nothing');
    });
  });

  it('throws OffsetOutOfRange below the log start and beyond the log end', async () => {
    await withLog({}, async (log) => {
      await log.append(batch(['a', 'b']));
      await assert.rejects(log.read(3n, 100), { code: 'SAMSA_OFFSET_OUT_OF_RANGE' });
      await log.deleteRecordsBefore(1n);
      await assert.rejects(log.read(0n, 100), { code: 'SAMSA_OFFSET_OUT_OF_RANGE' });
      assert.equal((await log.read(1n, 1000)).logStartOffset, 1n);
    });
  });

  it('reads across segments, and from offsets inside large segments through the sparse index', async () => {
    await withLog({ segmentBytes: 4096, indexIntervalBytes: 256 }, async (log) => {
      for (let i = 0; i < 300; i++) await log.append(batch([`v${i}`, `w${i}`]));
      assert.ok(log.segments.length > 3, `${log.segments.length} segments`);
      for (const start of [0n, 1n, 137n, 298n, 599n]) {
        const r = await log.read(start, 2000);
        const recs = await decodeChunks(r.chunks);
        assert.ok(recs.length > 0);
        assert.ok(recs[0]!.offset <= start && recs.some((x) => x.offset === start), `read from ${start}`);
        assert.ok(r.bytes <= 2000);
      }
      assert.equal((await readAll(log)).length, 600);
    });
  });
});

describe('PartitionLog roll', () => {
  it('rolls by segment.bytes; files are named by base offset', async () => {
    await withLog({ segmentBytes: 200 }, async (log, { dir }) => {
      for (let i = 0; i < 10; i++) await log.append(batch([`value-${i}`]));
      const bases = log.segments.map((s) => s.baseOffset);
      assert.ok(bases.length >= 4);
      for (const s of log.segments.slice(0, -1)) assert.ok(s.size <= 200);
      const names = (await readdir(join(dir, 't-0'))).filter((n) => n.endsWith('.log')).sort();
      assert.deepEqual(names, bases.map((b) => `${b.toString().padStart(20, '0')}.log`));
    });
  });

  it('rolls by segment.ms measured from the first batch timestamp', async () => {
    await withLog({ segmentMs: 1000 }, async (log, { clock }) => {
      const ts = BigInt(clock.now());
      await log.append(batch(['a'], { timestamp: ts }));
      clock.advance(500);
      await log.append(batch(['b'], { timestamp: ts + 500n }));
      assert.equal(log.segments.length, 1);
      clock.advance(600);
      await log.append(batch(['c'], { timestamp: ts + 1100n }));
      assert.deepEqual(log.segments.map((s) => s.baseOffset), [0n, 2n]);
    });
  });

  it('rolls by segment.ms from the first batch timestamp to the incoming one, not to now (records stamped long ago)', async () => {
    await withLog({ segmentMs: 1000 }, async (log, { clock }) => {
      const dayAgo = BigInt(clock.now() - 86_400_000);
      for (let i = 0n; i < 5n; i++) await log.append(batch([`old-${i}`], { timestamp: dayAgo + i * 100n }));
      assert.equal(log.segments.length, 1, 'records half a second apart, however old, stay in one segment (as in Kafka)');
      await log.append(batch(['later'], { timestamp: dayAgo + 1500n }));
      assert.deepEqual(log.segments.map((s) => s.baseOffset), [0n, 5n]);
    });
  });

  it('rolls when an index is full', async () => {
    await withLog({ segmentIndexBytes: 24, indexIntervalBytes: 1 }, async (log) => {
      for (let i = 0; i < 12; i++) await log.append(batch([`v${i}`], { timestamp: 1_700_000_000_000n + BigInt(i) }));
      assert.ok(log.segments.length >= 3, `${log.segments.length} segments`);
      for (const s of log.segments) assert.ok(s.offsetIndex.entries <= 3 && s.timeIndex.entries <= 2);
      assert.equal((await readAll(log)).length, 12);
    });
  });
});

describe('PartitionLog timestamps and DeleteRecords', () => {
  it('finds the first record at or after a timestamp, and the record with the largest timestamp', async () => {
    await withLog({ segmentBytes: 300, indexIntervalBytes: 1 }, async (log) => {
      const t0 = 1_700_000_000_000n;
      await log.append(encodeUncompressedRecordBatch({ records: [{ value: Buffer.from('a'), timestamp: t0 }, { value: Buffer.from('b'), timestamp: t0 + 50n }] }));
      await log.append(encodeUncompressedRecordBatch({ records: [{ value: Buffer.from('c'), timestamp: t0 + 20n }, { value: Buffer.from('d'), timestamp: t0 + 100n }] }));
      for (let i = 0; i < 5; i++) await log.append(batch([`e${i}`], { timestamp: t0 + 100n }));
      await log.append(batch(['late'], { timestamp: t0 + 30n }));
      assert.deepEqual(await log.offsetForTimestamp(t0), { offset: 0n, timestamp: t0 });
      assert.deepEqual(await log.offsetForTimestamp(t0 + 10n), { offset: 1n, timestamp: t0 + 50n });
      assert.deepEqual(await log.offsetForTimestamp(t0 + 60n), { offset: 3n, timestamp: t0 + 100n });
      assert.equal(await log.offsetForTimestamp(t0 + 101n), undefined);
      assert.deepEqual(await log.maxTimestampOffset(), { offset: 3n, timestamp: t0 + 100n }, 'the first record with the largest timestamp');
      await log.deleteRecordsBefore(2n);
      assert.deepEqual(await log.offsetForTimestamp(t0), { offset: 2n, timestamp: t0 + 20n }, 'records below the log start are not answered');
    });
  });

  it('DeleteRecords moves the log start offset up to the high watermark only, and persists it', async () => {
    await withLog({}, async (log, { manager }) => {
      await log.append(batch(['a', 'b', 'c']));
      assert.equal(await log.deleteRecordsBefore(2n), 2n);
      assert.equal(await log.deleteRecordsBefore(1n), 2n, 'never backwards');
      await assert.rejects(log.deleteRecordsBefore(4n), { code: 'SAMSA_OFFSET_OUT_OF_RANGE' });
      assert.equal(log.logStartOffset, 2n);
      assert.ok(manager.getLog('t', 0) === log);
    });
  });
});
