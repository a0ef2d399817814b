/**
 * The records the group coordinator keeps in __consumer_offsets, in Kafka's formats so that the
 * topic reads the same as Kafka's (kafka-console-consumer's formatters, other tools):
 *
 * - key: int16 record type, then the key's fields. Types 0 and 1 are OffsetCommitKey
 *   (group, topic, partition; Kafka writes 1), type 2 is GroupMetadataKey (group).
 * - value: int16 version, then the value's fields; a null value is a tombstone (deletion).
 *   OffsetCommitValue v0-4 (written as v3, or v1 when the commit carried a retention time),
 *   GroupMetadataValue v0-4 (written as v3). v4 of both is the flexible encoding.
 *
 * - types 3 and 5-8: a KIP-848 consumer group's metadata, members, target assignment and members'
 *   current assignments, through the generated codecs (consumer-group-records.ts builds them).
 *
 * Other record types (type 4, KIP-848's deprecated partition metadata; share groups) are not ours:
 * they decode to undefined and are skipped.
 */
import { decodeCoordinatorRecord as decodeGeneratedRecord, encodeCoordinatorKey, encodeCoordinatorValue } from '../protocol/coordinator-record-serde.js';
import { coordinatorRecordType } from '../protocol/coordinator/index.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import { DecodeError } from '../protocol/samsa-error.js';

export interface OffsetCommitValue {
  offset: bigint;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** -1 unless the commit asked for its own retention (OffsetCommit v2-v4 retentionTimeMs). */
  expireTimestamp: bigint;
}

export interface MemberMetadataValue {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  /** The member's metadata for the group's protocol. */
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** -1 when unknown (older versions). */
  currentStateTimestamp: bigint;
  members: MemberMetadataValue[];
}

/** A KIP-848 consumer group record: its type (3, 5-8), key and value as the generated codecs take them. */
export interface ConsumerGroupRecord {
  type: 'consumer-group';
  group: string;
  recordType: number;
  key: { groupId: string; memberId?: string };
  /** Null for a tombstone. */
  value: { version: number; data: unknown } | null;
}

export type CoordinatorRecord =
  | { type: 'offset'; group: string; topic: string; partition: number; value: OffsetCommitValue | null }
  | { type: 'group'; group: string; value: GroupMetadataValue | null }
  | ConsumerGroupRecord;

const CONSUMER_OFFSETS = '__consumer_offsets';
const CONSUMER_GROUP_RECORD_TYPES = new Set([3, 5, 6, 7, 8]);

const OFFSET_COMMIT_KEY_TYPE = 1;
const GROUP_METADATA_KEY_TYPE = 2;
const GROUP_METADATA_VALUE_VERSION = 3;
const FLEXIBLE_VERSION = 4;

export function encodeRecordKey(r: CoordinatorRecord): Buffer {
  if (r.type === 'consumer-group') return encodeCoordinatorKey(CONSUMER_OFFSETS, r.recordType, r.key);
  const w = new Writer(64);
  if (r.type === 'offset') {
    w.writeInt16(OFFSET_COMMIT_KEY_TYPE);
    w.writeString(r.group, false);
    w.writeString(r.topic, false);
    w.writeInt32(r.partition);
  } else {
    w.writeInt16(GROUP_METADATA_KEY_TYPE);
    w.writeString(r.group, false);
  }
  return w.toBuffer();
}

export function encodeRecordValue(r: CoordinatorRecord): Buffer | null {
  if (r.value === null) return null;
  if (r.type === 'consumer-group') return encodeCoordinatorValue(coordinatorRecordType(CONSUMER_OFFSETS, r.recordType)!, r.value.version, r.value.data);
  return r.type === 'offset' ? encodeOffsetCommitValue(r.value) : encodeGroupMetadataValue(r.value);
}

function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  const w = new Writer(64 + v.metadata.length * 3);
  if (v.expireTimestamp >= 0n) {
    // v1 is the one version that carries an explicit expiry, as Kafka writes it.
    w.writeInt16(1);
    w.writeInt64(v.offset);
    w.writeString(v.metadata, false);
    w.writeInt64(v.commitTimestamp);
    w.writeInt64(v.expireTimestamp);
  } else {
    w.writeInt16(3);
    w.writeInt64(v.offset);
    w.writeInt32(v.leaderEpoch);
    w.writeString(v.metadata, false);
    w.writeInt64(v.commitTimestamp);
  }
  return w.toBuffer();
}

