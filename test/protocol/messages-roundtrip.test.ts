/**
 * Every generated message at every version: encoding a random sample and decoding it gives the
 * sample back, and re-encoding the decoded value gives the same bytes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROTOCOL_DIR } from '../../codegen/generate.js';
import { type MessageSpec, brokerApis, loadMessages } from '../../codegen/spec.js';
import * as messages from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { SampleBuilder } from './message-samples.js';

type Decode = (r: Reader, version: number) => unknown;
type Encode = (w: Writer, version: number, v: unknown) => void;

const specs = loadMessages(join(PROTOCOL_DIR, 'messages'));
const registry = messages as unknown as Record<string, Decode | Encode | undefined>;

function codec(msg: MessageSpec): { decode: Decode; encode: Encode } | undefined {
  const decode = registry[`decode${msg.name}`] as Decode | undefined;
  const encode = registry[`encode${msg.name}`] as Encode | undefined;
  return decode && encode ? { decode, encode } : undefined;
}

function encode(enc: Encode, version: number, value: unknown): Buffer {
  const w = new Writer(16);
  enc(w, version, value);
  return w.toBuffer();
}

const SAMPLES_PER_VERSION = 6;

describe('generated codecs round-trip every message at every version', () => {
  const generated = specs.filter((m) => codec(m) !== undefined);

  it('covers every broker and controller API with stable versions, plus headers and data', () => {
    const apis = brokerApis(specs).filter((a) => !a.request.versions.empty);
    for (const a of apis) {
      assert.ok(codec(a.request), `${a.request.name} has a codec`);
      assert.ok(codec(a.response), `${a.response.name} has a codec`);
      const d = messages.apiByKey(a.apiKey);
      assert.ok(d, `api ${a.apiKey} registered`);
      assert.equal(d.minVersion, a.request.versions.lo);
      assert.equal(d.maxVersion, a.request.versions.hi);
    }
    assert.ok(codec(specs.find((m) => m.name === 'RequestHeader')!));
    assert.ok(codec(specs.find((m) => m.name === 'ConsumerProtocolSubscription')!));
    assert.equal(messages.API_DESCRIPTORS.length, apis.length);
  });

  for (const msg of generated) {
    it(`${msg.name} ${msg.versions}`, () => {
      const { decode, encode: enc } = codec(msg)!;
      for (let version = msg.versions.lo; version <= msg.versions.hi; version++) {
        for (let i = 0; i < SAMPLES_PER_VERSION; i++) {
          const seed = (msg.name.length * 1000 + version) * 100 + i;
          const sample = new SampleBuilder(msg, seed).message(version);
          const bytes = encode(enc, version, sample);
          const r = new Reader(bytes);
          const decoded = decode(r, version);
          assert.equal(r.remaining, 0, `${msg.name} v${version} seed ${seed}: decoder left bytes`);
          assert.deepStrictEqual(decoded, sample, `${msg.name} v${version} seed ${seed}`);
          assert.deepStrictEqual(encode(enc, version, decoded), bytes, `${msg.name} v${version} seed ${seed}: re-encode`);
        }
      }
    });
  }
});
