import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import {
  type InvalidBatchReason,
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  InvalidBatchError,
  MAGIC_OFFSET,
  RECORDS_COUNT_OFFSET,
  computeBatchCrc,
  encodeRecordBatch,
  encodeUncompressedRecordBatch,
  validateBatch,
  validateProduceRecords,
} from '../../../src/protocol/records/index.js';
import { CompressionType } from '../../../src/protocol/compression/index.js';

function producerBatch(): Buffer {
  return encodeUncompressedRecordBatch({
    producerId: 5n,
    producerEpoch: 0,
    baseSequence: 0,
    records: [
      { key: Buffer.from('a'), value: Buffer.from('first'), timestamp: 1700000000000n, headers: [{ key: 'h', value: Buffer.from('v') }] },
      { key: null, value: Buffer.from('second'), timestamp: 1700000000001n },
    ],
  });
}

/** Asserts `fn` throws InvalidBatchError with this reason and Kafka error code. */
function assertInvalid(fn: () => unknown, reason: InvalidBatchReason, errorCode: number, label: string = reason): void {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof InvalidBatchError, `${label}: ${String(err)}`);
    assert.equal(err.reason, reason, `${label}: ${err.message}`);
    assert.equal(err.errorCode, errorCode, label);
    return true;
  });
}

/** Rewrites the CRC so a deliberately edited header field is the only defect. */
function refreshCrc(b: Buffer): Buffer {
  b.writeUInt32BE(computeBatchCrc(b, 0, b.length), CRC_OFFSET);
  return b;
}

describe('validateBatch', () => {
  it('accepts a producer batch and returns its header', () => {
    const b = producerBatch();
    const v = validateBatch(b);
    assert.equal(v.sizeInBytes, b.length);
    assert.equal(v.position, 0);
    assert.equal(v.compression, 0);
    assert.equal(v.header.recordCount, 2);
  });

  it('detects a flip of any byte from the CRC to the end', () => {
    const original = producerBatch();
    for (let i = CRC_OFFSET; i < original.length; i++) {
      const b = Buffer.from(original);
      b[i] = b[i]! ^ 0x5a;
      assertInvalid(() => validateBatch(b, 0, { origin: 'replication' }), 'crc-mismatch', ErrorCode.CORRUPT_MESSAGE, `byte ${i}`);
    }
  });

  it('ignores changes to baseOffset and partitionLeaderEpoch (outside the CRC)', () => {
    const b = producerBatch();
    b.writeBigInt64BE(123456789n, 0);
    b.writeInt32BE(77, 12);
    validateBatch(b, 0, { origin: 'replication' });
  });

  it('maps framing faults to CORRUPT_MESSAGE and a wrong magic to INVALID_RECORD', () => {
    const b = producerBatch();
    assertInvalid(() => validateBatch(b.subarray(0, b.length - 1)), 'truncated', ErrorCode.CORRUPT_MESSAGE);
    assertInvalid(() => validateBatch(b.subarray(0, 10)), 'truncated', ErrorCode.CORRUPT_MESSAGE);
    assertInvalid(() => validateBatch(b, 0, { end: b.length - 5 }), 'truncated', ErrorCode.CORRUPT_MESSAGE);
    assertInvalid(() => validateBatch(b, b.length + 1), 'truncated', ErrorCode.CORRUPT_MESSAGE);
    for (const magic of [0, 1, 3, -1]) {
      const m = Buffer.from(b);
      m.writeInt8(magic, MAGIC_OFFSET);
      assertInvalid(() => validateBatch(m), 'unsupported-magic', ErrorCode.INVALID_RECORD, `magic ${magic}`);
    }
    for (const length of [-1, 0, 48]) {
      const l = Buffer.from(b);
      l.writeInt32BE(length, BATCH_LENGTH_OFFSET);
      assertInvalid(() => validateBatch(l), 'invalid-batch-length', ErrorCode.CORRUPT_MESSAGE, `batchLength ${length}`);
    }
  });

  it('refuses batches above maxBatchBytes with MESSAGE_TOO_LARGE', () => {
    const b = producerBatch();
    validateBatch(b, 0, { maxBatchBytes: b.length });
    assertInvalid(() => validateBatch(b, 0, { maxBatchBytes: b.length - 1 }), 'batch-too-large', ErrorCode.MESSAGE_TOO_LARGE);
  });

  it('refuses unknown compression ids and impossible record counts', () => {
    const unknown = producerBatch();
    unknown.writeInt16BE(5, ATTRIBUTES_OFFSET);
    assertInvalid(() => validateBatch(refreshCrc(unknown)), 'unknown-compression', ErrorCode.INVALID_RECORD);
    const negative = producerBatch();
    negative.writeInt32BE(-1, RECORDS_COUNT_OFFSET);
    assertInvalid(() => validateBatch(refreshCrc(negative), 0, { origin: 'replication' }), 'invalid-record-count', ErrorCode.INVALID_RECORD);
    const huge = producerBatch();
    huge.writeInt32BE(0x7fffffff, RECORDS_COUNT_OFFSET);
    assertInvalid(() => validateBatch(refreshCrc(huge), 0, { origin: 'replication' }), 'invalid-record-count', ErrorCode.INVALID_RECORD);
  });

  it("applies Kafka's client rules only to producer batches", async () => {
    const cases: Array<[string, Parameters<typeof encodeUncompressedRecordBatch>[0], InvalidBatchReason]> = [
      ['non-zero base offset', { baseOffset: 10n, records: [{}] }, 'invalid-offsets'],
      ['count not lastOffsetDelta + 1', { lastOffsetDelta: 5, records: [{}, {}] }, 'invalid-record-count'],
      ['negative lastOffsetDelta', { lastOffsetDelta: -1, records: [{}] }, 'invalid-offsets'],
      ['control batch', { isControlBatch: true, records: [{}] }, 'control-batch-from-client'],
      ['producer id without sequence', { producerId: 3n, producerEpoch: 0, baseSequence: -1, records: [{}] }, 'invalid-sequence'],
    ];
    for (const [label, input, reason] of cases) {
      const b = encodeUncompressedRecordBatch(input);
      assertInvalid(() => validateBatch(b), reason, ErrorCode.INVALID_RECORD, label);
      validateBatch(b, 0, { origin: 'replication' });
      validateBatch(b, 0, { origin: 'coordinator' });
    }
    // Compressed record counts are not checked against the bytes (only decoding can).
    const gz = await encodeRecordBatch({ compression: CompressionType.Gzip, records: Array.from({ length: 100 }, () => ({ value: Buffer.alloc(50) })) });
    assert.equal(validateBatch(gz).header.recordCount, 100);
  });

  it('validates a batch at a position inside a larger buffer', () => {
    const b = producerBatch();
    const padded = Buffer.concat([Buffer.alloc(13, 0xee), b, Buffer.alloc(7, 0xee)]);
    assert.equal(validateBatch(padded, 13).sizeInBytes, b.length);
    assert.equal(validateBatch(padded, 13, { end: 13 + b.length }).position, 13);
  });

  it('keeps the sequence check for idempotent producers', () => {
    const b = encodeUncompressedRecordBatch({ producerId: 3n, producerEpoch: 0, baseSequence: 0, records: [{}] });
    validateBatch(b);
    b.writeInt32BE(-5, BASE_SEQUENCE_OFFSET);
    assertInvalid(() => validateBatch(refreshCrc(b)), 'invalid-sequence', ErrorCode.INVALID_RECORD);
  });
});

