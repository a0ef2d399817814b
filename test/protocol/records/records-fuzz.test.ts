/**
 * Hostile input: random bytes and mutated valid batches (with and without a repaired CRC, so the
 * mutations reach the record decoder and the decompressor) must only ever produce DecodeError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionType } from '../../../src/protocol/compression/index.js';
import {
  CRC_OFFSET,
  computeBatchCrc,
  decodeRecordBatch,
  encodeRecordBatch,
  iterateBatches,
  readBatchHeader,
  validateBatch,
} from '../../../src/protocol/records/index.js';
import { DecodeError } from '../../../src/protocol/samsa-error.js';
import { SeededRandom } from './seeded-random.js';

const SEED = 0x5a1ad;
const ITERATIONS = 3000;

/** Codecs the compression module implements so far (snappy, lz4 and zstd land separately). */
async function workingCodecs(): Promise<CompressionType[]> {
  const out: CompressionType[] = [];
  for (const c of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    try {
      await encodeRecordBatch({ compression: c, records: [{ value: Buffer.from('probe') }] });
      out.push(c);
    } catch (err) {
      if (!(err instanceof DecodeError && /not supported/.test(err.message))) throw err;
    }
  }
  return out;
}

async function seedBatches(rnd: SeededRandom): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const compression of [CompressionType.None, CompressionType.None, ...(await workingCodecs())]) {
    for (let i = 0; i < 4; i++) {
      out.push(
        await encodeRecordBatch({
          compression,
          producerId: 1n,
          producerEpoch: 0,
          baseSequence: 0,
          records: Array.from({ length: 1 + rnd.int(6) }, (_, j) => ({
            key: rnd.bool() ? rnd.bytes(rnd.int(8)) : null,
            value: rnd.bytes(rnd.int(40)),
            timestamp: 1700000000000n + BigInt(j),
            headers: rnd.bool() ? [{ key: 'k', value: rnd.bool() ? rnd.bytes(3) : null }] : [],
          })),
        }),
      );
    }
  }
  return out;
}

function mutate(rnd: SeededRandom, original: Buffer): Buffer {
  let b = Buffer.from(original);
  const edits = 1 + rnd.int(4);
  for (let e = 0; e < edits; e++) {
    switch (rnd.int(6)) {
      case 0: // flip a random byte
        b[rnd.int(b.length)] = rnd.int(256);
        break;
      case 1: // a byte in the records region, where varints live
        if (b.length > 61) b[61 + rnd.int(b.length - 61)] = rnd.pick([0x00, 0x01, 0x7f, 0x80, 0xff, rnd.int(256)]);
        break;
      case 2: // truncate
        b = b.subarray(0, rnd.int(b.length + 1));
        break;
      case 3: // extend with junk
        b = Buffer.concat([b, rnd.bytes(rnd.int(30))]);
        break;
      case 4: // a hostile header count or length
        if (b.length >= 61) b.writeInt32BE(rnd.pick([-1, 0, 1, 0x7fffffff, -0x80000000, rnd.int(1000)]), rnd.pick([8, 23, 57]));
        break;
      default: // an attribute value, including unknown compression ids and flags
        if (b.length >= 23) b.writeInt16BE(rnd.int(0x10000) - 0x8000, 21);
    }
  }
  // Half the time repair the CRC, so the mutation is judged by the decoder rather than the checksum.
  if (rnd.bool() && b.length >= 61) {
    const size = 12 + b.readInt32BE(8);
    if (size >= 61 && size <= b.length) b.writeUInt32BE(computeBatchCrc(b, 0, size), CRC_OFFSET);
  }
  return b;
}

async function exercise(b: Buffer, outcomes: Map<string, number>): Promise<void> {
  const note = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
  const attempt = async (name: string, fn: () => unknown) => {
    try {
      await fn();
      note(`${name} ok`);
    } catch (err) {
      if (!(err instanceof DecodeError)) {
        assert.fail(`${name} threw ${String(err)} (not a DecodeError) on ${b.toString('hex')}`);
      }
      note(`${name} DecodeError`);
    }
  };
  await attempt('readBatchHeader', () => readBatchHeader(b, 0));
  await attempt('validateBatch', () => validateBatch(b, 0, { origin: 'replication' }));
  await attempt('iterateBatches', () => [...iterateBatches(b)]);
  for (const verifyCrc of [true, false]) {
    await attempt(`decodeRecordBatch crc=${verifyCrc}`, async () => {
      const batch = await decodeRecordBatch(b, 0, { maxUncompressedBytes: 64 * 1024, verifyCrc });
      for (const r of batch.records) void [r.offset, r.timestamp, r.sequence, r.key?.length, r.headers.length];
    });
  }
}

describe('record batch fuzz', () => {
  it(`only DecodeError from ${ITERATIONS} random and mutated inputs (seed ${SEED})`, async () => {
    const rnd = new SeededRandom(SEED);
    const seeds = await seedBatches(rnd);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < ITERATIONS; i++) {
      const input = i % 5 === 0 ? rnd.bytes(rnd.int(120)) : mutate(rnd, rnd.pick(seeds));
      await exercise(input, outcomes);
    }
    // The mutations must reach past the CRC check, or the fuzz would only test the checksum.
    assert.ok((outcomes.get('decodeRecordBatch crc=true ok') ?? 0) > 50, JSON.stringify([...outcomes]));
    assert.ok((outcomes.get('decodeRecordBatch crc=false DecodeError') ?? 0) > 500, JSON.stringify([...outcomes]));
  });
});
