/**
 * Partition leadership and ISR as the controller changes them (Kafka's ReplicationControlManager
 * with PartitionChangeBuilder): AlterPartition from a leader (ISR shrink and expand), and leader
 * election when a broker becomes unavailable (fenced, re-registered, in controlled shutdown) or
 * available again (unfenced: leaderless partitions it is in the ISR of get it as leader).
 *
 * A new leader comes from the ISR, in the order of the replica list, among brokers that are
 * unfenced and not shutting down. With `unclean.leader.election.enable` (the topic's, else the
 * broker default: dynamic per broker, dynamic cluster-wide, static), a partition whose leader is
 * unavailable and none of whose in-sync replicas can lead gets the first available replica outside
 * the ISR as its leader, alone in the ISR (Kafka's unclean election: what the ISR had and it did
 * not is lost); ElectLeaders with the UNCLEAN type does the same on demand, whatever the config.
 * A broker that becomes unavailable leaves every ISR it is in, except that an ISR never becomes
 * empty, and a leader no in-sync replica can succeed stays the leader (the partition is offline
 * until it comes back: its replicas on it are reported offline). Kafka makes such a partition
 * leaderless (-1) and elects the broker again when it is unfenced; Samsa keeps it, so that a
 * broker holding the only copies (a standalone node, replication factor 1) does not rewrite every
 * partition's leadership twice at each restart. A partition whose leader was made -1 otherwise
 * (none is) would be elected again when an ISR member is unfenced. Each change is one
 * PartitionChangeRecord; a new leader bumps the leader epoch, every change the partition epoch.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { MetadataRecordType } from '../protocol/metadata/index.js';
import type { ControllerWriter } from './controller-writer.js';
import { ConfigResourceType, NO_LEADER, NO_LEADER_CHANGE, type PartitionRegistration } from './image/image-types.js';
import type { MetadataImage } from './image/metadata-image.js';

/** Whether a broker may lead or join an ISR: registered, unfenced, not in controlled shutdown. */
export function isUsable(image: MetadataImage, brokerId: number): boolean {
  const b = image.broker(brokerId);
  return b !== undefined && !b.fenced && !b.inControlledShutdown;
}

function emitChange(w: ControllerWriter, p: PartitionRegistration, isr: readonly number[] | null, leader: number): void {
  w.emit({
    apiKey: MetadataRecordType.PartitionChangeRecord,
    data: {
      partitionId: p.partitionId,
      topicId: p.topicId,
      isr: isr ? [...isr] : null,
      leader,
      replicas: null,
      removingReplicas: null,
      addingReplicas: null,
      leaderRecoveryState: -1,
      directories: null,
      eligibleLeaderReplicas: null,
      lastKnownElr: null,
    },
  });
}

/** A change of a partition's assignment (a reassignment started, completed or cancelled). */
export interface AssignmentChange {
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly adding: readonly number[];
  readonly removing: readonly number[];
  /** NO_LEADER_CHANGE keeps the leader and its epoch; the current leader again bumps the epoch. */
  readonly leader: number;
}

export function emitAssignmentChange(w: ControllerWriter, p: PartitionRegistration, c: AssignmentChange): void {
  w.emit({
    apiKey: MetadataRecordType.PartitionChangeRecord,
    data: {
      partitionId: p.partitionId,
      topicId: p.topicId,
      isr: [...c.isr],
      leader: c.leader,
      replicas: [...c.replicas],
      removingReplicas: [...c.removing],
      addingReplicas: [...c.adding],
      leaderRecoveryState: -1,
      directories: null,
      eligibleLeaderReplicas: null,
      lastKnownElr: null,
    },
  });
}

/**
 * Kafka's PartitionReassignmentReplicas.maybeCompleteReassignment with PartitionChangeBuilder's
 * election: a reassignment (replicas = target + removing) completes once every adding replica is
 * in `isr`: the replicas become the target, the removing ones leave the ISR, and a leader that
 * was removed hands over to the first target replica in the ISR that may lead. Removing replicas
 * bumps the leader epoch (so a removed follower's fetches are fenced). Undefined while it cannot.
 */
