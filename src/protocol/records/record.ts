/**
 * Records inside a v2 batch (Kafka's DefaultRecord):
 *
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint | key | valueLength varint | value | headerCount varint |
 *   headers: (keyLength varint | key utf8 | valueLength varint | value)*
 *
 * Lengths of -1 mean null. Deltas are relative to the batch's baseOffset and baseTimestamp; they
 * stay numbers here and become bigint only when a caller asks for `offset` or `timestamp`.
 */
import { Reader } from '../primitives/reader.js';
import type { Writer } from '../primitives/writer.js';
import { DecodeError, EncodeError } from '../samsa-error.js';
import { NO_SEQUENCE } from './batch-header.js';
import { readVarlongSafe, sizeOfVarint, sizeOfVarlongNumber } from './varint-sizes.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordHeaderInput {
  key: string;
  value: Uint8Array | null;
}

/** What every record of one batch shares, referenced (not copied) by each decoded record. */
export interface RecordBatchContext {
  readonly baseOffset: bigint;
  readonly baseTimestamp: bigint;
  /** The batch's maxTimestamp when it is LogAppendTime (then every record reports it), else null. */
  readonly logAppendTime: bigint | null;
  readonly baseSequence: number;
}

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);
/** The smallest encoded record: a 1-byte length and six 1-byte fields (attributes..header count). */
export const MIN_RECORD_BYTES = 7;
const INT32_MAX = 0x7fffffff;

/** A decoded record. key, value and header values are views into the decoded bytes, not copies. */
export class KafkaRecord {
  constructor(
    readonly context: RecordBatchContext,
    /** Unused by Kafka so far (always 0), kept for round trips. */
    readonly attributes: number,
    readonly timestampDelta: number,
    readonly offsetDelta: number,
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    readonly headers: readonly RecordHeader[],
  ) {}

  /** The record's offset: baseOffset + offsetDelta. */
  get offset(): bigint {
    return this.context.baseOffset + BigInt(this.offsetDelta);
  }

  /** The batch's maxTimestamp for LogAppendTime batches, else baseTimestamp + timestampDelta. */
  get timestamp(): bigint {
    return this.context.logAppendTime ?? this.context.baseTimestamp + BigInt(this.timestampDelta);
  }

  /** The producer sequence number (wrapping past 2^31 - 1 as Kafka's does), or -1 without one. */
  get sequence(): number {
    const base = this.context.baseSequence;
    if (base === NO_SEQUENCE) return NO_SEQUENCE;
    return base > INT32_MAX - this.offsetDelta ? this.offsetDelta - (INT32_MAX - base) - 1 : base + this.offsetDelta;
  }
}

/** A record to encode. Absent fields are null / empty / 0; `timestamp` defaults to the batch's baseTimestamp. */
export interface RecordInput {
  key?: Uint8Array | null;
  value?: Uint8Array | null;
  headers?: readonly RecordHeaderInput[];
  timestamp?: bigint;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
  attributes?: number;
}

/** Makes a caller's record from a decoded record's fields (the fields KafkaRecord keeps). */
export type RecordFactory<T> = (context: RecordBatchContext, attributes: number, timestampDelta: number, offsetDelta: number, key: Buffer | null, value: Buffer | null, headers: readonly RecordHeader[]) => T;

/** The factory of KafkaRecords. */
export const kafkaRecord: RecordFactory<KafkaRecord> = (context, attributes, timestampDelta, offsetDelta, key, value, headers) => new KafkaRecord(context, attributes, timestampDelta, offsetDelta, key, value, headers);

/**
 * Decodes `count` records from `buf[start, end)`, which they must fill exactly. Every count and
 * length is checked against the bytes present before anything is allocated for it.
 */
export function decodeRecords(buf: Buffer, start: number, end: number, count: number, context: RecordBatchContext): KafkaRecord[] {
  return decodeRecordsWith(buf, start, end, count, context, kafkaRecord);
}

/**
 * decodeRecords, each record made by `make` (a consumer builds its own records straight from the
 * fields, without a KafkaRecord in between).
 */
