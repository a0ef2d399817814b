/**
 * Every generated message at every version: encoding a random sample and decoding it gives the
 * sample back, and re-encoding the decoded value gives the same bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MessageSpec, Versions } from '../../codegen/spec.js';
import * as messages from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { GENERATED_SCHEMAS, schemaOf } from './generated-schemas.js';
import { SampleBuilder } from './message-samples.js';

type Decode = (r: Reader, version: number) => unknown;
type Encode = (w: Writer, version: number, v: unknown) => void;

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

/** Every message of the registry's APIs, at the registry's versions, plus the headers and data messages. */
const generated: MessageSpec[] = [
  ...messages.API_DESCRIPTORS.flatMap((d) => [`${d.name}Request`, `${d.name}Response`].map((n) => ({ ...schemaOf(n), versions: new Versions(d.minVersion, d.maxVersion) }))),
  ...GENERATED_SCHEMAS.filter((m) => m.kind === 'header' || m.kind === 'data'),
];

describe('generated codecs round-trip every message at every version', () => {
  it('has a codec and a schema for every API of the registry, at the versions it registers', () => {
    for (const d of messages.API_DESCRIPTORS) {
      for (const side of ['Request', 'Response']) {
        const m = schemaOf(`${d.name}${side}`);
        assert.equal(m.apiKey, d.apiKey);
        assert.ok(codec(m), `${m.name} has a codec`);
      }
      const req = schemaOf(`${d.name}Request`);
      const res = schemaOf(`${d.name}Response`);
      assert.equal(d.minVersion, Math.max(req.versions.lo, res.versions.lo), `${d.name} min version`);
      assert.equal(d.maxVersion, Math.min(req.versions.hi, res.versions.hi), `${d.name} max version`);
    }
    const apiMessages = GENERATED_SCHEMAS.filter((m) => m.kind === 'request' || m.kind === 'response');
    assert.equal(apiMessages.length, messages.API_DESCRIPTORS.length * 2, 'no schema without a registered API');
    for (const m of GENERATED_SCHEMAS) assert.ok(codec(m), `${m.name} has a codec`);
    assert.ok(codec(schemaOf('RequestHeader')));
    assert.ok(codec(schemaOf('ConsumerProtocolSubscription')));
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
