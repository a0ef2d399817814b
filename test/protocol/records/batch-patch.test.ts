import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionType } from '../../../src/protocol/compression/index.js';
import {
  InvalidBatchError,
  TimestampType,
  decodeRecordBatch,
  encodeRecordBatch,
  encodeUncompressedRecordBatch,
  readBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  setMaxTimestamp,
  setPartitionLeaderEpoch,
  validateBatch,
} from '../../../src/protocol/records/index.js';

const LIMIT = { maxUncompressedBytes: 1 << 20 };

function batch(): Buffer {
  return encodeUncompressedRecordBatch({
    isTransactional: true,
    hasDeleteHorizonMs: true,
    producerId: 8n,
    producerEpoch: 1,
    baseSequence: 0,
    records: [
      { value: Buffer.from('a'), timestamp: 1700000000000n },
      { value: Buffer.from('b'), timestamp: 1700000000900n },
      { value: Buffer.from('c'), timestamp: 1700000000400n },
    ],
  });
}

describe('in-place batch patches', () => {
  it('setBaseOffset moves every record offset and keeps the CRC valid', async () => {
    const b = batch();
    const crc = readBatchHeader(b).crc;
    setBaseOffset(b, 0, 9_000_000_000n);
    validateBatch(b, 0, { origin: 'replication' });
    assert.equal(readBatchHeader(b).crc, crc, 'the CRC does not cover the base offset');
    const decoded = await decodeRecordBatch(b, 0, LIMIT);
    assert.deepEqual(decoded.records.map((r) => r.offset), [9_000_000_000n, 9_000_000_001n, 9_000_000_002n]);
  });

  it('setPartitionLeaderEpoch keeps the CRC valid', () => {
    const b = batch();
    setPartitionLeaderEpoch(b, 0, 17);
    assert.equal(validateBatch(b, 0, { origin: 'replication' }).header.partitionLeaderEpoch, 17);
  });

  it('patches a batch in the middle of a buffer without touching its neighbours', () => {
    const one = batch();
    const buf = Buffer.concat([one, one, one]);
    const copy = Buffer.from(buf);
    setBaseOffset(buf, one.length, 5n);
    setPartitionLeaderEpoch(buf, one.length, 2);
    setLogAppendTime(buf, one.length, 1800000000000n);
    assert.ok(buf.subarray(0, one.length).equals(copy.subarray(0, one.length)));
    assert.ok(buf.subarray(2 * one.length).equals(copy.subarray(2 * one.length)));
    const v = validateBatch(buf, one.length, { origin: 'replication' });
    assert.equal(v.header.baseOffset, 5n);
  });

  for (const compression of [CompressionType.None, CompressionType.Gzip]) {
    it(`setLogAppendTime yields a valid CRC and the append time on every record (${compression ? 'gzip' : 'none'})`, async () => {
      const b = await encodeRecordBatch({ compression, records: [{ timestamp: 1000n }, { timestamp: 3000n }] });
      const before = readBatchHeader(b);
      setLogAppendTime(b, 0, 1800000000000n);
      const v = validateBatch(b);
      assert.notEqual(v.header.crc, before.crc);
      assert.equal(v.header.maxTimestamp, 1800000000000n);
      assert.equal(v.header.baseTimestamp, 1000n, 'baseTimestamp keeps the create time, as in Kafka');
      assert.equal(v.header.attributes, before.attributes | 0x08, 'only the timestamp-type bit changes');
      const decoded = await decodeRecordBatch(b, 0, LIMIT);
      assert.equal(decoded.timestampType, TimestampType.LogAppendTime);
      assert.equal(decoded.compression, compression);
      assert.deepEqual(decoded.records.map((r) => r.timestamp), [1800000000000n, 1800000000000n]);
    });
  }

  it('setLogAppendTime keeps the transactional and delete-horizon bits', async () => {
    const b = batch();
    setLogAppendTime(b, 0, 1n);
    const decoded = await decodeRecordBatch(b, 0, LIMIT);
    assert.ok(decoded.isTransactional && decoded.hasDeleteHorizonMs);
  });

  it('setMaxTimestamp back to CreateTime restores the original bytes', () => {
    const b = batch();
    const original = Buffer.from(b);
    const { maxTimestamp } = readBatchHeader(b);
    assert.equal(maxTimestamp, 1700000000900n);
    setLogAppendTime(b, 0, 1800000000000n);
    assert.ok(!b.equals(original));
    setMaxTimestamp(b, 0, TimestampType.CreateTime, maxTimestamp);
    assert.ok(b.equals(original));
  });

  it('setMaxTimestamp leaves an unchanged batch alone (no CRC pass needed)', () => {
    const b = batch();
    b.writeUInt32BE(0xdeadbeef, 17); // a wrong CRC would be repaired by a recomputation
    setMaxTimestamp(b, 0, TimestampType.CreateTime, 1700000000900n);
    assert.equal(b.readUInt32BE(17), 0xdeadbeef);
  });

  it('refuses to patch outside the buffer with InvalidBatchError', () => {
    const b = batch();
    assert.throws(() => setBaseOffset(b, b.length - 10, 1n), InvalidBatchError);
    assert.throws(() => setPartitionLeaderEpoch(b.subarray(0, 20), 0, 1), InvalidBatchError);
    assert.throws(() => setLogAppendTime(b.subarray(0, b.length - 1), 0, 1n), InvalidBatchError);
  });
});
