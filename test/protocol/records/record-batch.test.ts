import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionType, compress, decompress } from '../../../src/protocol/compression/index.js';
import {
  type DecodedRecordBatch,
  type KafkaRecord,
  type RecordBatchInput,
  type RecordInput,
  ControlRecordType,
  InvalidBatchError,
  computeBatchCrc,
  TimestampType,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  decodeRecordBatch,
  encodeRecordBatch,
  encodeUncompressedRecordBatch,
  endTxnMarkerRecord,
  timestampDeltaRange,
  RECORDS_OFFSET,
  validateBatch,
} from '../../../src/protocol/records/index.js';
import { DecodeError, EncodeError } from '../../../src/protocol/samsa-error.js';
import { SeededRandom } from './seeded-random.js';

const ALL_CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd] as const;
const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const LIMIT = { maxUncompressedBytes: 16 << 20 };

/** Whether the compression module implements a codec yet (snappy, lz4 and zstd are landing separately). */
async function codecWorks(type: CompressionType): Promise<boolean> {
  try {
    const probe = Buffer.from('probe probe probe');
    return (await decompress(type, await compress(type, probe), 1024)).equals(probe);
  } catch (err) {
    if (err instanceof DecodeError && /not supported/.test(err.message)) return false;
    throw err;
  }
}

function sampleRecords(rnd: SeededRandom, n: number, baseTs: bigint): RecordInput[] {
  return Array.from({ length: n }, (_, i) => {
    const r: RecordInput = { timestamp: baseTs + BigInt(rnd.int(2000) - 500) };
    if (rnd.int(4) !== 0) r.key = rnd.bytes(rnd.int(20));
    else r.key = null;
    if (rnd.int(5) !== 0) r.value = rnd.bytes(rnd.int(300));
    if (rnd.bool()) r.headers = Array.from({ length: rnd.int(4) }, (_, h) => ({ key: `h${h}-${i}-ü`, value: rnd.bool() ? rnd.bytes(rnd.int(10)) : null }));
    return r;
  });
}

function assertRecordsMatch(decoded: readonly KafkaRecord[], input: RecordBatchInput, batch: DecodedRecordBatch): void {
  assert.equal(decoded.length, input.records.length);
  const baseTs = batch.header.baseTimestamp;
  input.records.forEach((want, i) => {
    const got = decoded[i]!;
    assert.equal(got.offset, (input.baseOffset ?? 0n) + BigInt(want.offsetDelta ?? i), `offset of record ${i}`);
    const expectedTs = batch.timestampType === TimestampType.LogAppendTime ? batch.header.maxTimestamp : (want.timestamp ?? baseTs);
    assert.equal(got.timestamp, expectedTs, `timestamp of record ${i}`);
    assert.deepEqual(got.key, want.key === undefined || want.key === null ? null : Buffer.from(want.key));
    assert.deepEqual(got.value, want.value === undefined || want.value === null ? null : Buffer.from(want.value));
    assert.deepEqual(
      got.headers.map((h) => ({ key: h.key, value: h.value })),
      (want.headers ?? []).map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value) })),
    );
  });
}

