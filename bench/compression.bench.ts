/**
 * Record-batch compression: compress and decompress ~1 MiB of record-like JSON with each codec,
 * through Samsa's API (the framing Kafka clients expect, the output bound) and, next to it, the
 * raw library calls and the pure-JS alternatives (snappyjs, lz4js), so the choice of native addons
 * rests on numbers. Baseline: a Buffer copy of the same bytes, measured in the same run.
 */
import lz4js from 'lz4js';
import { compressFrame as lz4napiCompressFrame, decompressFrame as lz4napiDecompressFrame } from 'lz4-napi';
import { compress as snappyRawCompress, uncompress as snappyRawUncompress } from 'snappy';
import snappyjs from 'snappyjs';
import { CompressionType, compress, decompress } from '../src/protocol/compression/index.js';
import type { Measurement } from './harness.js';
import { measure, report } from './harness.js';

const PAYLOAD_BYTES = 1024 * 1024;

/** JSON events with repeated keys and varying ids, users, amounts: what producers batch. */
function recordPayload(length: number): Buffer {
  const types = ['page_view', 'click', 'add_to_cart', 'purchase'];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const line = JSON.stringify({
      id: `evt-${(i * 2654435761) % 1e9}`,
      user: `user-${(i * 7919) % 5000}`,
      type: types[i % types.length],
      ts: 1_700_000_000_000 + i * 137,
      amount: ((i * 31) % 10000) / 100,
      tags: ['web', `region-${i % 7}`],
    });
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join('\n')).subarray(0, length);
}

interface Codec {
  name: string;
  compress: (d: Buffer) => Promise<Buffer> | Buffer;
  decompress: (c: Buffer) => Promise<Buffer> | Buffer | Uint8Array;
}

const samsa = (type: CompressionType) => ({
  compress: (d: Buffer) => compress(type, d),
  decompress: (c: Buffer) => decompress(type, c, PAYLOAD_BYTES),
});

const CODECS: Codec[] = [
  { name: 'gzip (samsa, node:zlib)', ...samsa(CompressionType.Gzip) },
  { name: 'snappy (samsa, xerial 32 KiB, native)', ...samsa(CompressionType.Snappy) },
  { name: 'snappy raw one-shot (native)', compress: (d) => snappyRawCompress(d), decompress: (c) => snappyRawUncompress(c) as Promise<Buffer> },
  { name: 'snappyjs raw (pure JS)', compress: (d) => snappyjs.compress(d), decompress: (c) => snappyjs.uncompress(c) },
  { name: 'lz4 (samsa, 64 KiB frame, native)', ...samsa(CompressionType.Lz4) },
  { name: 'lz4-napi compressFrame (native)', compress: (d) => lz4napiCompressFrame(d), decompress: (c) => lz4napiDecompressFrame(c) },
  { name: 'lz4js (pure JS)', compress: (d) => Buffer.from(lz4js.compress(d)), decompress: (c) => lz4js.decompress(c) },
  { name: 'zstd level 3 (samsa, wasm)', ...samsa(CompressionType.Zstd) },
];

export default async function compressionBench(): Promise<void> {
  const data = recordPayload(PAYLOAD_BYTES);
  const opts = { bytes: data.length };
  const packed = new Map<string, Buffer>();
  for (const c of CODECS) {
    const out = Buffer.from(await c.compress(data));
    const back = Buffer.from(await c.decompress(out));
    if (!back.equals(data)) throw new Error(`${c.name} does not round-trip`);
    packed.set(c.name, out);
  }

  const copy = await measure('baseline: Buffer copy', () => Buffer.from(data), opts);
  const compressRows: Measurement[] = [copy];
  for (const c of CODECS) compressRows.push(await measure(c.name, () => c.compress(data), opts));
  report(`compress ${data.length} bytes of JSON records (MB/s of input)`, compressRows);

  const decompressRows: Measurement[] = [copy];
  for (const c of CODECS) {
    const input = packed.get(c.name)!;
    decompressRows.push(await measure(c.name, () => c.decompress(input), opts));
  }
  report(`decompress to ${data.length} bytes (MB/s of output)`, decompressRows);

  console.log('\n## compression ratio');
  console.log('| codec | compressed bytes | ratio |');
  console.log('|---|---|---|');
  for (const c of CODECS) {
    const n = packed.get(c.name)!.length;
    console.log(`| ${c.name} | ${n.toLocaleString('en-US')} | ${(data.length / n).toFixed(2)}x |`);
  }
}
