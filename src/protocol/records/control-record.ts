/**
 * Control records: the single record of a control batch, written by the transaction coordinator
 * (and the KRaft quorum) rather than by producers. The key is the same for every control type:
 *
 *   version int16 | type int16          (type: 0 abort, 1 commit; 2-6 are KRaft's)
 *
 * and for ABORT / COMMIT the value is the end-transaction marker:
 *
 *   version int16 | coordinatorEpoch int32
 *
 * Newer versions may append fields; as Kafka does, they are read as the highest version known.
 */
import { Reader } from '../primitives/reader.js';
import { DecodeError } from '../samsa-error.js';
import { ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, LOG_OVERHEAD, RECORDS_COUNT_OFFSET, RECORDS_OFFSET, compressionOf } from './batch-header.js';
import type { RecordInput } from './record.js';

export const ControlRecordType = { Abort: 0, Commit: 1 } as const;
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType];

export interface ControlRecordKey {
  version: number;
  /** 0 abort, 1 commit; other values are control types this layer does not interpret. */
  type: number;
}

export interface EndTxnMarker {
  version: number;
  coordinatorEpoch: number;
}

const CONTROL_KEY_BYTES = 4;
const END_TXN_MARKER_BYTES = 6;

export function decodeControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < CONTROL_KEY_BYTES) {
    throw new DecodeError(`control record key needs ${CONTROL_KEY_BYTES} bytes, has ${key === null ? 'none (null)' : key.length}`);
  }
  const version = key.readInt16BE(0);
  if (version < 0) throw new DecodeError(`invalid control record key version ${version}`);
  return { version, type: key.readInt16BE(2) };
}

export function decodeEndTxnMarker(value: Buffer | null): EndTxnMarker {
  if (value === null || value.length < END_TXN_MARKER_BYTES) {
    throw new DecodeError(`end transaction marker needs ${END_TXN_MARKER_BYTES} bytes, has ${value === null ? 'none (null)' : value.length}`);
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw new DecodeError(`invalid end transaction marker version ${version}`);
  return { version, coordinatorEpoch: value.readInt32BE(2) };
}

/** The key of a control record at version 0. */
export function encodeControlRecordKey(type: number): Buffer {
  const key = Buffer.alloc(CONTROL_KEY_BYTES);
  key.writeInt16BE(type, 2);
  return key;
}

/** The value of an ABORT or COMMIT marker at version 0. */
export function encodeEndTxnMarker(coordinatorEpoch: number): Buffer {
  const value = Buffer.alloc(END_TXN_MARKER_BYTES);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

/** The record of a transaction marker batch (encode it with isControlBatch and isTransactional). */
export function endTxnMarkerRecord(type: ControlRecordType, coordinatorEpoch: number, timestamp?: bigint): RecordInput {
  const record: RecordInput = { key: encodeControlRecordKey(type), value: encodeEndTxnMarker(coordinatorEpoch) };
  if (timestamp !== undefined) record.timestamp = timestamp;
  return record;
}

/** A control batch's record, read from the batch bytes: its control type, and the marker for ABORT / COMMIT. */
export interface ControlBatchRecord {
  type: number;
  /** The end-transaction marker's coordinator epoch (-1 for other control types). */
  coordinatorEpoch: number;
}

/**
 * Reads the single record of the uncompressed control batch at `pos` synchronously (the log does
 * this on append, recovery and replay: Kafka writes markers uncompressed). Undefined for a
 * compressed control batch or one without records (the cleaner may leave one empty); throws
 * DecodeError when the record is malformed.
 */
export function readControlBatchRecord(buf: Buffer, pos: number): ControlBatchRecord | undefined {
  if (compressionOf(buf.readInt16BE(pos + ATTRIBUTES_OFFSET)) !== 0 || buf.readInt32BE(pos + RECORDS_COUNT_OFFSET) < 1) return undefined;
  const end = pos + LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  const r = new Reader(buf, pos + RECORDS_OFFSET, end);
  r.readVarint(); // record length
  r.readInt8(); // attributes
  r.readVarlong(); // timestamp delta
  r.readVarint(); // offset delta
  const keyLength = r.readVarint();
  const key = decodeControlRecordKey(keyLength < 0 ? null : r.readRaw(keyLength));
  if (key.type !== ControlRecordType.Abort && key.type !== ControlRecordType.Commit) return { type: key.type, coordinatorEpoch: -1 };
  const valueLength = r.readVarint();
  return { type: key.type, coordinatorEpoch: decodeEndTxnMarker(valueLength < 0 ? null : r.readRaw(valueLength)).coordinatorEpoch };
}
