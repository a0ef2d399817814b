/**
 * Hostile bytes into every generated decoder: random bytes, every truncation of a valid encoding
 * and random mutations of it. A decoder may succeed or throw DecodeError; nothing else, and it
 * must not hang. Bounded and seeded, so it runs in `npm test` and failures replay.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_DESCRIPTORS, decodeRequestHeader } from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { DecodeError } from '../../src/protocol/samsa-error.js';
import { schemaOf } from './generated-schemas.js';
import { SampleBuilder, prng } from './message-samples.js';

function decodeOnly(decode: (r: Reader, v: number) => unknown, bytes: Buffer, version: number, what: string): void {
  try {
    decode(new Reader(bytes), version);
  } catch (err) {
    if (!(err instanceof DecodeError)) assert.fail(`${what}: threw ${(err as Error).name}: ${(err as Error).message}`);
  }
}

describe('decoders under hostile input', () => {
  for (const api of API_DESCRIPTORS) {
    it(`${api.name} requests and responses`, () => {
      const rand = prng(api.apiKey + 1);
      for (let version = api.minVersion; version <= api.maxVersion; version++) {
        for (const side of ['Request', 'Response'] as const) {
          const decode = side === 'Request' ? api.decodeRequest : api.decodeResponse;
          const encode = (side === 'Request' ? api.encodeRequest : api.encodeResponse) as (w: Writer, v: number, x: unknown) => void;
          const what = `${api.name}${side} v${version}`;
          for (let i = 0; i < 20; i++) {
            const junk = Buffer.alloc(Math.floor(rand() * 64));
            for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(rand() * 256);
            decodeOnly(decode, junk, version, `${what} random`);
          }
          const w = new Writer();
          encode(w, version, new SampleBuilder(schemaOf(`${api.name}${side}`), version).message(version));
          const valid = w.toBuffer();
          for (let cut = 0; cut < valid.length; cut++) decodeOnly(decode, valid.subarray(0, cut), version, `${what} cut at ${cut}`);
          for (let i = 0; i < 20; i++) {
            const m = Buffer.from(valid);
            for (let k = 0; k < 3 && m.length > 0; k++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
            decodeOnly(decode, m, version, `${what} mutated`);
          }
        }
      }
    });
  }

  it('rejects a huge array count at once instead of allocating for it', () => {
    const metadata = API_DESCRIPTORS.find((a) => a.name === 'Metadata')!;
    const before = process.memoryUsage().heapUsed;
    // Metadata v1: topics array of 0x7fffffff entries, then nothing.
    assert.throws(() => metadata.decodeRequest(new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])), 1), /exceeds/);
    assert.ok(process.memoryUsage().heapUsed - before < 64 << 20);
  });

  it('decodes request headers only as far as the frame goes', () => {
    decodeOnly(decodeRequestHeader, Buffer.from([0, 3, 0, 1, 0, 0, 0, 7, 0x7f, 0xff]), 1, 'header');
    assert.throws(() => decodeRequestHeader(new Reader(Buffer.from([0, 3, 0, 1, 0, 0, 0, 7, 0x00, 0x05, 0x61])), 1), DecodeError);
  });
});
