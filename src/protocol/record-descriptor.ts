/**
 * What the generated registries know of each record type Kafka keeps in its internal logs: the
 * metadata records of `__cluster_metadata` (src/protocol/metadata/, Kafka's MetadataRecordType)
 * and the key/value records of the coordinators' topics (src/protocol/coordinator/, Kafka's
 * CoordinatorRecordType). The framing around them is in metadata-record-serde.ts and
 * coordinator-record-serde.ts.
 */
import type { Reader } from './primitives/reader.js';
import type { Writer } from './primitives/writer.js';

/** One record spec's codecs and the versions Samsa has them for. */
export interface RecordCodec<T, TInput> {
  /** Kafka's name of the spec, e.g. `TopicRecord`. */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  decode(r: Reader, version: number): T;
  encode(w: Writer, version: number, v: TInput): void;
}

/** A record type of the metadata log: the `apiKey` of its spec is the type written in each record's frame. */
export interface MetadataRecordDescriptor<T, TInput> extends RecordCodec<T, TInput> {
  readonly apiKey: number;
}

// Parameter types are `never` so that any descriptor fits: callers narrow by API key.
export type AnyMetadataRecordDescriptor = MetadataRecordDescriptor<unknown, never>;

/**
 * A record type of a coordinator topic: a key spec whose versions are the record types it covers
 * (OffsetCommitKey covers 0 and 1, GroupMetadataKey 2, ...) and the value spec written with it.
 */
export interface CoordinatorRecordDescriptor<K, KInput, V, VInput> {
  /** The record's name without Key/Value, e.g. `OffsetCommit`. */
  readonly name: string;
  /** The internal topic it is written to: `__consumer_offsets`, `__transaction_state` or `__share_group_state`. */
  readonly topic: string;
  /** The record types (the int16 that starts each key) this key spec is written with. */
  readonly minType: number;
  readonly maxType: number;
  readonly key: RecordCodec<K, KInput>;
  readonly value: RecordCodec<V, VInput>;
}

export type AnyCoordinatorRecordDescriptor = CoordinatorRecordDescriptor<unknown, never, unknown, never>;