export function decodeRecordsWith<T>(buf: Buffer, start: number, end: number, count: number, context: RecordBatchContext, make: RecordFactory<T>): T[] {
  const r = new Reader(buf, start, end);
  // A count the bytes cannot hold is refused before the array is allocated.
  if (count < 0 || count * MIN_RECORD_BYTES > r.remaining) throw new DecodeError(`${count} records cannot fit in ${r.remaining} bytes`);
  const records = new Array<T>(count);
  for (let i = 0; i < count; i++) {
    const record = decodeCommonRecordAt(buf, r.pos, end, context, make);
    if (record === NOT_COMMON) records[i] = decodeRecord(r, context, make);
    else {
      records[i] = record;
      r.pos = commonRecordEnd;
    }
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes remain after the batch's ${count} records`);
  return records;
}

/**
 * The smallest and largest timestamp deltas among `count` records between `start` and `end`,
 * reading only each record's length, attributes and timestamp delta; undefined when the records
 * are not framed as their lengths say (decoding them will refuse them) or a delta is 2^52 ms or
 * more apart (then the batch header is taken as written).
 */
export function timestampDeltaRange(buf: Buffer, start: number, end: number, count: number): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  let p = start;
  for (let i = 0; i < count; i++) {
    // One-byte varints (records under 64 bytes, deltas under 64 ms) without the loop: the common case.
    let u = buf[p]!;
    let q = p + 1;
    if (u >= 0x80 || p >= end) {
      if ((u = uvarintAt(buf, p, end)) < 0) return undefined;
      q = uvarintEnd;
    }
    const length = zigzag(u);
    const bodyEnd = q + length;
    if (length < 2 || bodyEnd > end) return undefined;
    const d = buf[q + 1]!;
    const delta = d < 0x80 ? zigzag(d) : timestampDeltaAt(buf, q + 1, bodyEnd);
    if (delta === undefined) return undefined;
    if (delta > max) max = delta;
    if (delta < min) min = delta;
    p = bodyEnd;
  }
  return p === end && count > 0 ? { min, max } : undefined;
}

/** What decodeCommonRecordAt returns for a record it leaves to decodeRecord. */
const NOT_COMMON: unique symbol = Symbol('not a common record');
/** Where the record decodeCommonRecordAt decoded ends (set only when it returns one). */
let commonRecordEnd = 0;
/** Where the varint uvarintAt read ends. */
let uvarintEnd = 0;

/** An unsigned varint of at most 4 bytes (below 2^28) at `pos`, ending by `limit`; -1 otherwise. */
function uvarintAt(buf: Buffer, pos: number, limit: number): number {
  let value = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= limit) return -1;
    const b = buf[pos++]!;
    value |= (b & 0x7f) << shift;
    if (b < 0x80) {
      uvarintEnd = pos;
      return value;
    }
  }
  return -1;
}

const zigzag = (u: number) => (u >>> 1) ^ -(u & 1);

/**
 * A record's timestamp delta (a zigzag varlong) at `pos`, ending by `limit`: by uvarintAt below
 * 2^27 ms, else in floating point (a day or more apart: data stamped days ago next to a record
 * stamped now); undefined past 2^52 ms or `limit`.
 */
function timestampDeltaAt(buf: Buffer, pos: number, limit: number): number | undefined {
  const u = uvarintAt(buf, pos, limit);
  if (u >= 0) return zigzag(u);
  let value = 0;
  for (let shift = 0; shift <= 49; shift += 7) {
    if (pos >= limit) return undefined;
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return !Number.isSafeInteger(value) ? undefined : value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }
  return undefined;
}

/**
 * The common record, decoded with positions in locals rather than through a Reader: no headers and
 * every varint under 2^28 (lengths under 128 MiB, deltas under 2^27). Anything else, including
 * every malformed record, returns NOT_COMMON and is decoded (or refused) by decodeRecord, which
 * gives the same result for the records taken here. Consumers' records are nearly all of this
 * shape; taking them without a Reader's method calls saves ~5-10% of decoding (not counting the CRC).
 */
