/**
 * Random sample values for any generated message at any version, built from the JSON specs with
 * rules of their own (not the generator's), so the round-trip tests can catch generator mistakes:
 * fields a version lacks hold Kafka's defaults, nullable fields are sometimes null, tagged fields
 * sometimes set, and flexible structs sometimes carry unknown tagged fields.
 *
 * Given `EdgeValues`, it builds hostile samples instead (test/broker/handler-fuzz.test.ts): values
 * that decode fine but no client sends — integers at their extremes, -1 and 0, empty and 249+
 * character strings, names the test supplies (an existing topic, group, transactional id), nulls
 * wherever allowed, empty arrays, duplicated entries, and now and then an array of thousands.
 */
import { seededRandom } from '../../src/common/random.js';
import { type FieldSpec, type MessageSpec, type StructSpec, camelCase } from '../../codegen/spec.js';

/** A small seeded PRNG (mulberry32), so failures replay. */
export const prng = seededRandom;

const ZERO_UUID = Buffer.alloc(16).toString('base64url');
const CHARS = ['a', 'Z', '0', '-', '.', '_', ' ', 'é', '中', '🙂'];

/** What an edge-values sample draws from beside the extremes: names and ids of things that exist, valid record batches. */
export interface EdgeValues {
  readonly strings: readonly string[];
  readonly uuids: readonly string[];
  /** Producer ids and the like. */
  readonly int64s: readonly bigint[];
  readonly records: readonly Buffer[];
}

const EDGE_STRINGS = ['', ' ', '.', '..', 'a/b', 'x'.repeat(249), 'x'.repeat(250), '🙂'.repeat(300)];
const EDGE_INTS: Record<string, readonly number[]> = {
  int8: [-128, -1, 0, 1, 2, 3, 4, 127],
  int16: [-32768, -1, 0, 1, 2, 32767],
  uint16: [0, 1, 65535],
  int32: [-2147483648, -1, 0, 1, 2, 1000, 2147483647],
  uint32: [0, 1, 4294967295],
  float64: [0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_VALUE],
};
const EDGE_INT64 = [-(1n << 63n), -2n, -1n, 0n, 1n, 1n << 31n, (1n << 63n) - 1n];
/** Entries of the rare huge array: enough for quadratic work or per-entry allocation to show. */
const HUGE_ARRAY = 3000;

export class SampleBuilder {
  readonly rand: () => number;

  /** Whether a huge array was built in this message already (one per message keeps runs bounded). */
  private huge = false;

