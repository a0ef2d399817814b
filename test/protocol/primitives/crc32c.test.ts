import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { crc32c, crc32cImplementation, crc32cJs, crc32cNative } from '../../../src/protocol/primitives/crc32c.js';
import { SeededRandom } from '../records/seeded-random.js';

const implementations = [
  ['crc32cJs', crc32cJs],
  ['crc32c', crc32c],
  ...(crc32cNative ? [['crc32cNative', crc32cNative] as const] : []),
] as const;

/** The 32-byte vectors of RFC 3720 appendix B.4 (iSCSI), plus the customary "123456789" check value. */
const VECTORS: ReadonlyArray<readonly [string, Buffer, number]> = [
  ['empty', Buffer.alloc(0), 0],
  ['"123456789"', Buffer.from('123456789', 'ascii'), 0xe3069283],
  ['32 bytes of zeros', Buffer.alloc(32, 0x00), 0x8a9136aa],
  ['32 bytes of 0xff', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['32 incrementing bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  ['32 decrementing bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
];

describe('crc32c', () => {
  for (const [name, fn] of implementations) {
    it(`${name} matches the RFC 3720 vectors`, () => {
      for (const [label, data, expected] of VECTORS) assert.equal(fn(data), expected, label);
    });
  }

  it('uses the native binding wherever @node-rs/crc32 loads', (t) => {
    let loadable = false;
    try {
      loadable = typeof (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: unknown }).crc32c === 'function';
    } catch {
      t.diagnostic('@node-rs/crc32 has no prebuilt binary here: the JS fallback is in use');
    }
    assert.equal(crc32cImplementation, loadable ? 'native' : 'js');
    assert.equal(crc32cNative !== null, loadable);
  });

  it('JS and native agree on random data of random lengths and alignments', () => {
    const rnd = new SeededRandom(0xc0ffee);
    const native = crc32cNative ?? crc32c;
    for (let i = 0; i < 500; i++) {
      const len = i < 300 ? i : rnd.int(70_000);
      // A view at a random offset exercises the unaligned head of the word loop.
      const backing = rnd.bytes(len + 8);
      const data = backing.subarray(rnd.int(8), rnd.int(8) + len);
      const expected = native(data);
      assert.equal(crc32cJs(data), expected, `length ${data.length}, offset ${data.byteOffset}`);
      assert.equal(crc32c(data), expected);
    }
  });

  it('is incremental: crc32c(b, crc32c(a)) === crc32c(a + b)', () => {
    const rnd = new SeededRandom(7);
    for (let i = 0; i < 200; i++) {
      const whole = rnd.bytes(rnd.int(3000));
      const cut = rnd.int(whole.length + 1);
      const [a, b] = [whole.subarray(0, cut), whole.subarray(cut)];
      for (const [name, fn] of implementations) {
        assert.equal(fn(b, fn(a)), fn(whole), `${name}, cut ${cut} of ${whole.length}`);
      }
      assert.equal(crc32cJs(b, crc32c(a)), crc32c(whole), 'mixing implementations mid-stream');
    }
  });

  it('returns unsigned 32-bit values', () => {
    const rnd = new SeededRandom(99);
    for (let i = 0; i < 100; i++) {
      const v = crc32c(rnd.bytes(1 + rnd.int(500)));
      assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, String(v));
    }
    assert.ok(crc32c(Buffer.alloc(32, 0xff)) > 0x7fffffff || crc32c(Buffer.from('123456789')) > 0x7fffffff);
  });

  it('detects every single-bit flip', () => {
    const data = new SeededRandom(3).bytes(300);
    const crc = crc32c(data);
    for (let bit = 0; bit < data.length * 8; bit += 7) {
      const copy = Buffer.from(data);
      copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7));
      assert.notEqual(crc32cJs(copy), crc, `bit ${bit}`);
      assert.notEqual(crc32c(copy), crc, `bit ${bit}`);
    }
  });
});
