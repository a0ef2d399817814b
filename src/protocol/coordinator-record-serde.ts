/**
 * The framing of the records coordinators write to their internal topics (Kafka's
 * CoordinatorRecordSerde): the key is `type int16 | key fields written at version = type`, the
 * value `version int16 | value fields`, and a null value is a tombstone. A record type means
 * something only within its topic (see coordinator/index.ts).
 */
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';
import { coordinatorRecordType } from './coordinator/index.js';
import type { AnyCoordinatorRecordDescriptor } from './record-descriptor.js';
import { DecodeError, EncodeError } from './samsa-error.js';

export interface CoordinatorRecord {
  readonly descriptor: AnyCoordinatorRecordDescriptor;
  /** The record type: the key's version. */
  readonly type: number;
  readonly key: unknown;
  /** Null for a tombstone. */
  readonly value: { readonly version: number; readonly data: unknown } | null;
}

type Encode = (w: Writer, version: number, v: unknown) => void;

export function encodeCoordinatorKey(topic: string, type: number, key: unknown): Buffer {
  const d = coordinatorRecordType(topic, type);
  if (!d) throw new EncodeError(`no coordinator record type ${type} in ${topic}`);
  const w = new Writer(64);
  w.writeInt16(type);
  (d.key.encode as Encode)(w, type, key);
  return w.toBuffer();
}

export function encodeCoordinatorValue(descriptor: AnyCoordinatorRecordDescriptor, version: number, value: unknown): Buffer {
  const w = new Writer(64);
  w.writeInt16(version);
  (descriptor.value.encode as Encode)(w, version, value);
  return w.toBuffer();
}

/** Decodes a key and value read from `topic`; DecodeError for an unknown type or malformed bytes. */
export function decodeCoordinatorRecord(topic: string, key: Buffer, value: Buffer | null): CoordinatorRecord {
  const kr = new Reader(key);
  const type = kr.readInt16();
  const descriptor = coordinatorRecordType(topic, type);
  if (!descriptor) throw new DecodeError(`unknown coordinator record type ${type} in ${topic}`);
  const k = descriptor.key.decode(kr, type);
  if (kr.remaining > 0) throw new DecodeError(`${kr.remaining} byte(s) after the ${descriptor.key.name}`);
  if (value === null) return { descriptor, type, key: k, value: null };
  const vr = new Reader(value);
  const version = vr.readInt16();
  const data = descriptor.value.decode(vr, version);
  if (vr.remaining > 0) throw new DecodeError(`${vr.remaining} byte(s) after the ${descriptor.value.name}`);
  return { descriptor, type, key: k, value: { version, data } };
}