export function completedReassignment(image: MetadataImage, p: PartitionRegistration, isr: readonly number[]): AssignmentChange | undefined {
  if (p.addingReplicas.length === 0 && p.removingReplicas.length === 0) return undefined;
  if (!p.addingReplicas.every((r) => isr.includes(r))) return undefined;
  const replicas = p.replicas.filter((r) => !p.removingReplicas.includes(r));
  const newIsr = isr.filter((r) => !p.removingReplicas.includes(r));
  if (newIsr.length === 0) return undefined;
  let leader = p.leader;
  if (!newIsr.includes(leader) || !isUsable(image, leader)) {
    leader = replicas.find((r) => newIsr.includes(r) && isUsable(image, r)) ?? NO_LEADER;
    if (leader === NO_LEADER) return undefined;
  }
  // A new leader bumps the epoch; so does the same leader when replicas were removed.
  if (leader === p.leader && p.removingReplicas.length === 0) leader = NO_LEADER_CHANGE;
  return { replicas, isr: newIsr, adding: [], removing: [], leader };
}

/** Whether unclean leader election is enabled for a topic (`unclean.leader.election.enable`). */
export type UncleanPolicy = (topic: string) => boolean;

/**
 * `unclean.leader.election.enable` as the controller `nodeId` resolves it (Kafka's
 * ConfigurationControlManager with the controller's own config): the topic's override, else the
 * dynamic config of this node, else the cluster-wide dynamic default, else `staticDefault`.
 */
export function uncleanPolicy(image: MetadataImage, nodeId: number, staticDefault: boolean): UncleanPolicy {
  const name = 'unclean.leader.election.enable';
  const broker = image.configs(ConfigResourceType.BROKER, String(nodeId))[name] ?? image.configs(ConfigResourceType.BROKER, '')[name];
  const fallback = broker !== undefined ? broker.toLowerCase() === 'true' : staticDefault;
  return (topic) => {
    const v = image.topicConfigs(topic)[name];
    return v !== undefined ? v.toLowerCase() === 'true' : fallback;
  };
}

/** The first available replica (preferred order), in the ISR or not: an unclean election's choice, or NO_LEADER. */
function electUnclean(image: MetadataImage, p: PartitionRegistration): number {
  return p.replicas.find((r) => isUsable(image, r)) ?? NO_LEADER;
}

/**
 * Unclean elections where the topic allows them: every partition whose leader is unavailable
 * (none, fenced, shutting down) and none of whose in-sync replicas may lead gets the first
 * available replica as leader, with an ISR of that replica alone. Returns the partitions changed.
 */
export function electUncleanLeaders(w: ControllerWriter, enabled: UncleanPolicy): number {
  let changed = 0;
  for (const t of w.image.topics()) {
    let allowed: boolean | undefined;
    for (const p of t.partitions) {
      if (p.leader !== NO_LEADER && isUsable(w.image, p.leader)) continue;
      if (electFrom(w.image, p, p.isr) !== NO_LEADER) continue;
      if (!(allowed ??= enabled(t.name))) break;
      const leader = electUnclean(w.image, p);
      if (leader === NO_LEADER) continue;
      emitChange(w, p, [leader], leader);
      changed++;
    }
  }
  return changed;
}

/** The first replica (preferred order) in `isr` that may lead, or NO_LEADER. */
function electFrom(image: MetadataImage, p: PartitionRegistration, isr: readonly number[], excluded = -1): number {
  return p.replicas.find((r) => r !== excluded && isr.includes(r) && isUsable(image, r)) ?? NO_LEADER;
}

/**
 * `brokerId` can no longer serve (fenced, a new incarnation registering, controlled shutdown):
 * leads nothing and leaves every ISR (but the last place of one). Returns the partitions changed.
 */
