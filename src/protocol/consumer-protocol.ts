/**
 * The consumer protocol's embedded bytes (protocol type `consumer`): what classic members put in
 * JoinGroup (an int16 version, then a ConsumerProtocolSubscription) and get back from SyncGroup
 * (an int16 version, then a ConsumerProtocolAssignment). The client writes and reads them as a
 * member and leader; the group coordinator reads subscriptions for offsets and KIP-848 assignment
 * and writes assignments for classic members of consumer groups. A version above the highest the
 * specs know is read as that highest one, as Kafka's ConsumerProtocol does (every version starts
 * with the fields of the ones before).
 */
import { decodeConsumerProtocolAssignment, encodeConsumerProtocolAssignment } from './messages/consumer-protocol-assignment.js';
import { type ConsumerProtocolSubscription, type ConsumerProtocolSubscriptionInput, decodeConsumerProtocolSubscription, encodeConsumerProtocolSubscription } from './messages/consumer-protocol-subscription.js';
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';

const HIGHEST_VERSION = 3;

/** The version these bytes are read (or answered) in: their int16 prefix, within 0 and the highest known. */
export function consumerProtocolVersion(bytes: Buffer): number {
  return Math.max(0, Math.min(bytes.readInt16BE(0), HIGHEST_VERSION));
}

/** A member's subscription; throws if it does not parse. */
export function decodeSubscription(metadata: Buffer): ConsumerProtocolSubscription & { version: number } {
  const r = new Reader(metadata);
  r.readInt16();
  const version = consumerProtocolVersion(metadata);
  return { ...decodeConsumerProtocolSubscription(r, version), version };
}

export function encodeSubscription(version: number, subscription: ConsumerProtocolSubscriptionInput): Buffer {
  const w = new Writer(64);
  w.writeInt16(version);
  encodeConsumerProtocolSubscription(w, version, subscription);
  return w.toBuffer();
}

/** An assignment in `version` (answered in the member's subscription version). */
export function encodeAssignment(version: number, partitions: readonly { topic: string; partitions: readonly number[] }[]): Buffer {
  const v = Math.max(0, Math.min(version, HIGHEST_VERSION));
  const w = new Writer(64);
  w.writeInt16(v);
  encodeConsumerProtocolAssignment(w, v, { assignedPartitions: partitions, userData: null });
  return w.toBuffer();
}

/** The partitions of an assignment (none for empty bytes); throws if it does not parse. */
export function decodeAssignment(assignment: Buffer): { topic: string; partitions: number[] }[] {
  if (assignment.length === 0) return [];
  const r = new Reader(assignment);
  r.readInt16();
  return decodeConsumerProtocolAssignment(r, consumerProtocolVersion(assignment)).assignedPartitions;
}
