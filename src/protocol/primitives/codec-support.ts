/** Pieces the generated message codecs share: tagged fields, defaults, version checks. */
import { DecodeError, EncodeError } from '../samsa-error.js';
import type { Reader } from './reader.js';
import { Writer } from './writer.js';

/** A tagged field as it travels: its tag and its encoded bytes. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

/** The zero UUID (all 16 bytes 0) in Kafka's printed form. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);
export const NO_TAGGED_FIELDS: readonly TaggedField[] = [];
export const NO_KNOWN_TAGS = (): boolean => false;

/**
 * Reads a tagged-field section. `known` decodes a tag it knows from a reader bounded to that
 * field's bytes and returns true; other tags are kept on `target.unknownTaggedFields`.
 */
export function readTaggedFields(
  r: Reader,
  target: { unknownTaggedFields?: TaggedField[] },
  known: (tag: number, t: Reader) => boolean,
): void {
  const n = r.readUVarint();
  if (n > r.remaining) throw new DecodeError(`${n} tagged fields cannot fit in ${r.remaining} bytes`);
  for (let i = 0; i < n; i++) {
    const tag = r.readUVarint();
    const t = r.sub(r.readUVarint());
    if (known(tag, t)) continue;
    (target.unknownTaggedFields ??= []).push({ tag, data: t.buf.subarray(t.pos, t.end) });
  }
}

/** Encodes one tagged field's value on its own, so its size can precede it. */
export function taggedField(tag: number, write: (w: Writer) => void): TaggedField {
  const w = new Writer(64);
  write(w);
  return { tag, data: w.toBuffer() };
}

/** Writes a tagged-field section, known and unknown fields together in ascending tag order. */
export function writeTaggedFields(w: Writer, known: readonly TaggedField[], unknown: readonly TaggedField[] | undefined): void {
  if (unknown === undefined || unknown.length === 0) {
    if (known.length === 0) {
      w.writeUVarint(0);
      return;
    }
    writeSorted(w, known);
    return;
  }
  const knownTags = new Set(known.map((f) => f.tag));
  writeSorted(w, [...known, ...unknown.filter((f) => !knownTags.has(f.tag))]);
}

function writeSorted(w: Writer, fields: readonly TaggedField[]): void {
  const sorted = fields.length > 1 ? [...fields].sort((a, b) => a.tag - b.tag) : fields;
  w.writeUVarint(sorted.length);
  for (const f of sorted) {
    w.writeUVarint(f.tag);
    w.writeUVarint(f.data.length);
    w.writeRaw(f.data);
  }
}

export function checkVersion(
  message: string,
  version: number,
  lo: number,
  hi: number,
  ErrorClass: typeof DecodeError | typeof EncodeError,
): void {
  if (!(version >= lo && version <= hi)) {
    throw new ErrorClass(`${message} version ${version} is not supported (supported: ${lo}-${hi})`);
  }
}

/** Kafka's rule: a non-ignorable field with a non-default value cannot be dropped by an old version. */
export function absentField(message: string, field: string, version: number): EncodeError {
  return new EncodeError(`${message} version ${version} cannot carry a non-default ${field}`);
}