export function moveAwayFrom(w: ControllerWriter, brokerId: number): number {
  let changed = 0;
  for (const t of w.image.topics()) {
    for (const p of t.partitions) {
      if (p.leader !== brokerId && !p.isr.includes(brokerId)) continue;
      const rest = p.isr.filter((r) => r !== brokerId);
      let isr = rest.length > 0 ? rest : p.isr;
      let leader = p.leader === brokerId ? electFrom(w.image, p, isr, brokerId) : NO_LEADER_CHANGE;
      // No in-sync replica can take over: the partition stays as it is (offline while its leader
      // is), rather than going leaderless and being elected back, two records and two leader
      // epochs per partition for every restart of a broker that holds the only copies.
      if (leader === NO_LEADER) {
        leader = NO_LEADER_CHANGE;
        isr = p.isr;
      }
      if (leader === NO_LEADER_CHANGE && isr === p.isr) continue;
      emitChange(w, p, isr === p.isr ? null : isr, leader);
      changed++;
    }
  }
  return changed;
}

/** `brokerId` is available again: leaderless partitions it can lead get it (or another usable ISR member). */
export function electLeaderless(w: ControllerWriter): number {
  let changed = 0;
  for (const t of w.image.topics()) {
    for (const p of t.partitions) {
      if (p.leader !== NO_LEADER) continue;
      const leader = electFrom(w.image, p, p.isr);
      if (leader === NO_LEADER) continue;
      emitChange(w, p, null, leader);
      changed++;
    }
  }
  return changed;
}

export interface AlterPartitionItem {
  readonly topicId: string;
  readonly partitionIndex: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly newIsr: readonly number[];
}

export interface AlterPartitionOutcome {
  readonly errorCode: number;
  readonly partition?: PartitionRegistration;
}

/**
 * AlterPartition from the leader `brokerId` (Kafka's ReplicationControlManager.alterPartition):
 * the leader and its leader epoch and the partition epoch must be current (else
 * NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION); the new ISR must hold the
 * leader, only replicas (INVALID_REQUEST), and only usable brokers for members it adds
 * (INELIGIBLE_REPLICA). An ISR equal to the current one writes nothing.
 */
export function alterPartition(w: ControllerWriter, brokerId: number, brokerEpoch: bigint, items: readonly AlterPartitionItem[]): { errorCode: number; results: AlterPartitionOutcome[] } {
  const b = w.image.broker(brokerId);
  if (!b) return { errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, results: [] };
  if (brokerEpoch !== -1n && b.epoch !== brokerEpoch) return { errorCode: ErrorCode.STALE_BROKER_EPOCH, results: [] };
  const results = items.map((item): AlterPartitionOutcome => {
    const t = w.image.topicById(item.topicId);
    const p = t?.partitions[item.partitionIndex];
    if (!t || !p) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (p.leader !== brokerId) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, partition: p };
    if (item.leaderEpoch < p.leaderEpoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, partition: p };
    if (item.leaderEpoch > p.leaderEpoch) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, partition: p };
    if (item.partitionEpoch !== p.partitionEpoch) return { errorCode: ErrorCode.INVALID_UPDATE_VERSION, partition: p };
    const isr = [...new Set(item.newIsr)];
    if (!isr.includes(brokerId) || isr.some((r) => !p.replicas.includes(r))) return { errorCode: ErrorCode.INVALID_REQUEST, partition: p };
    if (isr.some((r) => !p.isr.includes(r) && !isUsable(w.image, r))) return { errorCode: ErrorCode.INELIGIBLE_REPLICA, partition: p };
    const same = isr.length === p.isr.length && isr.every((r) => p.isr.includes(r));
    if (same) return { errorCode: ErrorCode.NONE, partition: p };
    // The ISR now holds every replica a reassignment adds: it completes in the same change.
    const completed = completedReassignment(w.image, p, isr);
    if (completed) emitAssignmentChange(w, p, completed);
    else emitChange(w, p, isr, NO_LEADER_CHANGE);
    return { errorCode: ErrorCode.NONE, partition: w.image.topicById(item.topicId)!.partitions[item.partitionIndex]! };
  });
  return { errorCode: ErrorCode.NONE, results };
}

/** ElectLeaders' election types. */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

