/** Leadership of a partition as Metadata and DescribeTopicPartitions report it, from the cluster metadata. */
import { ErrorCode } from '../protocol/error-codes.js';
import type { MetadataResponseMetadataResponsePartition } from '../protocol/messages/index.js';
import type { BrokerContext } from './broker-context.js';

export type PartitionState = Omit<MetadataResponseMetadataResponsePartition, 'unknownTaggedFields'>;

export function partitionStates(b: BrokerContext, topic: string, partitions: number, from = 0, to = partitions): PartitionState[] {
  const out: PartitionState[] = [];
  for (let p = from; p < to; p++) {
    const s = b.metadata.leaderAndIsr(topic, p);
    out.push({ errorCode: ErrorCode.NONE, partitionIndex: p, leaderId: s.leader, leaderEpoch: s.leaderEpoch, replicaNodes: [...s.replicas], isrNodes: [...s.isr], offlineReplicas: [] });
  }
  return out;
}
