/**
 * Oracle: record batches written by real clients, taken from the produce requests captured from
 * librdkafka (kcat, every codec) and kafkajs (none, gzip) in test/fixtures/oracle. They must pass
 * the broker's validation as producer batches and decode to the records the clients were asked to
 * send (test/protocol/oracle/scenario.ts), and re-encoding the decoded records must give records
 * that decode the same way.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CompressionType, compress, decompress } from '../../../src/protocol/compression/index.js';
import { readRequestFrame } from '../../../src/protocol/frames.js';
import { type ProduceRequest, decodeProduceRequest } from '../../../src/protocol/messages/00-produce.js';
import { decodeRecordBatch, encodeRecordBatch, validateProduceRecords } from '../../../src/protocol/records/index.js';
import { DecodeError } from '../../../src/protocol/samsa-error.js';
import { fixturePath } from '../../helpers/repo-root.js';
import { CODECS, KAFKAJS_RECORDS, KCAT_HEADER, KCAT_RECORDS } from '../oracle/scenario.js';

const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
const LIMIT = { maxUncompressedBytes: 1 << 20 };

function producedRecords(fixture: string): Buffer {
  const req = readRequestFrame(readFileSync(fixturePath('oracle', `${fixture}.bin`)));
  const body: ProduceRequest = decodeProduceRequest(req.body, req.apiVersion);
  const records = body.topicData[0]?.partitionData[0]?.records;
  assert.ok(records, `${fixture} carries records`);
  return records;
}

async function codecWorks(type: CompressionType): Promise<boolean> {
  try {
    return (await decompress(type, await compress(type, Buffer.from('probe')), 64)).toString() === 'probe';
  } catch (err) {
    if (err instanceof DecodeError && /not supported/.test(err.message)) return false;
    throw err;
  }
}

type Expected = Array<{ key: string | null; value: string | null; headers: Array<[string, string]> }>;

async function assertDecodesTo(records: Buffer, compression: number, expected: Expected): Promise<void> {
  const v = validateProduceRecords(records, { origin: 'client' });
  assert.equal(v.compression, compression);
  const batch = await decodeRecordBatch(records, 0, LIMIT);
  const got = batch.records.map((r) => ({
    key: r.key?.toString() ?? null,
    value: r.value?.toString() ?? null,
    headers: r.headers.map((h): [string, string] => [h.key, h.value?.toString() ?? '<null>']),
  }));
  assert.deepEqual(got, expected);
  assert.deepEqual(batch.records.map((r) => r.offset), expected.map((_, i) => BigInt(i)));
  for (const r of batch.records) assert.ok(r.timestamp >= batch.header.baseTimestamp && r.timestamp <= batch.header.maxTimestamp);

  // Our encoder, given what we decoded, writes a batch that decodes to the same records.
  const again = await encodeRecordBatch({
    compression: batch.compression,
    producerId: batch.header.producerId,
    producerEpoch: batch.header.producerEpoch,
    baseSequence: batch.header.baseSequence,
    records: batch.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
  });
  const reDecoded = await decodeRecordBatch(again, 0, LIMIT);
  assert.deepEqual(reDecoded.records.map((r) => [r.key, r.value, r.timestamp]), batch.records.map((r) => [r.key, r.value, r.timestamp]));
  assert.equal(reDecoded.header.maxTimestamp, batch.header.maxTimestamp);
}

describe('batches written by real clients', () => {
  for (const codec of CODECS) {
    it(`librdkafka (kcat) with ${codec}`, async (t) => {
      if (!(await codecWorks(CODEC_IDS[codec]))) {
        t.skip(`${codec} is not implemented by the compression module yet`);
        return;
      }
      const expected = KCAT_RECORDS.map((r) => ({ key: r.key, value: r.value, headers: [[KCAT_HEADER.key, KCAT_HEADER.value]] as Array<[string, string]> }));
      await assertDecodesTo(producedRecords(`kcat-produce-${codec}`), CODEC_IDS[codec], expected);
    });
  }

  for (const codec of ['none', 'gzip'] as const) {
    it(`kafkajs with ${codec}`, async () => {
      const expected = KAFKAJS_RECORDS.map((r) => ({ key: r.key, value: r.value, headers: Object.entries(r.headers) }));
      await assertDecodesTo(producedRecords(`kafkajs-produce-${codec}`), CODEC_IDS[codec], expected);
    });
  }
});