describe('validateProduceRecords', () => {
  it('accepts exactly one complete batch', () => {
    const b = producerBatch();
    assert.equal(validateProduceRecords(b).sizeInBytes, b.length);
  });

  it('refuses none, two, or a batch followed by partial bytes', () => {
    const b = producerBatch();
    assertInvalid(() => validateProduceRecords(Buffer.alloc(0)), 'invalid-records', ErrorCode.INVALID_RECORD, 'empty');
    assertInvalid(() => validateProduceRecords(Buffer.concat([b, b])), 'invalid-records', ErrorCode.INVALID_RECORD, 'two batches');
    assertInvalid(() => validateProduceRecords(Buffer.concat([b, b.subarray(0, 20)])), 'truncated', ErrorCode.CORRUPT_MESSAGE, 'partial tail');
    assertInvalid(() => validateProduceRecords(b.subarray(0, b.length - 3)), 'truncated', ErrorCode.CORRUPT_MESSAGE, 'partial only');
  });

  it("checks the first batch before what follows it, and what follows for its framing", () => {
    const b = producerBatch();
    const corrupt = Buffer.from(b);
    corrupt[corrupt.length - 1]! ^= 0xff;
    assertInvalid(() => validateProduceRecords(Buffer.concat([corrupt, b])), 'crc-mismatch', ErrorCode.CORRUPT_MESSAGE, 'corrupt first of two');
    assertInvalid(() => validateProduceRecords(b, { maxBatchBytes: b.length - 1 }), 'batch-too-large', ErrorCode.MESSAGE_TOO_LARGE, 'over max.message.bytes');
    const oldMagic = Buffer.from(b);
    oldMagic.writeInt8(1, 16);
    assertInvalid(() => validateProduceRecords(Buffer.concat([b, oldMagic])), 'unsupported-magic', ErrorCode.INVALID_RECORD, 'magic 1 after a valid batch');
    assertInvalid(() => validateProduceRecords(b.subarray(0, 8)), 'truncated', ErrorCode.CORRUPT_MESSAGE, 'less than a batch header');
    assert.equal(validateProduceRecords(b, { maxBatchBytes: b.length }).header.recordCount, 2);
  });
});
