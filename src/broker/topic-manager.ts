/**
 * Topic lifecycle on this node: create (with Kafka's validation and error codes), delete, add
 * partitions, alter configs, auto-create, and each topic's effective config. The metadata
 * snapshot is the source of truth; the partition logs follow it.
 */
import type { Logger } from 'pino';
import type { LogConfig } from '../log/log-config.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerConfig } from './config/broker-config.js';
import { ConfigError, type ConfigValue } from '../common/config-def.js';
import { type EffectiveTopicConfig, effectiveTopicConfig, parseTopicOverrides } from './config/topic-configs.js';
import type { ClusterMetadata, TopicMetadata } from './metadata/cluster-metadata.js';
import { topicNameError } from './metadata/topic-name.js';
import { LIMITS } from './limits.js';

/** What the topic manager needs from the log layer (LogManager provides it). */
export interface PartitionStore {
  createLog(topic: string, partition: number, config: LogConfig): Promise<unknown>;
  deleteLog(topic: string, partition: number): Promise<void>;
  updateConfig(topic: string, config: LogConfig): void | Promise<void>;
}

export interface TopicError {
  errorCode: number;
  errorMessage: string;
}

export interface CreateTopicRequest {
  name: string;
  /** -1 for the broker's num.partitions. */
  numPartitions: number;
  /** -1 for the broker's default.replication.factor. */
  replicationFactor: number;
  /** Explicit replica assignment per partition, or empty. */
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: [string, string | null][];
}

/** A topic that passed validation, before it has an id. */
export type NewTopic = Omit<TopicMetadata, 'id'>;

export function isTopicError(x: object): x is TopicError {
  return 'errorCode' in x;
}

const err = (errorCode: number, errorMessage: string): TopicError => ({ errorCode, errorMessage });

export class TopicManager {
  private readonly effective = new Map<string, EffectiveTopicConfig>();

  constructor(
    private readonly metadata: ClusterMetadata,
    private readonly config: BrokerConfig,
    private readonly store: PartitionStore,
    private readonly log: Logger,
    /** Broker ids a replica may be assigned to (this node alone until clustering). */
    private readonly brokerIds: readonly number[],
  ) {}

