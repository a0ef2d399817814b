/**
 * The metadata image as request handlers present it (Kafka's KRaftMetadataCache): the brokers
 * clients see (registered, unfenced, with an endpoint on the listener the request came in on),
 * the id reported as controller, and each partition's leader, replicas, in-sync replicas and
 * offline replicas, with Kafka's errors for a leader that cannot be reached on that listener.
 */
import type { BrokerEndpoint, BrokerRegistration, PartitionRegistration } from '../../controller/image/image-types.js';
import type { MetadataImage, TopicView } from '../../controller/image/metadata-image.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { MetadataResponseMetadataResponsePartition } from '../../protocol/messages/index.js';

export type PartitionState = Omit<MetadataResponseMetadataResponsePartition, 'unknownTaggedFields'>;

export function endpointOf(b: BrokerRegistration | undefined, listenerName: string): BrokerEndpoint | undefined {
  return b?.endpoints.find((e) => e.name === listenerName);
}

/** Unfenced brokers reachable on `listenerName`. */
export function aliveBrokerNodes(image: MetadataImage, listenerName: string): { nodeId: number; host: string; port: number; rack: string | null }[] {
  return image.unfencedBrokers().flatMap((b) => {
    const e = endpointOf(b, listenerName);
    return e ? [{ nodeId: b.id, host: e.host, port: e.port, rack: b.rack }] : [];
  });
}

/**
 * The broker reported as controller in Metadata. Clients cannot reach KRaft controllers; Kafka
 * names a random alive broker, which forwards what it must. Samsa names the active controller
 * when it is also an alive broker (combined mode), else the lowest alive broker: the same answer
 * from every broker.
 */
export function reportedControllerId(image: MetadataImage, activeController: number): number {
  const alive = image.unfencedBrokers();
  if (alive.some((b) => b.id === activeController)) return activeController;
  return alive[0]?.id ?? -1;
}

/** Replicas whose broker is unregistered, fenced, or has no endpoint on the listener. */
function offlineReplicas(image: MetadataImage, p: PartitionRegistration, listenerName: string): number[] {
  return p.replicas.filter((id) => {
    const b = image.broker(id);
    return !b || b.fenced || !endpointOf(b, listenerName);
  });
}

/**
 * Partition states of `topic` from `from` to `to`. `errorUnavailableListeners` (Metadata v6+)
 * answers LISTENER_NOT_FOUND for a leader without an endpoint on the listener, else
 * LEADER_NOT_AVAILABLE; `filterUnavailable` (Metadata v0) lists only replicas that are alive.
 */
export function partitionStates(image: MetadataImage, topic: TopicView, listenerName: string, opts: { from?: number; to?: number; errorUnavailableListeners?: boolean; filterUnavailable?: boolean } = {}): PartitionState[] {
  const out: PartitionState[] = [];
  const to = opts.to ?? topic.partitionCount;
  for (let i = opts.from ?? 0; i < to; i++) {
    const p = topic.partitions[i]!;
    const alive = (ids: readonly number[]) => (opts.filterUnavailable ? ids.filter((id) => image.broker(id) && !image.broker(id)!.fenced && endpointOf(image.broker(id), listenerName)) : [...ids]);
    const leader = image.broker(p.leader);
    const base = { partitionIndex: p.partitionId, leaderEpoch: p.leaderEpoch, replicaNodes: alive(p.replicas), isrNodes: alive(p.isr), offlineReplicas: offlineReplicas(image, p, listenerName) };
    if (!endpointOf(leader, listenerName)) {
      const errorCode = leader && opts.errorUnavailableListeners ? ErrorCode.LISTENER_NOT_FOUND : ErrorCode.LEADER_NOT_AVAILABLE;
      out.push({ ...base, errorCode, leaderId: -1 });
    } else out.push({ ...base, errorCode: ErrorCode.NONE, leaderId: p.leader });
  }
  return out;
}
