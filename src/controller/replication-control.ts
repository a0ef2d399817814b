/**
 * Topics and partitions as the controller changes them (Kafka's ReplicationControlManager):
 * CreateTopics, DeleteTopics and CreatePartitions validated against the working image, with
 * Kafka's error codes and wording, and turned into TopicRecord, PartitionRecord, ConfigRecord,
 * RemoveTopicRecord records. Replicas go to usable brokers (registered, not fenced, not shutting
 * down) by `replica-placement.ts`, or where a manual assignment says.
 */
import { topicNameError } from '../common/topic-name.js';
import { type Random } from '../common/random.js';
import { newUuid, ZERO_UUID } from '../common/uuid.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { MetadataRecordType } from '../protocol/metadata/index.js';
import type { ControllerConfig } from './controller-config.js';
import type { ControllerWriter } from './controller-writer.js';
import { ConfigResourceType, NO_LEADER } from './image/image-types.js';
import type { MetadataImage } from './image/metadata-image.js';
import { METADATA_TOPIC } from './raft/offset-and-epoch.js';
import { BrokerLoad, type PlacementBroker, placeReplicas } from './replica-placement.js';

export interface TopicError {
  readonly errorCode: number;
  readonly errorMessage: string;
}

const fail = (errorCode: number, errorMessage: string): TopicError => ({ errorCode, errorMessage });

export interface CreatableTopic {
  readonly name: string;
  /** -1 for `num.partitions`. */
  readonly numPartitions: number;
  /** -1 for `default.replication.factor`. */
  readonly replicationFactor: number;
  /** Explicit replicas per partition, or empty. */
  readonly assignments: readonly { readonly partitionIndex: number; readonly brokerIds: readonly number[] }[];
  readonly configs: readonly (readonly [string, string | null])[];
}

export interface CreatedTopic {
  readonly name: string;
  readonly topicId: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  /** The topic's config overrides. */
  readonly configs: Readonly<Record<string, string>>;
}

/** A topic's outcome: `created` when it was (or, validating only, would be) created, else the error. */
export interface CreateTopicResult {
  readonly name: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly created?: CreatedTopic;
}

/** What replica placement needs from the controller. */
export interface PlacementContext {
  readonly config: ControllerConfig;
  readonly random: Random;
}

/** A new partition's ISR: its replicas that are unfenced (Kafka 4's rule); the leader at least. */
export function initialIsr(image: MetadataImage, replicas: readonly number[], leader: number): number[] {
  const isr = replicas.filter((r) => r === leader || (image.broker(r) !== undefined && !image.broker(r)!.fenced));
  return isr.length > 0 ? isr : [leader];
}

/** A new partition's replicas (in preferred order) and its leader. */
interface Placed {
  readonly replicas: readonly number[];
  readonly leader: number;
}

const placed = (lists: number[][]): Placed[] => lists.map((replicas) => ({ replicas, leader: replicas[0]! }));

/** Brokers new replicas may go to: registered, unfenced and not in controlled shutdown. */
export function usableBrokers(image: MetadataImage): PlacementBroker[] {
  return image.brokers().filter((b) => !b.fenced && !b.inControlledShutdown);
}

