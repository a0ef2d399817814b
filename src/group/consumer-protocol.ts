/**
 * The little the coordinator reads of the consumer protocol (protocol type `consumer`): the topics
 * a member subscribes to, from its JoinGroup metadata. Offsets of subscribed topics are neither
 * deleted by OffsetDelete nor expired while the group is active. The metadata is an int16 version
 * then a ConsumerProtocolSubscription; every version starts with v0's fields, so v0 is read.
 */
import { decodeConsumerProtocolSubscription } from '../protocol/messages/consumer-protocol-subscription.js';
import { Reader } from '../protocol/primitives/reader.js';

/** The subscribed topics in a member's consumer-protocol metadata; throws DecodeError if it does not parse. */
export function subscribedTopicsOf(metadata: Buffer): string[] {
  const r = new Reader(metadata);
  r.readInt16();
  return decodeConsumerProtocolSubscription(r, 0).topics;
}
