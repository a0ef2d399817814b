/**
 * What the coordinator reads and writes of the consumer protocol (protocol type `consumer`), the
 * bytes classic members put in JoinGroup and get back from SyncGroup: an int16 version, then a
 * ConsumerProtocolSubscription or ConsumerProtocolAssignment. Offsets of subscribed topics are
 * neither deleted by OffsetDelete nor expired while the group is active; classic members of a
 * KIP-848 consumer group are assigned by the coordinator from their subscription. A version above
 * the highest the specs know is read as that highest one, as Kafka's ConsumerProtocol does.
 */
import { decodeConsumerProtocolAssignment, encodeConsumerProtocolAssignment } from '../protocol/messages/consumer-protocol-assignment.js';
import { type ConsumerProtocolSubscription, decodeConsumerProtocolSubscription } from '../protocol/messages/consumer-protocol-subscription.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';

const HIGHEST_VERSION = 3;

/** A member's consumer-protocol metadata; throws DecodeError if it does not parse. */
export function decodeSubscription(metadata: Buffer): ConsumerProtocolSubscription & { version: number } {
  const r = new Reader(metadata);
  const version = Math.min(r.readInt16(), HIGHEST_VERSION);
  return { ...decodeConsumerProtocolSubscription(r, Math.max(version, 0)), version };
}

/** The subscribed topics in a member's consumer-protocol metadata; throws DecodeError if it does not parse. */
export function subscribedTopicsOf(metadata: Buffer): string[] {
  return decodeSubscription(metadata).topics;
}

/** An assignment as SyncGroup gives it, in the member's subscription version. */
export function encodeAssignment(version: number, partitions: readonly { topic: string; partitions: readonly number[] }[]): Buffer {
  const v = Math.max(0, Math.min(version, HIGHEST_VERSION));
  const w = new Writer(64);
  w.writeInt16(v);
  encodeConsumerProtocolAssignment(w, v, { assignedPartitions: partitions, userData: null });
  return w.toBuffer();
}

/** The partitions of a consumer-protocol assignment; throws DecodeError if it does not parse. */
export function decodeAssignment(assignment: Buffer): { topic: string; partitions: number[] }[] {
  if (assignment.length === 0) return [];
  const r = new Reader(assignment);
  const version = Math.min(r.readInt16(), HIGHEST_VERSION);
  return decodeConsumerProtocolAssignment(r, Math.max(version, 0)).assignedPartitions;
}
