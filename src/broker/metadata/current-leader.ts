/**
 * KIP-951: a Produce (v10+) or Fetch (v16+) partition answered NOT_LEADER_OR_FOLLOWER or
 * FENCED_LEADER_EPOCH carries the leader and leader epoch the broker knows, and the response the
 * leaders' endpoints on the listener the request came in on, so the client goes to the new leader
 * without a metadata round trip.
 */
import type { MetadataImage } from '../../controller/image/metadata-image.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { endpointOf } from './cluster-view.js';

export interface CurrentLeader {
  leaderId: number;
  leaderEpoch: number;
}

/** Whether an error code carries the current leader (KIP-951). */
export function carriesLeader(errorCode: number): boolean {
  return errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || errorCode === ErrorCode.FENCED_LEADER_EPOCH;
}

/** The leader of `topic`-`partition` in the image, or -1/-1. */
export function currentLeader(image: MetadataImage, topic: string | undefined, partition: number): CurrentLeader {
  const p = topic === undefined ? undefined : image.topic(topic)?.partitions[partition];
  return p ? { leaderId: p.leader, leaderEpoch: p.leaderEpoch } : { leaderId: -1, leaderEpoch: -1 };
}

/** The endpoints of these brokers on `listenerName` (the response's NodeEndpoints). */
export function leaderEndpoints(image: MetadataImage, leaderIds: Iterable<number>, listenerName: string): { nodeId: number; host: string; port: number; rack: string | null }[] {
  const out: { nodeId: number; host: string; port: number; rack: string | null }[] = [];
  for (const id of new Set(leaderIds)) {
    if (id < 0) continue;
    const b = image.broker(id);
    const e = endpointOf(b, listenerName);
    if (b && e) out.push({ nodeId: id, host: e.host, port: e.port, rack: b.rack });
  }
  return out.sort((a, b) => a.nodeId - b.nodeId);
}