function decodeCommonRecordAt<T>(buf: Buffer, pos: number, end: number, context: RecordBatchContext, make: RecordFactory<T>): T | typeof NOT_COMMON {
  let u = uvarintAt(buf, pos, end);
  if (u < 0) return NOT_COMMON;
  let p = uvarintEnd;
  const length = zigzag(u);
  if (length < 1 || length > end - p) return NOT_COMMON;
  const bodyEnd = p + length;
  const attributes = (buf[p++]! << 24) >> 24;
  if ((u = uvarintAt(buf, p, bodyEnd)) < 0) return NOT_COMMON;
  const timestampDelta = zigzag(u);
  if ((u = uvarintAt(buf, uvarintEnd, bodyEnd)) < 0) return NOT_COMMON;
  const offsetDelta = zigzag(u);
  if ((u = uvarintAt(buf, uvarintEnd, bodyEnd)) < 0) return NOT_COMMON;
  p = uvarintEnd;
  let n = zigzag(u);
  let key: Buffer | null = null;
  if (n >= 0) {
    if (n > bodyEnd - p) return NOT_COMMON;
    key = buf.subarray(p, (p += n));
  }
  if ((u = uvarintAt(buf, p, bodyEnd)) < 0) return NOT_COMMON;
  p = uvarintEnd;
  n = zigzag(u);
  let value: Buffer | null = null;
  if (n >= 0) {
    if (n > bodyEnd - p) return NOT_COMMON;
    value = buf.subarray(p, (p += n));
  }
  // A header count of zero is one byte 0, and it must be the record's last.
  if (p !== bodyEnd - 1 || buf[p] !== 0) return NOT_COMMON;
  commonRecordEnd = bodyEnd;
  return make(context, attributes, timestampDelta, offsetDelta, key, value, NO_HEADERS);
}

function decodeRecord<T>(r: Reader, context: RecordBatchContext, make: RecordFactory<T>): T {
  const length = r.readVarint();
  if (length < 0 || length > r.remaining) throw new DecodeError(`record length ${length} at offset ${r.pos} with ${r.remaining} bytes left`);
  const bodyEnd = r.pos + length;
  const attributes = r.readInt8();
  const timestampDelta = readVarlongSafe(r);
  const offsetDelta = r.readVarint();
  const key = readNullableVarBytes(r);
  const value = readNullableVarBytes(r);
  const headers = readHeaders(r, bodyEnd);
  if (r.pos !== bodyEnd) throw new DecodeError(`record declared ${length} bytes but its fields took ${length + r.pos - bodyEnd}`);
  return make(context, attributes, timestampDelta, offsetDelta, key, value, headers);
}

/** Kafka reads any negative length as null. */
function readNullableVarBytes(r: Reader): Buffer | null {
  const n = r.readVarint();
  return n < 0 ? null : r.readRaw(n);
}

function readHeaders(r: Reader, bodyEnd: number): readonly RecordHeader[] {
  const count = r.readVarint();
  if (count === 0) return NO_HEADERS;
  // A header takes at least 2 bytes (two 1-byte lengths).
  if (count < 0 || count * 2 > bodyEnd - r.pos) throw new DecodeError(`header count ${count} at offset ${r.pos} does not fit the record`);
  const headers = new Array<RecordHeader>(count);
  for (let i = 0; i < count; i++) {
    const keyLength = r.readVarint();
    if (keyLength < 0) throw new DecodeError(`null or negative header key length ${keyLength} at offset ${r.pos}`);
    const keyStart = r.pos;
    r.skip(keyLength);
    const key = r.buf.toString('utf8', keyStart, r.pos);
    headers[i] = { key, value: readNullableVarBytes(r) };
  }
  return headers;
}

/**
 * Encoded sizes of a batch's records, measured before writing because each record starts with the
 * length of what follows. Header key byte lengths are kept so they are measured once.
 */
export interface MeasuredRecords {
  /** Total encoded bytes of all records. */
  bytes: number;
  bodySizes: Int32Array;
  timestampDeltas: Float64Array;
  offsetDeltas: Int32Array;
  headerKeyBytes: number[];
  /** Largest timestamp delta (for maxTimestamp), -Infinity when there are no records. */
  maxTimestampDelta: number;
}

