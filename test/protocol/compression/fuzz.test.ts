/**
 * Seeded fuzzing of every codec's decoder: random bytes (bare and behind a valid header), valid
 * streams with bytes flipped, and valid streams cut short. The contract under test: decompress
 * either returns at most maxOutputBytes or rejects with a DecodeError, never another error type and
 * never a crash; a stream cut short is always refused (xerial snappy excepted: cut at a block
 * boundary it is a shorter valid stream, and must then decode to a prefix).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CompressionType, compress, decompress } from '../../../src/protocol/compression/index.js';
import { DecodeError } from '../../../src/protocol/samsa-error.js';
import { outcome, recordPayload, seededBytes } from './helpers.js';

const SEED = 0x5a45a;
const RUNS = 300;
const LIMIT = 64 * 1024;

const CODECS = [
  ['gzip', CompressionType.Gzip, Buffer.from([0x1f, 0x8b, 0x08, 0x00])],
  ['snappy', CompressionType.Snappy, Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1])],
  ['lz4', CompressionType.Lz4, Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])],
  ['zstd', CompressionType.Zstd, Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
] as const;

const params = { seed: SEED, numRuns: RUNS };

/** The contract for any input: a Buffer within the limit, or a DecodeError. */
async function withinContract(type: CompressionType, input: Buffer): Promise<Buffer | DecodeError> {
  const result = await outcome(decompress(type, input, LIMIT));
  if (!(result instanceof DecodeError)) assert.ok(result.length <= LIMIT, `output of ${result.length} bytes passed the limit`);
  return result;
}

for (const [name, type, header] of CODECS) {
  describe(`${name} fuzz (seed ${SEED}, ${RUNS} runs each)`, () => {
    const original = Buffer.concat([recordPayload(20_000), seededBytes(2_000, 17)]);
    let valid: Buffer = Buffer.alloc(0);
    before(async () => {
      valid = await compress(type, original);
    });

    it('random bytes', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
          await withinContract(type, Buffer.from(bytes));
        }),
        params,
      );
    });

    it('random bytes behind a valid header', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
          await withinContract(type, Buffer.concat([header, bytes]));
        }),
        params,
      );
    });

    it('a valid stream with 1-4 bytes changed', async () => {
      const edit = fc.record({ at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) });
      await fc.assert(
        fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
          const input = Buffer.from(valid);
          for (const e of edits) input[e.at % input.length]! ^= e.value;
          await withinContract(type, input);
        }),
        params,
      );
    });

    it('a valid stream cut short', async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(), async (n) => {
          const result = await withinContract(type, valid.subarray(0, n % valid.length));
          if (result instanceof DecodeError) return;
          assert.equal(name, 'snappy', 'only xerial snappy can decode after a cut');
          assert.ok(result.equals(original.subarray(0, result.length)), 'a cut xerial stream decodes to a prefix');
        }),
        params,
      );
    });
  });
}
