/**
 * The framing of a metadata record in `__cluster_metadata` (Kafka's MetadataRecordSerde, built on
 * AbstractApiMessageSerde). Each record of a data batch has a null key and this value:
 *
 *   frameVersion uvarint (1) | type uvarint (the spec's apiKey) | version uvarint | record
 *
 * Frame version 0 was KRaft's 2.8 preview and is refused, as Kafka refuses it; bytes left over
 * after the record are an error too. Control batches (leader change, snapshot header/footer) are
 * not framed this way: their records carry a control key (see records/control-record.ts).
 */
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';
import { type MetadataRecord, type MetadataRecordInput, metadataRecordType } from './metadata/index.js';
import { DecodeError, EncodeError } from './samsa-error.js';

export const METADATA_FRAME_VERSION = 1;
const MAX_INT16 = 0x7fff;

/** The value bytes of one metadata record. */
export function encodeMetadataRecord(record: MetadataRecordInput): Buffer {
  const type = metadataRecordType(record.apiKey);
  if (!type) throw new EncodeError(`unknown metadata record type ${record.apiKey}`);
  const version = record.version ?? type.maxVersion;
  const w = new Writer(64);
  w.writeUVarint(METADATA_FRAME_VERSION);
  w.writeUVarint(record.apiKey);
  w.writeUVarint(version);
  (type.encode as (w: Writer, version: number, v: unknown) => void)(w, version, record.data);
  return w.toBuffer();
}

function readShort(r: Reader, what: string): number {
  const v = r.readUVarint();
  if (v > MAX_INT16) throw new DecodeError(`metadata record ${what} ${v} is too large`);
  return v;
}

/** Decodes the value of one metadata record; DecodeError for bytes that are not one. */
export function decodeMetadataRecord(value: Buffer): MetadataRecord {
  const r = new Reader(value);
  const frameVersion = readShort(r, 'frame version');
  if (frameVersion === 0) throw new DecodeError('metadata record with frame version 0 (the KRaft preview of Kafka 2.8) is not supported');
  if (frameVersion !== METADATA_FRAME_VERSION) throw new DecodeError(`unknown metadata record frame version ${frameVersion}`);
  const apiKey = readShort(r, 'type');
  const version = readShort(r, 'version');
  const type = metadataRecordType(apiKey);
  if (!type) throw new DecodeError(`unknown metadata record type ${apiKey}`);
  const data = type.decode(r, version);
  if (r.remaining > 0) throw new DecodeError(`${r.remaining} byte(s) of garbage after metadata record ${type.name}`);
  return { apiKey, version, data } as MetadataRecord;
}