export function measureRecords(records: readonly RecordInput[], baseTimestamp: bigint): MeasuredRecords {
  const n = records.length;
  const m: MeasuredRecords = {
    bytes: 0,
    bodySizes: new Int32Array(n),
    timestampDeltas: new Float64Array(n),
    offsetDeltas: new Int32Array(n),
    headerKeyBytes: [],
    maxTimestampDelta: -Infinity,
  };
  const base = toSafeNumber(baseTimestamp);
  // Records sent together usually share a timestamp: its delta is computed once for a run of them.
  let lastTimestamp: bigint | undefined;
  let lastDelta = 0;
  for (let i = 0; i < n; i++) {
    const rec = records[i]!;
    let tsDelta = 0;
    if (rec.timestamp !== undefined) {
      if (rec.timestamp !== lastTimestamp) {
        lastDelta = timestampDelta(rec.timestamp, baseTimestamp, base);
        lastTimestamp = rec.timestamp;
      }
      tsDelta = lastDelta;
    }
    const offsetDelta = rec.offsetDelta ?? i;
    if (!isInt32(offsetDelta)) throw new EncodeError(`offsetDelta ${offsetDelta} is not an int32`);
    if (rec.attributes !== undefined && !isInt8(rec.attributes)) throw new EncodeError(`record attributes ${rec.attributes} are not an int8`);
    const body = 1 + sizeOfVarlongNumber(tsDelta) + sizeOfVarint(offsetDelta) + sizeOfNullableBytes(rec.key) + sizeOfNullableBytes(rec.value) + sizeOfHeaders(rec.headers, m.headerKeyBytes);
    m.bodySizes[i] = body;
    m.timestampDeltas[i] = tsDelta;
    m.offsetDeltas[i] = offsetDelta;
    if (tsDelta > m.maxTimestampDelta) m.maxTimestampDelta = tsDelta;
    m.bytes += sizeOfVarint(body) + body;
    if (m.bytes > INT32_MAX) throw new EncodeError(`records exceed ${INT32_MAX} bytes`);
  }
  return m;
}

/** Writes the records measured by measureRecords, in order. */
export function writeRecords(w: Writer, records: readonly RecordInput[], m: MeasuredRecords): void {
  let keyIndex = 0;
  for (let i = 0; i < records.length; i++) {
    const rec = records[i]!;
    w.writeVarint(m.bodySizes[i]!);
    w.writeInt8(rec.attributes ?? 0);
    w.writeVarlongNumber(m.timestampDeltas[i]!);
    w.writeVarint(m.offsetDeltas[i]!);
    writeNullableVarBytes(w, rec.key);
    writeNullableVarBytes(w, rec.value);
    const headers = rec.headers ?? NO_HEADERS;
    w.writeVarint(headers.length);
    for (const h of headers) {
      const keyBytes = m.headerKeyBytes[keyIndex++]!;
      w.writeVarint(keyBytes);
      w.writeUtf8(h.key, keyBytes);
      writeNullableVarBytes(w, h.value);
    }
  }
}

function writeNullableVarBytes(w: Writer, b: Uint8Array | null | undefined): void {
  if (b === null || b === undefined) {
    w.writeVarint(-1);
    return;
  }
  w.writeVarint(b.length);
  w.writeRaw(b);
}

function sizeOfNullableBytes(b: Uint8Array | null | undefined): number {
  return b === null || b === undefined ? 1 : sizeOfVarint(b.length) + b.length;
}

function sizeOfHeaders(headers: readonly RecordHeaderInput[] | undefined, keyBytesOut: number[]): number {
  if (headers === undefined) return 1;
  let size = sizeOfVarint(headers.length);
  for (const h of headers) {
    const keyBytes = Buffer.byteLength(h.key, 'utf8');
    keyBytesOut.push(keyBytes);
    size += sizeOfVarint(keyBytes) + keyBytes + sizeOfNullableBytes(h.value);
  }
  return size;
}

/** timestamp - base as a number, in number arithmetic when both are safe integers (the usual case). */
function timestampDelta(timestamp: bigint, baseTimestamp: bigint, base: number | null): number {
  const ts = base === null ? null : toSafeNumber(timestamp);
  const delta = ts !== null && base !== null ? ts - base : Number(timestamp - baseTimestamp);
  if (!Number.isSafeInteger(delta)) throw new EncodeError(`timestamp ${timestamp} is too far from the batch's base timestamp ${baseTimestamp}`);
  return delta;
}

function toSafeNumber(v: bigint): number | null {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

function isInt8(v: number): boolean {
  return Number.isInteger(v) && v >= -0x80 && v <= 0x7f;
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -0x80000000 && v <= INT32_MAX;
}
