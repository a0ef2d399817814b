/**
 * Partitions as records describe them: a PartitionRecord is a whole partition, a
 * PartitionChangeRecord changes the fields it sets (Kafka's PartitionRegistration.merge): a new
 * leader bumps the leader epoch, and every change bumps the partition epoch.
 */
import type { PartitionChangeRecord, PartitionRecord } from '../../protocol/metadata/index.js';
import { NO_LEADER_CHANGE, type PartitionRegistration } from './image-types.js';

export function partitionFromRecord(r: PartitionRecord): PartitionRegistration {
  return {
    topicId: r.topicId,
    partitionId: r.partitionId,
    replicas: r.replicas,
    isr: r.isr,
    removingReplicas: r.removingReplicas,
    addingReplicas: r.addingReplicas,
    leader: r.leader,
    leaderRecoveryState: r.leaderRecoveryState,
    leaderEpoch: r.leaderEpoch,
    partitionEpoch: r.partitionEpoch,
    directories: r.directories,
    eligibleLeaderReplicas: r.eligibleLeaderReplicas,
    lastKnownElr: r.lastKnownElr,
  };
}

export function applyPartitionChange(p: PartitionRegistration, c: PartitionChangeRecord): PartitionRegistration {
  const leaderChanged = c.leader !== NO_LEADER_CHANGE;
  return {
    ...p,
    replicas: c.replicas ?? p.replicas,
    isr: c.isr ?? p.isr,
    removingReplicas: c.removingReplicas ?? p.removingReplicas,
    addingReplicas: c.addingReplicas ?? p.addingReplicas,
    leader: leaderChanged ? c.leader : p.leader,
    leaderRecoveryState: c.leaderRecoveryState === -1 ? p.leaderRecoveryState : c.leaderRecoveryState,
    leaderEpoch: leaderChanged ? p.leaderEpoch + 1 : p.leaderEpoch,
    partitionEpoch: p.partitionEpoch + 1,
    directories: c.directories ?? p.directories,
    eligibleLeaderReplicas: c.eligibleLeaderReplicas ?? p.eligibleLeaderReplicas,
    lastKnownElr: c.lastKnownElr ?? p.lastKnownElr,
  };
}
