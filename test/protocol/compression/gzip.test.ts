/**
 * gzip: concatenated members (which Java's GZIPInputStream reads), and truncated or corrupted
 * members refused. The round trips, limits and bombs are in the shared suites.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CompressionType, compress, decompress } from '../../../src/protocol/compression/index.js';
import { recordPayload, rejectsDecode } from './helpers.js';

const gunzip = (data: Buffer, max: number): Promise<Buffer> => decompress(CompressionType.Gzip, data, max);

describe('gzip', () => {
  it('writes a gzip member (magic 1f 8b, deflate)', async () => {
    const out = await compress(CompressionType.Gzip, Buffer.from('hello'));
    assert.deepEqual([...out.subarray(0, 3)], [0x1f, 0x8b, 0x08]);
  });

  it('reads concatenated members as one payload, within the limit across members', async () => {
    const a = recordPayload(10_000);
    const b = recordPayload(5_000);
    const joined = Buffer.concat([gzipSync(a), gzipSync(b)]);
    assert.ok((await gunzip(joined, 15_000)).equals(Buffer.concat([a, b])));
    await rejectsDecode(gunzip(joined, 14_999), /exceeds maxOutputBytes 14999/);
  });

  it('refuses a truncated member and a wrong CRC-32', async () => {
    const member = gzipSync(recordPayload(10_000));
    await rejectsDecode(gunzip(member.subarray(0, member.length - 5), 1 << 20), /unexpected end of file/);
    const bad = Buffer.from(member);
    bad[bad.length - 8]! ^= 0xff; // the CRC-32 of the trailer
    await rejectsDecode(gunzip(bad, 1 << 20), /incorrect data check/);
  });
});