export function createTopics(w: ControllerWriter, ctx: PlacementContext, topics: readonly CreatableTopic[], validateOnly: boolean): CreateTopicResult[] {
  const counts = new Map<string, number>();
  for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const load = BrokerLoad.of(w.image);
  return topics.map((t): CreateTopicResult => {
    if (counts.get(t.name)! > 1) return { name: t.name, ...fail(ErrorCode.INVALID_REQUEST, `Create topics request contains multiple entries for the topic ${t.name}`) };
    const planned = planTopic(w.image, ctx.config, t, load);
    if ('errorCode' in planned) return { name: t.name, ...planned };
    const configs = Object.fromEntries(t.configs.filter((c): c is [string, string] => c[1] !== null));
    const created = { name: t.name, topicId: ZERO_UUID, numPartitions: planned.length, replicationFactor: planned[0]!.replicas.length, configs };
    const ok = { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
    if (validateOnly) return { ...ok, created };
    const topicId = newUuid(ctx.random);
    emitTopic(w, t.name, topicId, planned, configs);
    for (const p of planned) load.add(p.replicas);
    return { ...ok, created: { ...created, topicId } };
  });
}

/** Validates one topic and decides its replicas (leader first), or answers why not. */
function planTopic(image: MetadataImage, config: ControllerConfig, t: CreatableTopic, load: BrokerLoad): Placed[] | TopicError {
  const nameError = topicNameError(t.name);
  if (nameError) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
  if (t.name === METADATA_TOPIC) return fail(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${METADATA_TOPIC} is prohibited.`);
  if (image.topic(t.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
  const colliding = image.collidingTopic(t.name);
  if (colliding) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${t.name}' collides with existing topic: ${colliding}`);
  const configError = config.validateTopicConfigs(t.configs);
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      return fail(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
    }
    const bad = assignmentError(image, t.assignments);
    if (bad) return bad;
    if (configError) return fail(ErrorCode.INVALID_CONFIG, configError);
    return [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => withLeader(image, a.brokerIds));
  }
  const partitions = t.numPartitions === -1 ? config.numPartitions : t.numPartitions;
  const rf = t.replicationFactor === -1 ? config.defaultReplicationFactor : t.replicationFactor;
  const max = config.maxPartitionsPerTopic;
  if (partitions <= 0 || partitions > max) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${max}, got ${partitions}.`);
  if (rf <= 0) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
  const usable = usableBrokers(image);
  if (rf > usable.length) {
    return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${usable.length} broker(s) are registered.`);
  }
  if (configError) return fail(ErrorCode.INVALID_CONFIG, configError);
  // Placed on a copy: a failed validation later must not count these partitions.
  const trial = new BrokerLoad();
  for (const [id, n] of load.leaders) trial.leaders.set(id, n);
  for (const [id, n] of load.replicas) trial.replicas.set(id, n);
  return placed(placeReplicas(usable, trial, partitions, rf));
}

/** A manual assignment: the replicas as given, led by the first usable one, as Kafka picks it. */
function withLeader(image: MetadataImage, brokerIds: readonly number[]): Placed {
  const usable = new Set(usableBrokers(image).map((b) => b.id));
  return { replicas: [...brokerIds], leader: brokerIds.find((id) => usable.has(id)) ?? NO_LEADER };
}

function assignmentError(image: MetadataImage, assignments: CreatableTopic['assignments']): TopicError | undefined {
  const indexes = assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
  if (indexes.some((p, i) => p !== i)) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
  const rf = assignments[0]!.brokerIds.length;
  for (const a of assignments) {
    if (a.brokerIds.length !== rf) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'All partitions should have the same number of replicas');
    const bad = replicaListError(image, a.brokerIds, a.partitionIndex);
    if (bad) return bad;
  }
  return undefined;
}

/** Why a manually assigned replica list cannot be used: empty, repeated or unknown brokers, none usable. */
function replicaListError(image: MetadataImage, brokerIds: readonly number[], partition: number): TopicError | undefined {
  if (brokerIds.length === 0 || new Set(brokerIds).size !== brokerIds.length) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Invalid replica assignment for partition ${partition}`);
  const unknown = brokerIds.find((b) => !image.broker(b));
  if (unknown !== undefined) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${unknown} in the assignment of partition ${partition}`);
  const usable = new Set(usableBrokers(image).map((b) => b.id));
  if (!brokerIds.some((b) => usable.has(b))) {
    return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `All brokers specified in the manual partition assignment for partition ${partition} are fenced or in controlled shutdown.`);
  }
  return undefined;
}

function emitTopic(w: ControllerWriter, name: string, topicId: string, partitions: readonly Placed[], configs: Record<string, string>): void {
  w.emit({ apiKey: MetadataRecordType.TopicRecord, data: { name, topicId } });
  partitions.forEach((p, i) => emitPartition(w, topicId, i, p));
  for (const [key, value] of Object.entries(configs)) {
    w.emit({ apiKey: MetadataRecordType.ConfigRecord, data: { resourceType: ConfigResourceType.TOPIC, resourceName: name, name: key, value } });
  }
}