  constructor(
    readonly msg: MessageSpec,
    seed: number,
    readonly edges?: EdgeValues,
  ) {
    this.rand = prng(seed);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  private chance(p: number): boolean {
    return this.rand() < p;
  }

  private bytes(max: number): Buffer {
    const b = Buffer.alloc(this.int(0, max));
    for (let i = 0; i < b.length; i++) b[i] = this.int(0, 255);
    return b;
  }

  private struct(name: string): StructSpec {
    const s = this.msg.structs.get(name);
    if (!s) throw new Error(`no struct ${name}`);
    return s;
  }

  /** Kafka's default for a field: its spec default, else the type's zero value. */
  defaultOf(f: FieldSpec): unknown {
    if (f.default === 'null') return null;
    const t = f.type;
    if (t.kind === 'array') return [];
    if (t.kind === 'struct') return this.structDefault(this.struct(t.name));
    switch (t.name) {
      case 'bool':
        return f.default === 'true';
      case 'int64':
        return BigInt(f.default ?? 0);
      case 'string':
        return f.default ?? '';
      case 'uuid':
        return ZERO_UUID;
      case 'bytes':
        return Buffer.alloc(0);
      case 'records':
        return null;
      default:
        return Number(f.default ?? 0);
    }
  }

  private structDefault(s: StructSpec): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of s.fields) out[camelCase(f.name)] = this.defaultOf(f);
    return out;
  }

  private scalar(name: string): unknown {
    if (this.edges && this.chance(0.7)) return this.edgeScalar(name, this.edges);
    switch (name) {
      case 'bool':
        return this.chance(0.5);
      case 'int8':
        return this.int(-128, 127);
      case 'int16':
        return this.int(-32768, 32767);
      case 'uint16':
        return this.int(0, 65535);
      case 'int32':
        return this.int(-2147483648, 2147483647);
      case 'uint32':
        return this.int(0, 4294967295);
      case 'int64':
        return BigInt.asIntN(64, (BigInt(this.int(0, 0xffffffff)) << 32n) | BigInt(this.int(0, 0xffffffff)));
      case 'float64':
        return (this.rand() - 0.5) * 10 ** this.int(-5, 12);
      case 'string': {
        let s = '';
        for (let n = this.int(0, 12); n > 0; n--) s += CHARS[this.int(0, CHARS.length - 1)];
        return s;
      }
      case 'uuid':
        return this.chance(0.8) ? Buffer.from(Array.from({ length: 16 }, () => this.int(0, 255))).toString('base64url') : ZERO_UUID;
      case 'bytes':
        return this.bytes(16);
      case 'records':
        return this.bytes(40);
      default:
        throw new Error(`no sample for ${name}`);
    }
  }

  private edgeScalar(name: string, edges: EdgeValues): unknown {
    switch (name) {
      case 'bool':
        return this.chance(0.5);
      case 'int64':
        return this.chance(0.3) && edges.int64s.length > 0 ? this.pick(edges.int64s) : this.pick(EDGE_INT64);
      case 'string':
        return this.chance(0.6) && edges.strings.length > 0 ? this.pick(edges.strings) : this.pick(EDGE_STRINGS);
      case 'uuid':
        return this.chance(0.6) && edges.uuids.length > 0 ? this.pick(edges.uuids) : ZERO_UUID;
      case 'bytes':
        return this.chance(0.5) ? Buffer.alloc(0) : this.bytes(16);
      case 'records':
        return this.chance(0.7) && edges.records.length > 0 ? this.pick(edges.records) : this.bytes(80);
      default:
        return this.pick(EDGE_INTS[name]!);
    }
  }

  private value(f: FieldSpec, version: number, depth: number): unknown {
    if (f.nullableVersions.contains(version) && this.chance(this.edges ? 0.3 : 0.2)) return null;
    const t = f.type;
    if (t.kind === 'primitive') return this.scalar(t.name);
    if (t.kind === 'struct') return this.structValue(this.struct(t.name), version, depth + 1);
    const e = t.element;
    const element = () => (e.kind === 'primitive' ? this.scalar(e.name) : this.structValue(this.struct(e.name), version, depth + 1));
    if (this.edges) return this.edgeArray(element, depth);
    return Array.from({ length: depth > 3 ? 0 : this.int(0, 3) }, element);
  }

  /** Empty, a few, one entry repeated (duplicate topics, partitions, ids), or once per message thousands. */
  private edgeArray(element: () => unknown, depth: number): unknown[] {
    if (depth > 3 || this.chance(0.3)) return [];
    if (this.chance(0.2)) {
      const one = element();
      return Array.from({ length: this.int(2, 3) }, () => one);
    }
    if (!this.huge && depth < 2 && this.chance(0.03)) {
      this.huge = true;
      return Array.from({ length: HUGE_ARRAY }, element);
    }
    return Array.from({ length: this.int(1, 3) }, element);
  }

  private fields(fields: FieldSpec[], version: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const present = f.versions.contains(version);
      const tagged = !f.taggedVersions.empty;
      out[camelCase(f.name)] = present && !(tagged && this.chance(0.4)) ? this.value(f, version, depth) : this.defaultOf(f);
    }
    if (this.msg.flexibleVersions.contains(version) && this.chance(0.25)) {
      out['unknownTaggedFields'] = [
        { tag: 200 + this.int(0, 9), data: this.bytes(6) },
        { tag: 300 + this.int(0, 9), data: this.bytes(3) },
      ];
    }
    return out;
  }

  private structValue(s: StructSpec, version: number, depth: number): Record<string, unknown> {
    return this.fields(s.fields, version, depth);
  }

  /** A random value of the whole message at `version`. */
  message(version: number): Record<string, unknown> {
    this.huge = false;
    return this.fields(this.msg.fields, version, 0);
  }
}