  /** Validates a create request as Kafka does; returns the topic to create or the error. */
  validateCreate(req: CreateTopicRequest): NewTopic | TopicError {
    const nameError = topicNameError(req.name);
    if (nameError) return err(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
    if (this.metadata.topic(req.name)) return err(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${req.name}' already exists.`);
    const colliding = this.metadata.collidingTopic(req.name);
    if (colliding) return err(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${req.name}' collides with existing topic: ${colliding}`);
    let partitions: number;
    let replicationFactor: number;
    if (req.assignments.length > 0) {
      if (req.numPartitions !== -1 || req.replicationFactor !== -1) {
        return err(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      const bad = this.assignmentError(req.assignments);
      if (bad) return bad;
      partitions = req.assignments.length;
      replicationFactor = req.assignments[0]!.brokerIds.length;
    } else {
      partitions = req.numPartitions === -1 ? this.config.num('num.partitions') : req.numPartitions;
      replicationFactor = req.replicationFactor === -1 ? this.config.num('default.replication.factor') : req.replicationFactor;
      if (partitions <= 0 || partitions > LIMITS.maxPartitionsPerTopic) return err(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${LIMITS.maxPartitionsPerTopic}, got ${partitions}.`);
      if (replicationFactor <= 0) return err(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
      if (replicationFactor > this.brokerIds.length) {
        return err(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${this.brokerIds.length} broker(s) are registered.`);
      }
    }
    try {
      parseTopicOverrides(req.configs);
    } catch (e) {
      if (e instanceof ConfigError) return err(ErrorCode.INVALID_CONFIG, e.message);
      throw e;
    }
    const configs = Object.fromEntries(req.configs.map(([k, v]) => [k, String(v)]));
    return { name: req.name, partitions, replicationFactor, configs };
  }

  private assignmentError(assignments: CreateTopicRequest['assignments']): TopicError | undefined {
    const indexes = assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
    if (indexes.some((p, i) => p !== i)) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'Partitions should be a consecutive 0-based integer sequence' };
    const rf = assignments[0]!.brokerIds.length;
    for (const a of assignments) {
      if (a.brokerIds.length !== rf) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'All partitions should have the same number of replicas' };
      if (a.brokerIds.length === 0 || new Set(a.brokerIds).size !== a.brokerIds.length) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Invalid replica assignment for partition ${a.partitionIndex}` };
      const unknown = a.brokerIds.find((b) => !this.brokerIds.includes(b));
      if (unknown !== undefined) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Unknown broker ${unknown} in the assignment of partition ${a.partitionIndex}` };
    }
    return undefined;
  }

  /** Creates a topic: validates, records it in the metadata, creates its partition logs. */
  async create(req: CreateTopicRequest, validateOnly = false): Promise<NewTopic | TopicError> {
    const v = this.validateCreate(req);
    if (isTopicError(v) || validateOnly) return v;
    const topic = await this.metadata.createTopic(v);
    const config = this.effectiveConfig(topic.name).log;
    await Promise.all(Array.from({ length: topic.partitions }, (_, p) => this.store.createLog(topic.name, p, config)));
    this.log.info({ topic: topic.name, id: topic.id, partitions: topic.partitions, configs: topic.configs }, 'created topic');
    return topic;
  }

  /** Creates a topic a client referred to, if auto-creation is on and the name is valid. */
  async autoCreate(name: string): Promise<TopicMetadata | TopicError> {
    const existing = this.metadata.topic(name);
    if (existing) return existing;
    if (!this.config.bool('auto.create.topics.enable')) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${name} does not exist` };
    const r = await this.create({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] });
    // A concurrent request may have created it in the meantime.
    return isTopicError(r) ? (this.metadata.topic(name) ?? r) : (r as TopicMetadata);
  }

  async delete(name: string): Promise<TopicError | undefined> {
    const topic = this.metadata.topic(name);
    if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${name} does not exist` };
    if (!this.config.bool('delete.topic.enable')) return { errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: 'Topic deletion is disabled.' };
    await this.metadata.deleteTopic(name);
    this.effective.delete(name);
    await Promise.all(Array.from({ length: topic.partitions }, (_, p) => this.store.deleteLog(name, p)));
    this.log.info({ topic: name, id: topic.id }, 'deleted topic');
    return undefined;
  }

  async createPartitions(name: string, count: number, validateOnly: boolean): Promise<TopicError | undefined> {
    const topic = this.metadata.topic(name);
    if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${name} does not exist` };
    if (count <= topic.partitions) {
      return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Topic currently has ${topic.partitions} partitions, which is higher than the requested ${count}.` };
    }
    if (count > LIMITS.maxPartitionsPerTopic) return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Number of partitions must be at most ${LIMITS.maxPartitionsPerTopic}` };
    if (validateOnly) return undefined;
    const config = this.effectiveConfig(name).log;
    for (let p = topic.partitions; p < count; p++) await this.store.createLog(name, p, config);
    await this.metadata.updateTopic(name, { partitions: count });
    return undefined;
  }

  /** Replaces a topic's config overrides (AlterConfigs) after validating them. */
  async setConfigs(name: string, configs: Record<string, string>, validateOnly: boolean): Promise<TopicError | undefined> {
    if (!this.metadata.topic(name)) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${name} does not exist` };
    try {
      parseTopicOverrides(Object.entries(configs));
    } catch (e) {
      if (e instanceof ConfigError) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: e.message };
      throw e;
    }
    if (validateOnly) return undefined;
    await this.metadata.updateTopic(name, { configs });
    this.effective.delete(name);
    await this.store.updateConfig(name, this.effectiveConfig(name).log);
    return undefined;
  }

  /** The config overrides of a topic, parsed. */
  overrides(name: string): Map<string, ConfigValue> {
    const topic = this.metadata.topic(name);
    return topic ? parseTopicOverrides(Object.entries(topic.configs)) : new Map();
  }

  /** A topic's effective log settings and produce policy (cached until its configs change). */
  effectiveConfig(name: string): EffectiveTopicConfig {
    let e = this.effective.get(name);
    if (!e) {
      e = effectiveTopicConfig(this.overrides(name), this.config.props);
      this.effective.set(name, e);
    }
    return e;
  }
}
