/**
 * A second, independent implementation as oracle: kafkajs's own v2 RecordBatch encoder and
 * decoder (with its own CRC-32C and varints). Batches it writes must validate and decode here;
 * batches written here must decode there to the same fields.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { CompressionType } from '../../../src/protocol/compression/index.js';
import { decodeRecordBatch, encodeRecordBatch, validateBatch } from '../../../src/protocol/records/index.js';

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  buffer: Buffer;
}
interface KafkajsRecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string>;
}
interface KafkajsDecodedBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  inTransaction: boolean;
  lastOffsetDelta: number;
  records: Array<{ offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }>;
}

const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (args: Record<string, unknown>) => Promise<KafkajsEncoder>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: KafkajsRecordInput) => unknown;
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<KafkajsDecodedBatch>;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromValue: (v: string) => unknown };

const LIMIT = { maxUncompressedBytes: 1 << 20 };

describe('kafkajs as an oracle', () => {
  for (const compression of [CompressionType.None, CompressionType.Gzip]) {
    const name = compression === CompressionType.None ? 'uncompressed' : 'gzip';

    it(`decodes a ${name} batch written by kafkajs`, async () => {
      const encoder = await RecordBatch({
        compression,
        firstOffset: Long.fromValue('0'),
        firstTimestamp: 1700000000000,
        maxTimestamp: 1700000000250,
        lastOffsetDelta: 2,
        transactional: true,
        producerId: Long.fromValue('31'),
        producerEpoch: 4,
        firstSequence: 10,
        records: [
          Record({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k0'), value: Buffer.from('v0'), headers: { trace: Buffer.from('abc') } }),
          Record({ offsetDelta: 1, timestampDelta: 250, key: null, value: Buffer.from('v1') }),
          Record({ offsetDelta: 2, timestampDelta: 100, key: Buffer.from('k2'), value: null, headers: { a: Buffer.from('1'), b: Buffer.from('2') } }),
        ],
      });
      const bytes = encoder.buffer;
      const v = validateBatch(bytes, 0, { origin: 'client' });
      assert.equal(v.header.recordCount, 3);
      const batch = await decodeRecordBatch(bytes, 0, LIMIT);
      assert.equal(batch.isTransactional, true);
      assert.equal(batch.compression, compression);
      assert.equal(batch.header.producerId, 31n);
      assert.deepEqual(batch.records.map((r) => [r.offset, r.timestamp, r.sequence]), [
        [0n, 1700000000000n, 10],
        [1n, 1700000000250n, 11],
        [2n, 1700000000100n, 12],
      ]);
      assert.deepEqual(batch.records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null]), [
        ['k0', 'v0'],
        [null, 'v1'],
        ['k2', null],
      ]);
      assert.deepEqual(batch.records[2]!.headers.map((h) => `${h.key}=${h.value?.toString()}`), ['a=1', 'b=2']);
    });

    it(`writes a ${name} batch kafkajs decodes to the same fields`, async () => {
      const bytes = await encodeRecordBatch({
        compression,
        baseOffset: 1000n,
        producerId: 77n,
        producerEpoch: 2,
        baseSequence: 5,
        isTransactional: true,
        records: [
          { key: Buffer.from('a'), value: Buffer.from('alpha'), timestamp: 1700000000500n, headers: [{ key: 'x', value: Buffer.from('y') }] },
          { key: null, value: Buffer.from('beta'), timestamp: 1700000000000n },
          { key: Buffer.from('c'), value: Buffer.alloc(3000, 7), timestamp: 1700000000900n },
        ],
      });
      const decoded = await decodeKafkajsBatch(new KafkajsDecoder(bytes));
      assert.equal(decoded.firstOffset, '1000');
      assert.equal(decoded.firstTimestamp, '1700000000500');
      assert.equal(decoded.maxTimestamp, '1700000000900');
      assert.equal(decoded.producerId, '77');
      assert.equal(decoded.producerEpoch, 2);
      assert.equal(decoded.firstSequence, 5);
      assert.equal(decoded.inTransaction, true);
      assert.equal(decoded.lastOffsetDelta, 2);
      assert.deepEqual(decoded.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null]), [
        ['1000', '1700000000500', 'a'],
        ['1001', '1700000000000', null],
        ['1002', '1700000000900', 'c'],
      ]);
      assert.deepEqual(decoded.records[2]!.value, Buffer.alloc(3000, 7));
      assert.equal(decoded.records[0]!.headers['x']?.toString(), 'y');
    });
  }
});