function emitPartition(w: ControllerWriter, topicId: string, partitionId: number, { replicas, leader }: Placed): void {
  w.emit({
    apiKey: MetadataRecordType.PartitionRecord,
    data: { partitionId, topicId, replicas, isr: initialIsr(w.image, replicas, leader), removingReplicas: [], addingReplicas: [], leader, leaderEpoch: 0, partitionEpoch: 0 },
  });
}

// ---- DeleteTopics ----

export interface DeleteTopicResult {
  readonly name: string | null;
  readonly topicId: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** Deletes topics named by name or by id (not both); each answers on its own. */
export function deleteTopics(w: ControllerWriter, config: ControllerConfig, targets: readonly { name: string | null; topicId: string }[]): DeleteTopicResult[] {
  return targets.map(({ name, topicId }): DeleteTopicResult => {
    const result = (errorCode: number, errorMessage: string | null, n = name, id = topicId) => ({ name: n, topicId: id, errorCode, errorMessage });
    if (name !== null && topicId !== ZERO_UUID) return result(ErrorCode.INVALID_REQUEST, 'A topic may be named by its name or its id, not both');
    const topic = name !== null ? w.image.topic(name) : w.image.topicById(topicId);
    if (!topic) {
      return name !== null ? result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`) : result(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${topicId} does not exist`);
    }
    if (!config.deleteTopicEnable) return result(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.', topic.name, topic.id);
    w.emit({ apiKey: MetadataRecordType.RemoveTopicRecord, data: { topicId: topic.id } });
    return result(ErrorCode.NONE, null, topic.name, topic.id);
  });
}

// ---- CreatePartitions ----

export interface PartitionsIncrease {
  readonly name: string;
  /** The new partition count. */
  readonly count: number;
  /** Replicas of each new partition, or null to place them. */
  readonly assignments: readonly (readonly number[])[] | null;
}

export function createPartitions(w: ControllerWriter, config: ControllerConfig, topics: readonly PartitionsIncrease[], validateOnly: boolean): ({ name: string } & (TopicError | { errorCode: 0; errorMessage: null }))[] {
  const counts = new Map<string, number>();
  for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const load = BrokerLoad.of(w.image);
  return topics.map((t) => {
    if (counts.get(t.name)! > 1) return { name: t.name, ...fail(ErrorCode.INVALID_REQUEST, `Duplicate topic in request: ${t.name}`) };
    const planned = planPartitions(w.image, config, t, load);
    if (!Array.isArray(planned)) return { name: t.name, ...planned };
    if (!validateOnly) {
      const topic = w.image.topic(t.name)!;
      planned.forEach((p, i) => emitPartition(w, topic.id, topic.partitionCount + i, p));
    }
    return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
  });
}

function planPartitions(image: MetadataImage, config: ControllerConfig, t: PartitionsIncrease, load: BrokerLoad): Placed[] | TopicError {
  const topic = image.topic(t.name);
  if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${t.name} does not exist`);
  const current = topic.partitionCount;
  if (t.count <= current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${t.count}.`);
  if (t.count > config.maxPartitionsPerTopic) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be at most ${config.maxPartitionsPerTopic}`);
  if (t.assignments !== null) {
    if (t.assignments.length !== t.count - current) {
      return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${t.count - current} but ${t.assignments.length} assignments provided.`);
    }
    for (const [i, brokerIds] of t.assignments.entries()) {
      const bad = replicaListError(image, brokerIds, current + i);
      if (bad) return bad;
      if (brokerIds.length !== topic.replicationFactor) {
        return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Inconsistent replication factor between partitions, partition 0 has ${topic.replicationFactor} while partitions [${current + i}] have replication factors [${brokerIds.length}], respectively.`);
      }
    }
    return t.assignments.map((ids) => withLeader(image, ids));
  }
  const usable = usableBrokers(image);
  if (topic.replicationFactor > usable.length) {
    return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${topic.replicationFactor} time(s): The target replication factor of ${topic.replicationFactor} cannot be reached because only ${usable.length} broker(s) are registered.`);
  }
  return placed(placeReplicas(usable, load, t.count - current, topic.replicationFactor));
}
