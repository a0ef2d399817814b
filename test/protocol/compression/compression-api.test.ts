/**
 * The public API: every codec round-trips at the sizes that matter (empty, one byte, one past a
 * 64 KiB block, 1 MiB), the output limit is exact (n allowed, n - 1 refused), and only DecodeError
 * and EncodeError ever come out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionType, compress, decompress } from '../../../src/protocol/compression/index.js';
import { EncodeError } from '../../../src/protocol/samsa-error.js';
import { recordPayload, rejectsDecode, seededBytes } from './helpers.js';

const CODECS = [
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
  ['zstd', CompressionType.Zstd],
] as const;
const SIZES = [0, 1, 64 * 1024 + 1, 1024 * 1024];

for (const [name, type] of CODECS) {
  describe(`${name} round trip`, () => {
    for (const size of SIZES) {
      it(`${size} bytes of records and of random bytes`, async () => {
        for (const input of [recordPayload(size), seededBytes(size, size + 7)]) {
          const packed = await compress(type, input);
          const out = await decompress(type, packed, size);
          assert.ok(out.equals(input), `${name} ${size} bytes differ after a round trip`);
        }
      });
    }

    it('compresses record payloads to less than half', async () => {
      const input = recordPayload(256 * 1024);
      const packed = await compress(type, input);
      assert.ok(packed.length < input.length / 2, `${name}: ${packed.length} of ${input.length}`);
    });

    it('allows exactly maxOutputBytes and refuses one byte less', async () => {
      for (const size of [1, 1000, 64 * 1024 + 1]) {
        const packed = await compress(type, recordPayload(size));
        assert.equal((await decompress(type, packed, size)).length, size);
        await rejectsDecode(decompress(type, packed, size - 1), /exceeds maxOutputBytes/);
      }
    });
  });
}

describe('compression API', () => {
  it('passes uncompressed payloads through, within the limit', async () => {
    const data = Buffer.from('plain');
    assert.equal(await compress(CompressionType.None, data), data);
    assert.equal(await decompress(CompressionType.None, data, 5), data);
    await rejectsDecode(decompress(CompressionType.None, data, 4), /exceeds maxOutputBytes 4/);
  });

  it('refuses unknown compression types with the matching error class', async () => {
    await rejectsDecode(decompress(5 as CompressionType, Buffer.alloc(1), 10), /unknown compression type 5/);
    await assert.rejects(compress(7 as CompressionType, Buffer.alloc(1)), EncodeError);
  });

  it('refuses a negative or non-numeric maxOutputBytes as a DecodeError', async () => {
    for (const bad of [-1, Number.NaN, '10' as unknown as number]) {
      await rejectsDecode(decompress(CompressionType.Gzip, Buffer.alloc(1), bad), /maxOutputBytes must be/);
    }
  });

  it('treats Infinity as no limit beyond what a Buffer holds', async () => {
    const input = recordPayload(5000);
    for (const [, type] of CODECS) {
      assert.ok((await decompress(type, await compress(type, input), Infinity)).equals(input));
    }
  });

  it('allows an empty output under a zero limit', async () => {
    for (const [, type] of CODECS) {
      assert.equal((await decompress(type, await compress(type, Buffer.alloc(0)), 0)).length, 0);
    }
  });

  it('refuses data that is not a Buffer with the matching error class', async () => {
    for (const [name, type] of CODECS) {
      for (const bad of [null, 42, new Uint8Array(3)]) {
        await rejectsDecode(decompress(type, bad as unknown as Buffer, 100), /must be a Buffer/, `${name} ${String(bad)}`);
        await assert.rejects(compress(type, bad as unknown as Buffer), EncodeError);
      }
    }
  });

  it('rejects empty input for every codec', async () => {
    for (const [, type] of CODECS) await rejectsDecode(decompress(type, Buffer.alloc(0), 100));
  });
});
