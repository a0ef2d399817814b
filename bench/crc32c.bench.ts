/**
 * CRC-32C throughput: the pure-JS fallback against the native @node-rs/crc32 binding (the
 * baseline), on a 1 MiB buffer (a large batch) and on small buffers, where the fixed cost of an
 * N-API call dominates. Small buffers are hashed 1,000 times per sample so timer overhead does
 * not swamp them; rates are then per 1,000 calls and throughput is bytes actually hashed.
 */
import { randomBytes } from 'node:crypto';
import { crc32c, crc32cJs, crc32cNative } from '../src/protocol/primitives/crc32c.js';
import { type Measurement, measure, report } from './harness.js';

let sink = 0;

async function compare(title: string, data: Buffer, repeat: number): Promise<void> {
  const bytes = data.length * repeat;
  const loop = (fn: (d: Uint8Array) => number) => () => {
    for (let i = 0; i < repeat; i++) sink ^= fn(data);
  };
  const rows: Measurement[] = [];
  if (crc32cNative) rows.push(await measure('native @node-rs/crc32', loop(crc32cNative), { bytes }));
  rows.push(await measure('crc32cJs (slicing-by-8)', loop(crc32cJs), { bytes }));
  rows.push(await measure('crc32c (what batches use)', loop(crc32c), { bytes }));
  report(crc32cNative ? title : `${title} (native binding unavailable: no baseline)`, rows);
}

export default async function crc32cBench(): Promise<void> {
  const big = randomBytes(1 << 20);
  await compare('CRC-32C, 1 MiB buffer (one call per op)', big, 1);
  // Offset by one byte: buffers cut from a socket or segment read are rarely word-aligned.
  await compare('CRC-32C, 1 KiB buffer (1,000 calls per op)', big.subarray(1, 1 + 1024), 1000);
  await compare('CRC-32C, 100 B buffer (1,000 calls per op; a one-record batch)', big.subarray(1, 101), 1000);
  if (sink === 0.5) console.log(sink);
}
