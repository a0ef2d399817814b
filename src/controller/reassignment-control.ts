/**
 * Partition reassignment as Kafka 4's controller does it (ReplicationControlManager's
 * alterPartitionReassignments and listPartitionReassignments, PartitionReassignmentReplicas,
 * PartitionReassignmentRevert): a reassignment to a target replica set writes one
 * PartitionChangeRecord with replicas = target + the replicas it removes, and the adding and
 * removing replicas. Brokers that are new replicas create the log and fetch from the leader; as
 * they catch up the leader adds them to the ISR (AlterPartition), and the change that puts the
 * last adding replica in the ISR completes the reassignment (partition-control.ts): the replicas
 * become the target, removed replicas leave (their brokers delete the log), and leadership moves
 * if the leader was removed. A target whose replicas are all in the ISR already (a shrink)
 * completes at once. Null replicas cancel a reassignment in progress: the adding replicas are
 * dropped and the original assignment stays.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { ControllerWriter } from './controller-writer.js';
import { NO_LEADER, NO_LEADER_CHANGE, type PartitionRegistration } from './image/image-types.js';
import type { MetadataImage } from './image/metadata-image.js';
import { type AssignmentChange, completedReassignment, emitAssignmentChange, isUsable } from './partition-control.js';

export interface ReassignableTopic {
  readonly name: string;
  readonly partitions: readonly { readonly partitionIndex: number; readonly replicas: readonly number[] | null }[];
}

export interface ReassignmentOutcome {
  readonly name: string;
  readonly partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[];
}

class ReassignmentError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** AlterPartitionReassignments: each partition answers on its own. */
export function alterPartitionReassignments(w: ControllerWriter, topics: readonly ReassignableTopic[]): ReassignmentOutcome[] {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map(({ partitionIndex, replicas }) => {
      try {
        const p = w.image.topic(t.name)?.partitions[partitionIndex];
        if (!p) throw new ReassignmentError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${t.name}:${partitionIndex}.`);
        const change = replicas === null ? revert(w.image, t.name, p) : reassign(w.image, p, replicas);
        if (change) emitAssignmentChange(w, p, change);
        return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (err) {
        if (!(err instanceof ReassignmentError)) throw err;
        return { partitionIndex, errorCode: err.errorCode, errorMessage: err.message };
      }
    }),
  }));
}

const invalid = (message: string) => new ReassignmentError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, message);

/** Kafka's validateManualPartitionAssignment. */
function validateTarget(image: MetadataImage, target: readonly number[]): void {
  if (target.length === 0) throw invalid('The manual partition assignment includes an empty replica list.');
  const seen = new Set<number>();
  for (const id of [...target].sort((a, b) => a - b)) {
    if (!image.broker(id)) throw invalid(`The manual partition assignment includes broker ${id}, but no such broker is registered.`);
    if (seen.has(id)) throw invalid(`The manual partition assignment includes the broker ${id} more than once.`);
    seen.add(id);
  }
}

/** The change a new target makes (Kafka's changePartitionReassignment), or undefined when there is none. */
function reassign(image: MetadataImage, p: PartitionRegistration, target: readonly number[]): AssignmentChange | undefined {
  validateTarget(image, target);
  const removing = p.replicas.filter((r) => !target.includes(r));
  const adding = target.filter((r) => !p.replicas.includes(r));
  const replicas = [...target, ...removing];
  const started: PartitionRegistration = { ...p, replicas, addingReplicas: adding, removingReplicas: removing };
  const completed = completedReassignment(image, started, p.isr);
  if (completed) return completed;
  if (adding.length === 0 && removing.length === 0) {
    // The same replicas (perhaps reordered): a reassignment in progress, if any, is over.
    const same = replicas.every((r, i) => r === p.replicas[i]) && p.addingReplicas.length === 0 && p.removingReplicas.length === 0;
    return same ? undefined : { replicas, isr: p.isr, adding: [], removing: [], leader: NO_LEADER_CHANGE };
  }
  return { replicas, isr: p.isr, adding, removing, leader: NO_LEADER_CHANGE };
}

/** Cancels a reassignment in progress (Kafka's PartitionReassignmentRevert): the adding replicas go. */
function revert(image: MetadataImage, topic: string, p: PartitionRegistration): AssignmentChange {
  if (p.addingReplicas.length === 0 && p.removingReplicas.length === 0) {
    throw new ReassignmentError(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `No ongoing reassignment for ${topic}-${p.partitionId}.`);
  }
  const replicas = p.replicas.filter((r) => !p.addingReplicas.includes(r));
  const isr = p.isr.filter((r) => !p.addingReplicas.includes(r));
  if (isr.length === 0) {
    throw invalid(`Unable to revert partition assignment for ${topic}:${p.partitionId} because it would require an unclean leader election.`);
  }
  let leader = p.leader;
  if (!isr.includes(leader)) {
    leader = replicas.find((r) => isr.includes(r) && isUsable(image, r)) ?? NO_LEADER;
    if (leader === NO_LEADER) throw invalid(`Unable to revert partition assignment for ${topic}:${p.partitionId}: no in-sync replica of the original assignment may lead.`);
  } else {
    leader = NO_LEADER_CHANGE;
  }
  return { replicas, isr, adding: [], removing: [], leader };
}

export interface OngoingReassignment {
  readonly name: string;
  readonly partitions: { partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[];
}

/** ListPartitionReassignments: the named partitions (null: every partition) that are being reassigned; unknown ones are left out, as Kafka does. */
export function listPartitionReassignments(image: MetadataImage, topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null): OngoingReassignment[] {
  const wanted = topics ?? [...image.topics()].map((t) => ({ name: t.name, partitionIndexes: t.partitions.map((p) => p.partitionId) }));
  const out: OngoingReassignment[] = [];
  for (const { name, partitionIndexes } of wanted) {
    const t = image.topic(name);
    if (!t) continue;
    const partitions = partitionIndexes
      .map((i) => t.partitions[i])
      .filter((p): p is PartitionRegistration => p !== undefined && (p.addingReplicas.length > 0 || p.removingReplicas.length > 0))
      .map((p) => ({ partitionIndex: p.partitionId, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] }));
    if (partitions.length > 0) out.push({ name, partitions });
  }
  return out;
}
