/**
 * Oracle tests independent of our encoder: batches written byte by byte from the v2 RecordBatch
 * layout in Kafka's documentation ("Message Format", kafka.apache.org/documentation/#recordbatch),
 * with CRCs computed by a separate bit-at-a-time CRC-32C (Python, not this repository's code).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ControlRecordType,
  TimestampType,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  decodeRecordBatch,
  encodeUncompressedRecordBatch,
  readBatchHeader,
  validateBatch,
} from '../../../src/protocol/records/index.js';

function hex(...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
}

// Two records: offset 5 key "k" value "hello" header h=v; offset 6 null key, empty value, header n=null.
const TWO_RECORD_BATCH = hex(
  '0000000000000005', // baseOffset 5
  '0000004c', // batchLength 76
  '00000003', // partitionLeaderEpoch 3
  '02', // magic 2
  '4cd729da', // crc (CRC-32C of everything below)
  '0000', // attributes: no compression, CreateTime, not transactional, not control
  '00000001', // lastOffsetDelta 1
  '0000018bcfe56800', // baseTimestamp 1700000000000
  '0000018bcfe56805', // maxTimestamp 1700000000005
  '00000000000003e8', // producerId 1000
  '0002', // producerEpoch 2
  '00000007', // baseSequence 7
  '00000002', // record count 2
  // record 0: length 16, attributes 0, timestampDelta 0, offsetDelta 0
  '20 00 00 00',
  '02 6b', // key length 1, "k"
  '0a 68656c6c6f', // value length 5, "hello"
  '02 02 68 02 76', // 1 header: key length 1 "h", value length 1 "v"
  // record 1: length 9, attributes 0, timestampDelta 5, offsetDelta 1
  '12 00 0a 02',
  '01', // key length -1: null
  '00', // value length 0
  '02 02 6e 01', // 1 header: key "n", value length -1: null
);

// A COMMIT marker: transactional control batch, key (version 0, type 1), value (version 0, coordinatorEpoch 5).
const COMMIT_MARKER_BATCH = hex(
  '000000000000002a', // baseOffset 42
  '00000042', // batchLength 66
  '00000000', // partitionLeaderEpoch 0
  '02',
  'a7d9b82a', // crc
  '0030', // attributes: transactional (bit 4) and control (bit 5)
  '00000000',
  '0000018bcfe56800',
  '0000018bcfe56800',
  '00000000000003e8',
  '0002',
  'ffffffff', // baseSequence -1
  '00000001',
  '20 00 00 00', // length 16, attributes, timestampDelta 0, offsetDelta 0
  '08 00000001', // key: version 0, type 1 (COMMIT)
  '0c 000000000005', // value: version 0, coordinatorEpoch 5
  '00', // no headers
);

describe('hand-built v2 batches from the Kafka documentation', () => {
  it('reads every header field', () => {
    assert.equal(TWO_RECORD_BATCH.length, 88);
    assert.deepEqual(readBatchHeader(TWO_RECORD_BATCH, 0), {
      baseOffset: 5n,
      batchLength: 76,
      partitionLeaderEpoch: 3,
      magic: 2,
      crc: 0x4cd729da,
      attributes: 0,
      lastOffsetDelta: 1,
      baseTimestamp: 1700000000000n,
      maxTimestamp: 1700000000005n,
      producerId: 1000n,
      producerEpoch: 2,
      baseSequence: 7,
      recordCount: 2,
    });
  });

  it('validates it as a replicated batch and rejects it from a client only for its base offset', () => {
    const v = validateBatch(TWO_RECORD_BATCH, 0, { origin: 'replication' });
    assert.equal(v.sizeInBytes, 88);
    assert.throws(() => validateBatch(TWO_RECORD_BATCH), { reason: 'invalid-offsets' });
  });

  it('decodes the records: offsets, timestamps, keys, values, headers, sequences', async () => {
    const batch = await decodeRecordBatch(TWO_RECORD_BATCH, 0, { maxUncompressedBytes: 1024 });
    assert.equal(batch.timestampType, TimestampType.CreateTime);
    assert.equal(batch.records.length, 2);
    const [r0, r1] = batch.records as [NonNullable<(typeof batch.records)[0]>, NonNullable<(typeof batch.records)[1]>];
    assert.equal(r0.offset, 5n);
    assert.equal(r0.timestamp, 1700000000000n);
    assert.equal(r0.sequence, 7);
    assert.equal(r0.key?.toString(), 'k');
    assert.equal(r0.value?.toString(), 'hello');
    assert.deepEqual(r0.headers.map((h) => [h.key, h.value?.toString()]), [['h', 'v']]);
    assert.equal(r1.offset, 6n);
    assert.equal(r1.timestamp, 1700000000005n);
    assert.equal(r1.sequence, 8);
    assert.equal(r1.key, null);
    assert.deepEqual(r1.value, Buffer.alloc(0));
    assert.deepEqual(r1.headers, [{ key: 'n', value: null }]);
  });

  it('our encoder writes the same bytes from the same fields', () => {
    const encoded = encodeUncompressedRecordBatch({
      baseOffset: 5n,
      partitionLeaderEpoch: 3,
      producerId: 1000n,
      producerEpoch: 2,
      baseSequence: 7,
      records: [
        { key: Buffer.from('k'), value: Buffer.from('hello'), headers: [{ key: 'h', value: Buffer.from('v') }], timestamp: 1700000000000n },
        { key: null, value: Buffer.alloc(0), headers: [{ key: 'n', value: null }], timestamp: 1700000000005n },
      ],
    });
    assert.equal(encoded.toString('hex'), TWO_RECORD_BATCH.toString('hex'));
  });

  it('decodes a hand-built COMMIT marker', async () => {
    const batch = await decodeRecordBatch(COMMIT_MARKER_BATCH, 0, { maxUncompressedBytes: 1024 });
    assert.equal(batch.isControlBatch, true);
    assert.equal(batch.isTransactional, true);
    assert.equal(batch.records.length, 1);
    const marker = batch.records[0]!;
    assert.equal(marker.offset, 42n);
    assert.deepEqual(decodeControlRecordKey(marker.key), { version: 0, type: ControlRecordType.Commit });
    assert.deepEqual(decodeEndTxnMarker(marker.value), { version: 0, coordinatorEpoch: 5 });
    assert.equal(marker.sequence, -1);
    validateBatch(COMMIT_MARKER_BATCH, 0, { origin: 'coordinator' });
    assert.throws(() => validateBatch(COMMIT_MARKER_BATCH, 0, { origin: 'client' }), { reason: 'invalid-offsets' });
  });
});