describe('record batch round trips', () => {
  it('round-trips every attribute combination with every codec that works', async (t) => {
    const rnd = new SeededRandom(1);
    const working: CompressionType[] = [];
    for (const c of ALL_CODECS) if (await codecWorks(c)) working.push(c);
    assert.ok(working.includes(CompressionType.None) && working.includes(CompressionType.Gzip), 'none and gzip must work');
    if (working.length < ALL_CODECS.length) {
      t.diagnostic(`codecs not implemented yet: ${ALL_CODECS.filter((c) => !working.includes(c)).map((c) => CODEC_NAMES[c]).join(', ')}`);
    }
    let combos = 0;
    for (const compression of working) {
      for (let flags = 0; flags < 16; flags++) {
        const input: RecordBatchInput = {
          baseOffset: BigInt(rnd.int(1e9)),
          partitionLeaderEpoch: rnd.int(100),
          compression,
          timestampType: flags & 1 ? TimestampType.LogAppendTime : TimestampType.CreateTime,
          isTransactional: (flags & 2) !== 0,
          isControlBatch: (flags & 4) !== 0,
          hasDeleteHorizonMs: (flags & 8) !== 0,
          producerId: 4242n,
          producerEpoch: 3,
          baseSequence: 100,
          records: sampleRecords(rnd, 1 + rnd.int(30), 1700000000000n),
        };
        if (flags & 1) input.maxTimestamp = 1800000000000n;
        const bytes = await encodeRecordBatch(input);
        const batch = await decodeRecordBatch(bytes, 0, LIMIT);
        assert.equal(batch.compression, compression);
        assert.equal(batch.timestampType, input.timestampType);
        assert.equal(batch.isTransactional, input.isTransactional);
        assert.equal(batch.isControlBatch, input.isControlBatch);
        assert.equal(batch.hasDeleteHorizonMs, input.hasDeleteHorizonMs);
        assert.equal(batch.header.partitionLeaderEpoch, input.partitionLeaderEpoch);
        assert.equal(batch.header.producerId, 4242n);
        assert.equal(batch.header.producerEpoch, 3);
        assert.equal(batch.header.baseSequence, 100);
        assert.equal(batch.header.lastOffsetDelta, input.records.length - 1);
        assert.equal(batch.sizeInBytes, bytes.length);
        assertRecordsMatch(batch.records, input, batch);
        validateBatch(bytes, 0, { origin: 'replication' });
        combos++;
      }
    }
    assert.equal(combos, working.length * 16);
  });

  for (const compression of ALL_CODECS) {
    it(`round-trips 1,000 records with ${CODEC_NAMES[compression]}`, async (t) => {
      if (!(await codecWorks(compression))) {
        t.skip(`${CODEC_NAMES[compression]} is not implemented by the compression module yet`);
        return;
      }
      const input: RecordBatchInput = { compression, records: sampleRecords(new SeededRandom(compression + 10), 1000, 1700000000000n) };
      const bytes = await encodeRecordBatch(input);
      const batch = await decodeRecordBatch(bytes, 0, LIMIT);
      assertRecordsMatch(batch.records, input, batch);
    });
  }

  it('computes baseTimestamp, maxTimestamp and lastOffsetDelta by default', async () => {
    const bytes = encodeUncompressedRecordBatch({
      records: [{ timestamp: 1000n }, { timestamp: 5000n }, { timestamp: 3000n, offsetDelta: 7 }, {}],
    });
    const batch = await decodeRecordBatch(bytes, 0, LIMIT);
    assert.equal(batch.header.baseTimestamp, 1000n);
    assert.equal(batch.header.maxTimestamp, 5000n);
    assert.equal(batch.header.lastOffsetDelta, 3);
    assert.deepEqual(batch.records.map((r) => r.timestamp), [1000n, 5000n, 3000n, 1000n]);
    assert.deepEqual(batch.records.map((r) => r.offset), [0n, 1n, 7n, 3n]);
    assert.deepEqual(batch.records.map((r) => r.timestampDelta), [0, 4000, 2000, 0]);
    assert.equal(batch.header.producerId, -1n);
    assert.equal(batch.header.producerEpoch, -1);
    assert.equal(batch.header.baseSequence, -1);
    assert.equal(batch.header.partitionLeaderEpoch, -1);
    assert.deepEqual(batch.records.map((r) => r.sequence), [-1, -1, -1, -1]);
  });

  it('encodes runs of shared timestamps (one bigint for several records) and changes between them', async () => {
    const t = 1_700_000_000_000n;
    const shared = t + 5n;
    const timestamps = [t, t, shared, shared, t, shared, t + 5n, undefined, t];
    const bytes = encodeUncompressedRecordBatch({ records: timestamps.map((timestamp) => (timestamp === undefined ? {} : { timestamp })) });
    const batch = await decodeRecordBatch(bytes, 0, LIMIT);
    assert.deepEqual(batch.records.map((r) => r.timestampDelta), [0, 0, 5, 5, 0, 5, 5, 0, 0]);
  });

  it('keeps gaps in offset deltas (as compaction leaves them) and an explicit lastOffsetDelta', async () => {
    const bytes = encodeUncompressedRecordBatch({
      baseOffset: 100n,
      lastOffsetDelta: 9,
      records: [{ offsetDelta: 2, value: Buffer.from('a') }, { offsetDelta: 5, value: Buffer.from('b') }],
    });
    const batch = await decodeRecordBatch(bytes, 0, LIMIT);
    assert.equal(batch.header.lastOffsetDelta, 9);
    assert.deepEqual(batch.records.map((r) => r.offset), [102n, 105n]);
  });

  it('handles null keys and values, empty ones, and headers with null values or non-ASCII keys', async () => {
    const input: RecordBatchInput = {
      records: [
        { key: null, value: null },
        { key: Buffer.alloc(0), value: Buffer.alloc(0) },
        { value: Buffer.from('v'), headers: [{ key: '', value: null }, { key: 'ключ-🔑', value: Buffer.from([0, 255]) }, { key: 'dup', value: Buffer.from('1') }, { key: 'dup', value: Buffer.from('2') }] },
      ],
    };
    const batch = await decodeRecordBatch(encodeUncompressedRecordBatch(input), 0, LIMIT);
    assertRecordsMatch(batch.records, input, batch);
    assert.equal(batch.records[0]!.key, null);
    assert.equal(batch.records[0]!.value, null);
    assert.deepEqual(batch.records[1]!.key, Buffer.alloc(0));
  });

  it('decodes records at every varint width, with and without headers, mixed in one batch (the common-record path and the general one)', async () => {
    // Lengths and deltas whose zigzag varints take 1, 2, 3, 4 and 5 bytes; the decoder takes
    // header-less records with varints of at most 4 bytes on its own path and the rest on the Reader's.
    const sizes = [0, 63, 64, 8191, 8192, (1 << 20) - 1, 1 << 20];
    const base = 1_700_000_000_000n;
    const records: RecordInput[] = [];
    let offsetDelta = 0;
    for (const [i, size] of sizes.entries()) {
      const value = Buffer.alloc(size, i + 1);
      records.push({ value, timestamp: base, offsetDelta: offsetDelta++ });
      records.push({ key: Buffer.alloc(size, 0x41 + i), value: null, timestamp: base - 1n, offsetDelta: offsetDelta++ });
      records.push({ key: Buffer.alloc(0), value, timestamp: base + BigInt(size) * 1_000_000n, offsetDelta: (offsetDelta += size) });
      records.push({ value, headers: [{ key: 'h', value: Buffer.from([i]) }], timestamp: base + 1n, offsetDelta: offsetDelta++ });
    }
    records.push({ value: Buffer.from('far'), timestamp: base - (1n << 40n), offsetDelta: 1 << 28 });
    records.push({ value: Buffer.from('last'), timestamp: base, offsetDelta: (1 << 28) + 1 });
    const input: RecordBatchInput = { baseOffset: 1000n, records };
    const batch = await decodeRecordBatch(encodeUncompressedRecordBatch(input), 0, { maxUncompressedBytes: 64 << 20 });
    assertRecordsMatch(batch.records, input, batch);
    assert.deepEqual(batch.records.map((r) => r.attributes), records.map(() => 0));
  });

  it('gives zero-copy views of keys and values for uncompressed batches', async () => {
    const bytes = encodeUncompressedRecordBatch({ records: [{ key: Buffer.from('key'), value: Buffer.from('value') }] });
    const record = (await decodeRecordBatch(bytes, 0, LIMIT)).records[0]!;
    assert.equal(record.value!.buffer, bytes.buffer);
    bytes[bytes.length - 2] = 'V'.charCodeAt(0); // the value's last byte, just before the header count
    assert.notEqual(record.value!.toString(), 'value');
  });

  it('reports the batch maxTimestamp as every record timestamp for LogAppendTime', async () => {
    const bytes = encodeUncompressedRecordBatch({
      timestampType: TimestampType.LogAppendTime,
      maxTimestamp: 1750000000000n,
      records: [{ timestamp: 1n }, { timestamp: 2n }],
    });
    const batch = await decodeRecordBatch(bytes, 0, LIMIT);
    assert.equal(batch.header.baseTimestamp, 1n);
    assert.deepEqual(batch.records.map((r) => r.timestamp), [1750000000000n, 1750000000000n]);
    assert.deepEqual(batch.records.map((r) => r.timestampDelta), [0, 1]);
  });

  it('encodes timestamps beyond 2^53 through the BigInt path', async () => {
    const base = 2n ** 62n;
    const bytes = encodeUncompressedRecordBatch({ records: [{ timestamp: base }, { timestamp: base + 123n }, { timestamp: base - 7n }] });
    const batch = await decodeRecordBatch(bytes, 0, LIMIT);
    assert.deepEqual(batch.records.map((r) => r.timestamp), [base, base + 123n, base - 7n]);
    assert.equal(batch.header.maxTimestamp, base + 123n);
  });

  it('wraps sequence numbers past 2^31 - 1 as Kafka does', async () => {
    const bytes = encodeUncompressedRecordBatch({ producerId: 1n, producerEpoch: 0, baseSequence: 0x7ffffffe, records: [{}, {}, {}] });
    const batch = await decodeRecordBatch(bytes, 0, LIMIT);
    assert.deepEqual(batch.records.map((r) => r.sequence), [0x7ffffffe, 0x7fffffff, 0]);
  });

  it('encodes and decodes empty batches (record count 0)', async () => {
    for (const compression of [CompressionType.None, CompressionType.Gzip]) {
      const bytes = await encodeRecordBatch({ compression, baseOffset: 50n, lastOffsetDelta: 4, producerId: 9n, producerEpoch: 1, baseSequence: 20, records: [] });
      const batch = await decodeRecordBatch(bytes, 0, LIMIT);
      assert.equal(batch.header.recordCount, 0);
      assert.equal(batch.header.lastOffsetDelta, 4);
      assert.equal(batch.header.baseTimestamp, -1n);
      assert.equal(batch.header.maxTimestamp, -1n);
      assert.deepEqual(batch.records, []);
      validateBatch(bytes, 0, { origin: 'replication' });
      assert.throws(() => validateBatch(bytes, 0, { origin: 'client' }), { reason: 'invalid-offsets' });
    }
    const uncompressed = encodeUncompressedRecordBatch({ records: [] });
    assert.equal(uncompressed.length, 61);
    assert.throws(() => validateBatch(uncompressed), { reason: 'invalid-record-count' });
  });

  it('encodes transaction markers as control batches', async () => {
    for (const type of [ControlRecordType.Abort, ControlRecordType.Commit]) {
      const bytes = encodeUncompressedRecordBatch({
        isControlBatch: true,
        isTransactional: true,
        producerId: 77n,
        producerEpoch: 4,
        records: [endTxnMarkerRecord(type, 12, 1700000000000n)],
      });
      const batch = await decodeRecordBatch(bytes, 0, LIMIT);
      assert.ok(batch.isControlBatch && batch.isTransactional);
      const record = batch.records[0]!;
      assert.deepEqual(decodeControlRecordKey(record.key), { version: 0, type });
      assert.deepEqual(decodeEndTxnMarker(record.value), { version: 0, coordinatorEpoch: 12 });
      assert.equal(record.timestamp, 1700000000000n);
      validateBatch(bytes, 0, { origin: 'coordinator' });
      assert.throws(() => validateBatch(bytes, 0, { origin: 'client' }), { reason: 'control-batch-from-client' });
    }
  });

  it('refuses malformed control keys and markers with DecodeError', () => {
    assert.throws(() => decodeControlRecordKey(null), DecodeError);
    assert.throws(() => decodeControlRecordKey(Buffer.from([0, 0, 0])), DecodeError);
    assert.throws(() => decodeControlRecordKey(Buffer.from([0xff, 0xff, 0, 1])), DecodeError);
    assert.deepEqual(decodeControlRecordKey(Buffer.from([0, 1, 0, 0, 9, 9])), { version: 1, type: 0 }, 'newer versions read as v0');
    assert.throws(() => decodeEndTxnMarker(Buffer.from([0, 0, 0, 0, 0])), DecodeError);
    assert.throws(() => decodeEndTxnMarker(Buffer.from([0x80, 0, 0, 0, 0, 1])), DecodeError);
  });

  it('decodes a batch at an offset inside a larger buffer, bounded by end', async () => {
    const one = encodeUncompressedRecordBatch({ records: [{ value: Buffer.from('x') }] });
    const two = encodeUncompressedRecordBatch({ baseOffset: 1n, records: [{ value: Buffer.from('y') }] });
    const both = Buffer.concat([one, two]);
    const second = await decodeRecordBatch(both, one.length, LIMIT);
    assert.equal(second.records[0]!.value!.toString(), 'y');
    await assert.rejects(decodeRecordBatch(both, one.length, { ...LIMIT, end: both.length - 1 }), { reason: 'truncated' });
  });

  it('stops decompression at maxUncompressedBytes', async () => {
    const bytes = await encodeRecordBatch({ compression: CompressionType.Gzip, records: [{ value: Buffer.alloc(100_000) }] });
    assert.ok(bytes.length < 2000, 'zeros compress well');
    await assert.rejects(decodeRecordBatch(bytes, 0, { maxUncompressedBytes: 50_000 }), (err) => err instanceof InvalidBatchError && err.reason === 'decompression-failed');
    const batch = await decodeRecordBatch(bytes, 0, { maxUncompressedBytes: 200_000 });
    assert.equal(batch.records[0]!.value!.length, 100_000);
  });

  it('refuses inputs that cannot be encoded with EncodeError', async () => {
    const bad: RecordBatchInput[] = [
      { records: [{ offsetDelta: 2 ** 31 }] },
      { records: [{ attributes: 300 }] },
      { producerEpoch: 40000, records: [] },
      { baseSequence: 1.5, records: [] },
      { baseOffset: 2n ** 63n, records: [] },
      { compression: 7 as CompressionType, records: [] },
      { records: [{ timestamp: 0n }, { timestamp: 2n ** 60n }] },
    ];
    for (const input of bad) await assert.rejects(encodeRecordBatch(input), EncodeError, JSON.stringify(input, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    assert.throws(() => encodeUncompressedRecordBatch({ compression: CompressionType.Gzip, records: [] }), EncodeError);
  });

  it('refuses malformed records inside a batch with a valid CRC as invalid-records', async () => {
    // One record: length 6, attributes 0, timestampDelta 0, offsetDelta 0, key null, value null, no headers.
    const good = '0c 00 00 00 01 01 00';
    const cases: Array<[string, string, number]> = [
      ['a record length past its fields', '0e 00 00 00 01 01 00 00', 1],
      ['a record length short of its fields', '0a 00 00 00 01 01 00', 1],
      ['the last counted record cut short', `${good} 0e 00 00 00 01 01 00`, 2],
      ['bytes after the counted records', `${good} 00`, 1],
      ['a negative header count', '0c 00 00 00 01 01 01', 1],
      ['a null header key', '10 00 00 00 01 01 02 01 01', 1],
      ['a header count beyond the record', '0c 00 00 00 01 01 7e', 1],
      ['a key longer than the record', '0e 00 00 00 7e 01 00 00', 1],
      ['a timestampDelta beyond 2^53', '1c 00 ffffffffffffffff7f 00 01 01 00', 1],
    ];
    const valid = withRecords(good, 1);
    assert.equal((await decodeRecordBatch(valid, 0, LIMIT)).records.length, 1, 'the well-formed variant decodes');
    for (const [label, records, count] of cases) {
      const b = withRecords(records, count);
      validateBatch(b, 0, { origin: 'replication' });
      await assert.rejects(decodeRecordBatch(b, 0, LIMIT), (err) => err instanceof InvalidBatchError && err.reason === 'invalid-records' && err.errorCode === 87, label);
    }
  });
});

/** An uncompressed batch around hand-written record bytes, with batchLength, count and CRC made consistent. */
function withRecords(recordsHex: string, count: number): Buffer {
  const records = Buffer.from(recordsHex.replace(/\s+/g, ''), 'hex');
  const b = Buffer.concat([encodeUncompressedRecordBatch({ records: [] }), records]);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt32BE(count, 57);
  b.writeInt32BE(count - 1, 23);
  b.writeUInt32BE(computeBatchCrc(b, 0, b.length), 17);
  return b;
}

describe('timestampDeltaRange', () => {
  it("finds the smallest and largest records' timestamp deltas, out of order and far apart, and gives up on records not framed as their lengths say", () => {
    const timestamps = [5n, 900n, 2n, 70_000n, 64n, 63n].map((d) => 1_700_000_000_000n + d);
    const buf = encodeUncompressedRecordBatch({ records: timestamps.map((timestamp, i) => ({ value: Buffer.alloc(i * 40, 'v'), timestamp })) });
    assert.deepEqual(timestampDeltaRange(buf, RECORDS_OFFSET, buf.length, timestamps.length), { min: 2 - 5, max: 70_000 - 5 });
    assert.equal(timestampDeltaRange(buf, RECORDS_OFFSET, buf.length, timestamps.length - 1), undefined, 'a count short of the records');
    assert.equal(timestampDeltaRange(buf, RECORDS_OFFSET, buf.length - 1, timestamps.length), undefined, 'the last record cut');
    const daysApart = [3n * 86_400_000n, 0n, 5n].map((d) => 1_700_000_000_000n + d);
    const far = encodeUncompressedRecordBatch({ records: daysApart.map((timestamp) => ({ value: Buffer.from('v'), timestamp })) });
    assert.deepEqual(timestampDeltaRange(far, RECORDS_OFFSET, far.length, daysApart.length), { min: -3 * 86_400_000, max: 0 }, 'deltas past 2^27 ms (varlongs of five bytes)');
    const garbled = Buffer.from(buf);
    garbled[RECORDS_OFFSET] = 0x7e; // the first record's length now runs past the batch
    assert.equal(timestampDeltaRange(garbled, RECORDS_OFFSET, garbled.length, timestamps.length), undefined);
  });
});