function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer(256);
  w.writeInt16(GROUP_METADATA_VALUE_VERSION);
  w.writeString(v.protocolType, false);
  w.writeInt32(v.generation);
  w.writeNullableString(v.protocol, false);
  w.writeNullableString(v.leader, false);
  w.writeInt64(v.currentStateTimestamp);
  w.writeInt32(v.members.length);
  for (const m of v.members) {
    w.writeString(m.memberId, false);
    w.writeNullableString(m.groupInstanceId, false);
    w.writeString(m.clientId, false);
    w.writeString(m.clientHost, false);
    w.writeInt32(m.rebalanceTimeout);
    w.writeInt32(m.sessionTimeout);
    w.writeBytes(m.subscription, false);
    w.writeBytes(m.assignment, false);
  }
  return w.toBuffer();
}

/** Decodes a record of __consumer_offsets; undefined for record types this coordinator does not keep. */
export function decodeCoordinatorRecord(key: Buffer | null, value: Buffer | null): CoordinatorRecord | undefined {
  if (key === null) throw new DecodeError('__consumer_offsets record without a key');
  const r = new Reader(key);
  const type = r.readInt16();
  if (type === 0 || type === 1) {
    const group = r.readString(false);
    const topic = r.readString(false);
    const partition = r.readInt32();
    return { type: 'offset', group, topic, partition, value: value === null ? null : decodeOffsetCommitValue(value) };
  }
  if (type === GROUP_METADATA_KEY_TYPE) {
    const group = r.readString(false);
    return { type: 'group', group, value: value === null ? null : decodeGroupMetadataValue(value) };
  }
  if (CONSUMER_GROUP_RECORD_TYPES.has(type)) {
    const g = decodeGeneratedRecord(CONSUMER_OFFSETS, key, value);
    const k = g.key as ConsumerGroupRecord['key'];
    return { type: 'consumer-group', group: k.groupId, recordType: type, key: k, value: g.value };
  }
  return undefined;
}

function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version < 0 || version > FLEXIBLE_VERSION) throw new DecodeError(`unknown OffsetCommitValue version ${version}`);
  const flexible = version >= FLEXIBLE_VERSION;
  const offset = r.readInt64();
  const leaderEpoch = version >= 3 ? r.readInt32() : -1;
  const metadata = r.readString(flexible);
  const commitTimestamp = r.readInt64();
  const expireTimestamp = version === 1 ? r.readInt64() : -1n;
  if (flexible) skipTaggedFields(r);
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version < 0 || version > FLEXIBLE_VERSION) throw new DecodeError(`unknown GroupMetadataValue version ${version}`);
  const flexible = version >= FLEXIBLE_VERSION;
  const protocolType = r.readString(flexible);
  const generation = r.readInt32();
  const protocol = r.readNullableString(flexible);
  const leader = r.readNullableString(flexible);
  const currentStateTimestamp = version >= 2 ? r.readInt64() : -1n;
  const members = r.readArray(flexible, (m) => decodeMemberMetadata(m, version, flexible));
  if (flexible) skipTaggedFields(r);
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}

function decodeMemberMetadata(r: Reader, version: number, flexible: boolean): MemberMetadataValue {
  const memberId = r.readString(flexible);
  const groupInstanceId = version >= 3 ? r.readNullableString(flexible) : null;
  const clientId = r.readString(flexible);
  const clientHost = r.readString(flexible);
  const rebalanceTimeout = version >= 1 ? r.readInt32() : -1;
  const sessionTimeout = r.readInt32();
  // Copies: the bytes read may be views of a large read buffer that should not be kept alive.
  const subscription = Buffer.from(r.readBytes(flexible));
  const assignment = Buffer.from(r.readBytes(flexible));
  if (flexible) skipTaggedFields(r);
  return { memberId, groupInstanceId, clientId, clientHost, rebalanceTimeout: rebalanceTimeout === -1 ? sessionTimeout : rebalanceTimeout, sessionTimeout, subscription, assignment };
}

function skipTaggedFields(r: Reader): void {
  const n = r.readUVarint();
  for (let i = 0; i < n; i++) {
    r.readUVarint();
    r.skip(r.readUVarint());
  }
}
