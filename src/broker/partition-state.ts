/** Leadership of a partition as Metadata and DescribeTopicPartitions report it. */
import { ErrorCode } from '../protocol/error-codes.js';
import type { MetadataResponseMetadataResponsePartition } from '../protocol/messages/index.js';
import type { BrokerContext } from './broker-context.js';

export type PartitionState = Omit<MetadataResponseMetadataResponsePartition, 'unknownTaggedFields'>;

/** Single node: this broker leads every partition at epoch 0 and is its only replica. */
export function partitionStates(b: BrokerContext, partitions: number, from = 0, to = partitions): PartitionState[] {
  const out: PartitionState[] = [];
  for (let p = from; p < to; p++) {
    out.push({ errorCode: ErrorCode.NONE, partitionIndex: p, leaderId: b.nodeId, leaderEpoch: 0, replicaNodes: [b.nodeId], isrNodes: [b.nodeId], offlineReplicas: [] });
  }
  return out;
}
