/**
 * A 1 MiB produce request of 1,000 records with 1 KiB values: (a) the generated ProduceRequest v9
 * codec carrying the batch as opaque bytes (what the broker's hot path does, plus the batch
 * validation it adds), and (b) full record-batch encode and decode of the 1,000 records (what a
 * client does). Baseline in the same run: copying the request's bytes into an existing buffer
 * (memory bandwidth alone), next to a copy into a fresh allocation (bandwidth plus page faults).
 */
import { randomBytes } from 'node:crypto';
import { type ProduceRequestInput, decodeProduceRequest, encodeProduceRequest } from '../src/protocol/messages/00-produce.js';
import { Reader } from '../src/protocol/primitives/reader.js';
import { Writer } from '../src/protocol/primitives/writer.js';
import { type RecordBatchInput, decodeRecordBatch, encodeUncompressedRecordBatch, validateProduceRecords } from '../src/protocol/records/index.js';
import { measure, report } from './harness.js';

const VERSION = 9;
const RECORDS = 1000;
const VALUE_BYTES = 1024;

function batchInput(): RecordBatchInput {
  const values = randomBytes(RECORDS * VALUE_BYTES);
  const now = 1700000000000n;
  return {
    producerId: 1000n,
    producerEpoch: 0,
    baseSequence: 0,
    records: Array.from({ length: RECORDS }, (_, i) => ({
      key: Buffer.from(`key-${String(i).padStart(6, '0')}`),
      value: values.subarray(i * VALUE_BYTES, (i + 1) * VALUE_BYTES),
      headers: [{ key: 'trace-id', value: Buffer.from('0af7651916cd43dd') }],
      timestamp: now + BigInt(i >> 4),
    })),
  };
}

function request(records: Buffer): ProduceRequestInput {
  return { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 'bench-topic', partitionData: [{ index: 0, records }] }] };
}

function encodeRequest(input: ProduceRequestInput): Buffer[] {
  const w = new Writer();
  encodeProduceRequest(w, VERSION, input);
  return w.toChunks();
}

let sink = 0;

export default async function produceCodecBench(): Promise<void> {
  const input = batchInput();
  const batch = encodeUncompressedRecordBatch(input);
  const req = request(batch);
  const wire = Buffer.concat(encodeRequest(req));
  const bytes = wire.length;
  const decodeOptions = { maxUncompressedBytes: 2 * bytes };
  const target = Buffer.allocUnsafe(bytes);
  const rows = [
    await measure(`baseline: copy ${(bytes / 2 ** 20).toFixed(2)} MiB into a buffer`, () => (sink ^= wire.copy(target)), { bytes }),
    // Allocating fresh output memory costs page faults an in-place copy does not; encode pays them too.
    await measure('Buffer.from copy (allocates)', () => (sink ^= Buffer.from(wire)[7]!), { bytes }),
    await measure('ProduceRequest v9 decode (batch opaque)', () => (sink ^= decodeProduceRequest(new Reader(wire), VERSION).acks), { bytes }),
    await measure('ProduceRequest v9 encode (batch opaque)', () => (sink ^= encodeRequest(req).length), { bytes }),
    await measure('decode + validateProduceRecords (broker)', () => {
      const records = decodeProduceRequest(new Reader(wire), VERSION).topicData[0]!.partitionData[0]!.records!;
      sink ^= validateProduceRecords(records).header.recordCount;
    }, { bytes }),
    await measure('record batch encode, 1,000 records', () => (sink ^= encodeUncompressedRecordBatch(input).length), { bytes }),
    await measure('record batch decode, 1,000 records', async () => {
      sink ^= (await decodeRecordBatch(batch, 0, decodeOptions)).records.length;
    }, { bytes }),
    await measure('record batch decode, no CRC check', async () => {
      sink ^= (await decodeRecordBatch(batch, 0, { ...decodeOptions, verifyCrc: false })).records.length;
    }, { bytes }),
    await measure('decode + read every offset/timestamp', async () => {
      let last = 0n;
      for (const r of (await decodeRecordBatch(batch, 0, decodeOptions)).records) last = r.offset + r.timestamp;
      sink ^= Number(last & 1n);
    }, { bytes }),
  ];
  report(`Produce request of ${RECORDS} records x ${VALUE_BYTES} B values (${bytes.toLocaleString('en-US')} bytes), ProduceRequest v${VERSION}`, rows);
  if (sink === 0.5) console.log(sink);
}