export interface ElectionResult {
  readonly topic: string;
  readonly partitionId: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/**
 * ElectLeaders (Kafka's ReplicationControlManager.electLeaders): a preferred election makes the
 * first replica the leader when it is in the ISR and usable (ELECTION_NOT_NEEDED when it already
 * leads, PREFERRED_LEADER_NOT_AVAILABLE when it may not); an unclean election (Kafka's
 * Election.UNCLEAN, whatever the topic's config) is ELECTION_NOT_NEEDED while the leader is
 * available, else elects the first available in-sync replica, else the first available replica
 * alone in the ISR, else ELIGIBLE_LEADERS_NOT_AVAILABLE. With no partitions named, every partition
 * is tried and only the elected or failed ones are reported.
 */
export function electLeaders(w: ControllerWriter, electionType: number, wanted: readonly { topic: string; partitions: readonly number[] }[] | null): ElectionResult[] {
  const all = wanted === null;
  const targets = all ? [...w.image.topics()].map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partitionId) })) : wanted;
  const results: ElectionResult[] = [];
  for (const { topic, partitions } of targets) {
    const t = w.image.topic(topic);
    for (const id of partitions) {
      const result = (errorCode: number, errorMessage: string | null = null) => results.push({ topic, partitionId: id, errorCode, errorMessage });
      const p = t?.partitions[id];
      if (!p) {
        result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The partition ${topic}-${id} does not exist`);
        continue;
      }
      if (electionType === ElectionType.UNCLEAN) {
        if (p.leader !== NO_LEADER && isUsable(w.image, p.leader)) {
          if (!all) result(ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.');
          continue;
        }
        const clean = electFrom(w.image, p, p.isr);
        const leader = clean !== NO_LEADER ? clean : electUnclean(w.image, p);
        if (leader === NO_LEADER) {
          result(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${id} under strategy UncleanLeaderElectionStrategy`);
          continue;
        }
        emitChange(w, p, clean !== NO_LEADER ? null : [leader], leader);
        result(ErrorCode.NONE);
        continue;
      }
      const preferred = p.replicas[0]!;
      if (p.leader === preferred) {
        if (!all) result(ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.');
        continue;
      }
      if (!p.isr.includes(preferred) || !isUsable(w.image, preferred)) {
        result(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${id} under strategy PreferredReplicaPartitionLeaderElectionStrategy`);
        continue;
      }
      emitChange(w, p, null, preferred);
      result(ErrorCode.NONE);
    }
  }
  return results;
}

/**
 * Automatic preferred leader election (Kafka's auto.leader.rebalance.enable, as
 * `leader.imbalance.per.broker.percentage` describes it): for each broker, the partitions whose
 * preferred (first) replica it is but which another broker leads; when they are more than
 * `percentage`% of the partitions it is preferred for, each of them whose preferred replica is in
 * the ISR and usable gets it back as leader. Partitions being reassigned are left alone. Returns
 * the partitions moved.
 */
export function balanceLeaders(w: ControllerWriter, percentage: number): { topicId: string; partitionId: number }[] {
  const preferredFor = new Map<number, number>();
  const imbalanced = new Map<number, PartitionRegistration[]>();
  for (const t of w.image.topics()) {
    for (const p of t.partitions) {
      const preferred = p.replicas[0];
      if (preferred === undefined) continue;
      preferredFor.set(preferred, (preferredFor.get(preferred) ?? 0) + 1);
      if (p.leader === preferred || p.addingReplicas.length > 0 || p.removingReplicas.length > 0) continue;
      const l = imbalanced.get(preferred) ?? [];
      l.push(p);
      imbalanced.set(preferred, l);
    }
  }
  const moved: { topicId: string; partitionId: number }[] = [];
  for (const [broker, partitions] of imbalanced) {
    if ((partitions.length * 100) / preferredFor.get(broker)! <= percentage) continue;
    if (!isUsable(w.image, broker)) continue;
    for (const p of partitions) {
      if (!p.isr.includes(broker)) continue;
      emitChange(w, p, null, broker);
      moved.push({ topicId: p.topicId, partitionId: p.partitionId });
    }
  }
  return moved;
}
