/**
 * The admin client: topics (create, delete, list, describe, add partitions), configs (describe,
 * incremental alter), groups (list, describe with decoded assignments, committed offsets, lag,
 * reset offsets, delete), transactions (list, describe, a partition's producers), the cluster,
 * offsets of partitions, and deleting records. Requests go to
 * the broker that can answer them (the controller, a partition's leader, a group's coordinator)
 * and are sent at the highest version both sides serve, with each version's request shape.
 *
 * ACLs, SCRAM credentials and client quotas are in admin-security.ts.
 */
import {
  ConsumerGroupDescribeApi,
  CreatePartitionsApi,
  CreateTopicsApi,
  DeleteGroupsApi,
  DeleteRecordsApi,
  DeleteTopicsApi,
  DescribeClusterApi,
  DescribeConfigsApi,
  DescribeGroupsApi,
  DescribeLogDirsApi,
  DescribeQuorumApi,
  ElectLeadersApi,
  AlterPartitionReassignmentsApi,
  ListPartitionReassignmentsApi,
  IncrementalAlterConfigsApi,
  ListGroupsApi,
  ListOffsetsApi,
  OffsetCommitApi,
  OffsetDeleteApi,
  OffsetFetchApi,
} from '../protocol/messages/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ZERO_UUID } from '../protocol/primitives/codec-support.js';
import { SAMSA_TAG, flagTag, hasFlag, hasTag } from '../protocol/samsa-tagged-fields.js';
import {
  type ListTransactionsOptions,
  type ListedTransaction,
  type ProducerState,
  type TransactionDescription,
  describeProducers,
  describeTransactions,
  listTransactions,
} from './admin-transactions.js';
import type { BrokerInfo, Cluster, TopicInfo } from './cluster.js';
import { decodeAssignment } from './consumer/group-membership.js';
import { KafkaProtocolError, SamsaClientError, throwIfError } from './errors.js';
import * as security from './admin-security.js';
import type { Acl, AclFilter, DescribedAcl, QuotaEntityInput, ScramAlteration } from './admin-security.js';
import type { ScramMechanism } from '../protocol/sasl/scram.js';

export interface NewTopic {
  name: string;
  /** Default -1: the broker's num.partitions. */
  partitions?: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Partitions assigned, by topic (decoded from the consumer protocol; empty for other protocols). */
  assignment: Record<string, number[]>;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMember[];
}

export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface GroupPartitionLag {
  topic: string;
  partition: number;
  /** -1 when the group has committed nothing for the partition. */
  committed: bigint;
  logEndOffset: bigint;
  /** logEndOffset - committed, or null without a commit. */
  lag: bigint | null;
  metadata: string | null;
}

export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number | bigint } | { offset: bigint };

/** Where a reset moves a group's offsets (kafka-consumer-groups --reset-offsets): an OffsetSpec, the committed offset, or that moved by `shiftBy`. */
export type ResetSpec = OffsetSpec | 'current' | { shiftBy: bigint };

/** A member of the metadata quorum as its leader sees it (DescribeQuorum). */
export interface QuorumReplica {
  nodeId: number;
  logEndOffset: bigint;
  /** ms since the epoch, -1 when unknown (the leader itself). */
  lastFetchTimestamp: bigint;
  lastCaughtUpTimestamp: bigint;
}

export interface QuorumDescription {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: bigint;
  voters: QuorumReplica[];
  observers: QuorumReplica[];
  /** The voters' controller endpoints (DescribeQuorum v2). */
  nodes: { nodeId: number; listeners: { name: string; host: string; port: number }[] }[];
}

export interface ClusterNodes {
  clusterId: string | null;
  /** The active controller (-1 when the broker knows none). */
  activeControllerId: number;
  /** Registered brokers; `fenced` is known only from Samsa brokers (null from others, which list unfenced brokers only). */
  brokers: (BrokerInfo & { fenced: boolean | null })[];
  /** The controllers (the quorum's voters), when the broker says. */
  controllers: { nodeId: number; host: string; port: number }[];
}

/** A partition's new replicas (preferred leader first), or null to cancel its reassignment. */
export interface PartitionReassignment {
  topic: string;
  partition: number;
  replicas: readonly number[] | null;
}

/** One partition's answer: errorCode 0, or Kafka's error code and message. */
export interface PartitionOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
const EARLIEST = -2n;
const LATEST = -1n;

export interface LogDirDescription {
  logDir: string;
  errorCode: number;
  /** The file system's bytes (DescribeLogDirs v4+; null from older brokers). */
  totalBytes: bigint | null;
  usableBytes: bigint | null;
  partitions: { topic: string; partition: number; size: bigint; offsetLag: bigint }[];
}

export class Admin {
  constructor(private readonly cluster: Cluster) {}

  async createTopics(topics: readonly NewTopic[], opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const conn = await this.controller();
    const res = await conn.send(CreateTopicsApi, {
      topics: topics.map((t) => ({ name: t.name, numPartitions: t.partitions ?? -1, replicationFactor: t.replicationFactor ?? -1, assignments: [], configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })) })),
      timeoutMs: opts.timeoutMs ?? 30_000,
      validateOnly: opts.validateOnly ?? false,
    });
    for (const t of res.topics) throwIfError(t.errorCode, t.errorMessage ?? `topic ${t.name}`);
    for (const t of topics) this.cluster.invalidate(t.name);
  }

  async deleteTopics(names: readonly string[], timeoutMs = 30_000): Promise<void> {
    const conn = await this.controller();
    const v = conn.versionFor(DeleteTopicsApi as never) ?? 0;
    const res = await conn.send(DeleteTopicsApi, v >= 6 ? { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), timeoutMs } : { topicNames: names, timeoutMs });
    for (const r of res.responses) throwIfError(r.errorCode, r.errorMessage ?? `topic ${r.name}`);
    for (const n of names) this.cluster.invalidate(n);
  }

  /** Topic names, internal topics (e.g. __consumer_offsets) only when asked. */
  async listTopics(opts: { includeInternal?: boolean } = {}): Promise<string[]> {
    const all = await this.cluster.allTopics();
    return all.filter((t) => opts.includeInternal || !t.isInternal).map((t) => t.name).sort();
  }

  /** Partitions, leaders and replicas of each topic; throws UNKNOWN_TOPIC_OR_PARTITION for a missing one. */
  async describeTopics(names: readonly string[]): Promise<TopicInfo[]> {
    const found = await this.cluster.metadata(names, { refresh: true });
    return names.map((n) => {
      const t = found.get(n);
      if (!t) throw new KafkaProtocolError(3, `topic ${n}`);
      return t;
    });
  }

  /** Grows a topic to `count` partitions. */
  async createPartitions(topic: string, count: number): Promise<void> {
    const conn = await this.controller();
    const res = await conn.send(CreatePartitionsApi, { topics: [{ name: topic, count, assignments: null }], timeoutMs: 30_000, validateOnly: false });
    for (const r of res.results) throwIfError(r.errorCode, r.errorMessage ?? `topic ${r.name}`);
    this.cluster.invalidate(topic);
  }

  /** A topic's (or with `broker`, a broker's) configs: name → value, source, whether it is the default. */
  async describeConfigs(resource: { topic: string } | { broker: number }): Promise<{ name: string; value: string | null; source: number; isDefault: boolean; readOnly: boolean; isSensitive: boolean }[]> {
    // A broker's configs are its own to describe (another broker answers INVALID_REQUEST).
    const conn = 'broker' in resource ? await this.cluster.brokerConnection(resource.broker) : await this.cluster.any();
    const res = await conn.send(DescribeConfigsApi, { resources: [{ resourceType: 'topic' in resource ? RESOURCE_TOPIC : RESOURCE_BROKER, resourceName: 'topic' in resource ? resource.topic : String(resource.broker), configurationKeys: null }] });
    const r = res.results[0]!;
    throwIfError(r.errorCode, r.errorMessage);
    return r.configs.map((c) => ({ name: c.name, value: c.value, source: c.configSource, isDefault: c.configSource === 5 || c.isDefault, readOnly: c.readOnly, isSensitive: c.isSensitive })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Sets (a string) or removes (null: back to the default) topic configs. */
  alterTopicConfigs(topic: string, changes: Record<string, string | null>): Promise<void> {
    return this.alterConfigs(RESOURCE_TOPIC, topic, changes);
  }

  /** Sets (a string) or removes (null) run-time configs of a broker, or with `null` the cluster-wide defaults. */
  alterBrokerConfigs(broker: number | null, changes: Record<string, string | null>): Promise<void> {
    return this.alterConfigs(RESOURCE_BROKER, broker === null ? '' : String(broker), changes);
  }

  private async alterConfigs(resourceType: number, resourceName: string, changes: Record<string, string | null>): Promise<void> {
    // A broker's own values go to that broker, which checks the ones only it can (new certificates), as Kafka's admin client sends them.
    const conn = resourceType === RESOURCE_BROKER && resourceName !== '' ? await this.cluster.brokerConnection(Number(resourceName)) : await this.cluster.any();
    const res = await conn.send(IncrementalAlterConfigsApi, {
      resources: [{ resourceType, resourceName, configs: Object.entries(changes).map(([name, value]) => ({ name, configOperation: value === null ? 1 : 0, value })) }],
      validateOnly: false,
    });
    for (const r of res.responses) throwIfError(r.errorCode, r.errorMessage);
  }

  /** A broker's log directories and the size of each partition it holds (of `topics`, or all). */
  async describeLogDirs(broker: number, topics?: readonly string[]): Promise<LogDirDescription[]> {
    const conn = await this.cluster.brokerConnection(broker);
    const wanted = topics ? await Promise.all(topics.map(async (topic) => ({ topic, partitions: (await this.cluster.topic(topic)).partitions.map((p) => p.partition) }))) : null;
    const res = await conn.send(DescribeLogDirsApi, { topics: wanted });
    throwIfError(res.errorCode, `broker ${broker}`);
    return res.results.map((r) => ({
      logDir: r.logDir,
      errorCode: r.errorCode,
      totalBytes: r.totalBytes < 0n ? null : r.totalBytes,
      usableBytes: r.usableBytes < 0n ? null : r.usableBytes,
      partitions: r.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag }))),
    }));
  }

  async describeCluster(): Promise<{ clusterId: string | null; controllerId: number; brokers: BrokerInfo[] }> {
    const conn = await this.cluster.any();
    if (conn.versionFor(DescribeClusterApi as never) === undefined) {
      await this.cluster.allTopics();
      return { clusterId: this.cluster.clusterId, controllerId: this.cluster.controllerId, brokers: [...this.cluster.brokers.values()] };
    }
    const res = await conn.send(DescribeClusterApi, { includeClusterAuthorizedOperations: false });
    throwIfError(res.errorCode, res.errorMessage);
    return { clusterId: res.clusterId, controllerId: res.controllerId, brokers: res.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })) };
  }

  /** The metadata quorum (KRaft): its leader, epoch, high watermark, voters and observers. */
  async describeQuorum(): Promise<QuorumDescription> {
    const conn = await this.cluster.any();
    const res = await conn.send(DescribeQuorumApi, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
    throwIfError(res.errorCode, res.errorMessage);
    const p = res.topics[0]?.partitions[0];
    if (!p) throw new KafkaProtocolError(-1, 'DescribeQuorum answered no partition');
    throwIfError(p.errorCode, p.errorMessage);
    const replica = (r: (typeof p.currentVoters)[number]): QuorumReplica => ({ nodeId: r.replicaId, logEndOffset: r.logEndOffset, lastFetchTimestamp: r.lastFetchTimestamp, lastCaughtUpTimestamp: r.lastCaughtUpTimestamp });
    return {
      leaderId: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      highWatermark: p.highWatermark,
      voters: p.currentVoters.map(replica),
      observers: p.observers.map(replica),
      nodes: res.nodes.map((n) => ({ nodeId: n.nodeId, listeners: n.listeners.map(({ name, host, port }) => ({ name, host, port })) })),
    };
  }

  /** Brokers (fenced ones too, from a Samsa broker), the controllers and which of them is active. */
  async describeClusterNodes(): Promise<ClusterNodes> {
    const conn = await this.cluster.any();
    const version = conn.versionFor(DescribeClusterApi as never);
    if (version === undefined) {
      const c = await this.describeCluster();
      return { clusterId: c.clusterId, activeControllerId: -1, brokers: c.brokers.map((b) => ({ ...b, fenced: null })), controllers: [] };
    }
    const res = await conn.send(DescribeClusterApi, { includeClusterAuthorizedOperations: false, unknownTaggedFields: [flagTag(SAMSA_TAG.INCLUDE_FENCED_BROKERS, true)] });
    throwIfError(res.errorCode, res.errorMessage);
    const brokers = res.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack, fenced: hasTag(b.unknownTaggedFields, SAMSA_TAG.IS_FENCED) ? hasFlag(b.unknownTaggedFields, SAMSA_TAG.IS_FENCED) : null }));
    if (version < 1) return { clusterId: res.clusterId, activeControllerId: -1, brokers, controllers: [] };
    const ctl = await conn.send(DescribeClusterApi, { includeClusterAuthorizedOperations: false, endpointType: 2 });
    const controllers = ctl.errorCode === 0 ? ctl.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port })) : [];
    return { clusterId: res.clusterId, activeControllerId: ctl.errorCode === 0 ? ctl.controllerId : -1, brokers, controllers };
  }

  /** Groups with their state and protocol type, optionally only those in the given states. */
  async listGroups(states: readonly string[] = []): Promise<{ groupId: string; state: string; protocolType: string }[]> {
    await this.cluster.allTopics();
    const out: { groupId: string; state: string; protocolType: string }[] = [];
    for (const nodeId of this.cluster.brokers.keys()) {
      const conn = await this.cluster.connectionTo(nodeId);
      const res = await conn.send(ListGroupsApi, (conn.versionFor(ListGroupsApi as never) ?? 0) >= 4 ? { statesFilter: states } : {});
      throwIfError(res.errorCode);
      for (const g of res.groups) if (states.length === 0 || states.some((s) => s.toLowerCase() === g.groupState.toLowerCase())) out.push({ groupId: g.groupId, state: g.groupState, protocolType: g.protocolType });
    }
    return out.sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  /**
   * A group's state and members: a KIP-848 consumer group as ConsumerGroupDescribe gives it (its
   * protocol is its assignor's name), else a classic group as DescribeGroups does, as Kafka's admin
   * client falls back.
   */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    const consumerGroup = await this.cluster.withCoordinator(groupId, 'group', async (conn) => {
      if (conn.versionFor(ConsumerGroupDescribeApi as never) === undefined) return undefined;
      const g = (await conn.send(ConsumerGroupDescribeApi, { groupIds: [groupId], includeAuthorizedOperations: false })).groups[0]!;
      if (g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return undefined;
      throwIfError(g.errorCode, `group ${groupId}`);
      return g;
    });
    if (consumerGroup) {
      return {
        groupId,
        state: consumerGroup.groupState,
        protocolType: 'consumer',
        protocol: consumerGroup.assignorName,
        members: consumerGroup.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.instanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          assignment: Object.fromEntries(m.assignment.topicPartitions.map((t) => [t.topicName, t.partitions])),
        })),
      };
    }
    const g = await this.cluster.withCoordinator(groupId, 'group', async (conn) => {
      const res = await conn.send(DescribeGroupsApi, { groups: [groupId] });
      throwIfError(res.groups[0]!.errorCode, `group ${groupId}`);
      return res.groups[0]!;
    });
    return {
      groupId: g.groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      members: g.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, assignment: g.protocolType === 'consumer' ? Object.fromEntries(decodeAssignment(m.memberAssignment)) : {} })),
    };
  }

  /** The group's committed offsets (every partition it has committed, or those of `topics`). */
  async fetchOffsets(groupId: string, topics?: readonly string[]): Promise<{ topic: string; partition: number; offset: bigint; metadata: string | null }[]> {
    const wanted = topics ? await Promise.all(topics.map(async (name) => ({ name, partitionIndexes: (await this.cluster.topic(name)).partitions.map((p) => p.partition) }))) : null;
    const group = await this.cluster.withCoordinator(groupId, 'group', async (conn) => {
      const v = conn.versionFor(OffsetFetchApi as never) ?? 0;
      const res = await conn.send(OffsetFetchApi, v >= 8 ? { groups: [{ groupId, topics: wanted }] } : { groupId, topics: wanted });
      const answer = v >= 8 ? res.groups[0]! : { errorCode: res.errorCode, topics: res.topics };
      throwIfError(answer.errorCode, `group ${groupId}`);
      return answer;
    });
    const out: { topic: string; partition: number; offset: bigint; metadata: string | null }[] = [];
    for (const t of group.topics) {
      for (const p of t.partitions) {
        throwIfError(p.errorCode, `${t.name}-${p.partitionIndex}`);
        out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata });
      }
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /** Committed offset, log end offset and lag of every partition the group has committed (or of `topics`). */
  async groupLag(groupId: string, topics?: readonly string[]): Promise<GroupPartitionLag[]> {
    const committed = await this.fetchOffsets(groupId, topics);
    const ends = await this.listOffsets(committed.map((c) => ({ topic: c.topic, partition: c.partition })), 'latest');
    const end = new Map(ends.map((e) => [`${e.topic}:${e.partition}`, e.offset]));
    return committed.map((c) => {
      const logEndOffset = end.get(`${c.topic}:${c.partition}`) ?? -1n;
      return { topic: c.topic, partition: c.partition, committed: c.offset, logEndOffset, lag: c.offset < 0n ? null : logEndOffset - c.offset, metadata: c.metadata };
    });
  }

  /** The offset of each partition at `spec`: earliest, latest, the first at or after a timestamp. */
  async listOffsets(partitions: readonly { topic: string; partition: number }[], spec: 'earliest' | 'latest' | { timestamp: number | bigint }): Promise<PartitionOffset[]> {
    const timestamp = spec === 'earliest' ? EARLIEST : spec === 'latest' ? LATEST : BigInt(spec.timestamp);
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    for (const p of partitions) {
      const leader = (await this.cluster.topic(p.topic)).partitions[p.partition]?.leader;
      if (leader === undefined) throw new KafkaProtocolError(3, `${p.topic}-${p.partition}`);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    const out: PartitionOffset[] = [];
    for (const [leader, ps] of byLeader) {
      const conn = await this.cluster.connectionTo(leader);
      const topics = new Map<string, number[]>();
      for (const p of ps) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
      const res = await conn.send(ListOffsetsApi, { replicaId: -1, topics: [...topics].map(([name, parts]) => ({ name, partitions: parts.map((partitionIndex) => ({ partitionIndex, timestamp })) })) });
      for (const t of res.topics) {
        for (const p of t.partitions) {
          throwIfError(p.errorCode, `${t.name}-${p.partitionIndex}`);
          out.push({ topic: t.name, partition: p.partitionIndex, offset: p.offset });
        }
      }
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /**
   * Moves an inactive group's committed offsets of `topic` (all partitions) to `spec`, as
   * planOffsetReset computes them. A group with members refuses (Kafka answers UNKNOWN_MEMBER_ID
   * to a commit from outside the group).
   */
  async resetOffsets(groupId: string, topic: string, spec: ResetSpec): Promise<PartitionOffset[]> {
    const partitions = (await this.cluster.topic(topic)).partitions.map((p) => ({ topic, partition: p.partition }));
    const targets = await this.planOffsetReset(groupId, partitions, spec);
    await this.commitGroupOffsets(groupId, targets);
    return targets;
  }

  /**
   * The offsets `spec` moves a group's `partitions` to, as kafka-consumer-groups --reset-offsets
   * computes them: a given or shifted offset is kept between the partition's earliest and latest
   * offsets; a time no record is at or after is the log end; `current` is the committed offset,
   * else the log end; a shift needs a committed offset.
   */
  async planOffsetReset(groupId: string, partitions: readonly { topic: string; partition: number }[], spec: ResetSpec): Promise<PartitionOffset[]> {
    if (spec === 'earliest' || spec === 'latest') return this.listOffsets(partitions, spec);
    const key = (p: { topic: string; partition: number }) => `${p.topic}-${p.partition}`;
    const latest = await this.listOffsets(partitions, 'latest');
    if (typeof spec === 'object' && 'timestamp' in spec) {
      const found = await this.listOffsets(partitions, spec);
      return found.map((p, i) => (p.offset >= 0n ? p : latest[i]!));
    }
    if (typeof spec === 'object' && 'offset' in spec) return this.withinLog(partitions, latest, () => spec.offset);
    const committed = new Map((await this.fetchOffsets(groupId, [...new Set(partitions.map((p) => p.topic))])).filter((o) => o.offset >= 0n).map((o) => [key(o), o.offset]));
    if (spec === 'current') return latest.map((p) => ({ ...p, offset: committed.get(key(p)) ?? p.offset }));
    return this.withinLog(partitions, latest, (p) => {
      const c = committed.get(key(p));
      if (c === undefined) throw new SamsaClientError('SAMSA_NO_OFFSET', `cannot shift the offset of ${key(p)}: group ${groupId} has no committed offset for it`);
      return c + spec.shiftBy;
    });
  }

  /** `offsetOf` each partition, kept between its earliest and its latest offset (`latest`, in listOffsets' order). */
  private async withinLog(partitions: readonly { topic: string; partition: number }[], latest: readonly PartitionOffset[], offsetOf: (p: PartitionOffset) => bigint): Promise<PartitionOffset[]> {
    const earliest = await this.listOffsets(partitions, 'earliest');
    return latest.map((p, i) => {
      const wanted = offsetOf(p);
      const low = earliest[i]!.offset;
      return { ...p, offset: wanted < low ? low : wanted > p.offset ? p.offset : wanted };
    });
  }

  /** Commits `offsets` for an inactive group (OffsetCommit from outside the group, as Kafka's admin tools send it). */
  async commitGroupOffsets(groupId: string, offsets: readonly PartitionOffset[]): Promise<void> {
    const topics = new Map<string, PartitionOffset[]>();
    for (const o of offsets) topics.set(o.topic, [...(topics.get(o.topic) ?? []), o]);
    await this.cluster.withCoordinator(groupId, 'group', async (conn) => {
      const res = await conn.send(OffsetCommitApi, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [...topics].map(([name, os]) => ({ name, partitions: os.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedMetadata: null })) })),
      });
      for (const t of res.topics) for (const p of t.partitions) throwIfError(p.errorCode, `${t.name}-${p.partitionIndex}${p.errorCode === 25 ? ': the group has active members; stop them first' : ''}`);
    });
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    for (const groupId of groupIds) {
      await this.cluster.withCoordinator(groupId, 'group', async (conn) => {
        const res = await conn.send(DeleteGroupsApi, { groupsNames: [groupId] });
        for (const r of res.results) throwIfError(r.errorCode, `group ${r.groupId}`);
      });
    }
  }

  /**
   * Deletes a group's committed offsets of `topic` (its partitions, or all); Kafka refuses while
   * the group is active and subscribed to the topic (GROUP_SUBSCRIBED_TO_TOPIC).
   */
  async deleteOffsets(groupId: string, topic: string, partitions?: readonly number[]): Promise<void> {
    const indexes = partitions ?? (await this.cluster.topic(topic)).partitions.map((p) => p.partition);
    await this.cluster.withCoordinator(groupId, 'group', async (conn) => {
      const res = await conn.send(OffsetDeleteApi, { groupId, topics: [{ name: topic, partitions: indexes.map((partitionIndex) => ({ partitionIndex })) }] });
      throwIfError(res.errorCode, `group ${groupId}`);
      for (const t of res.topics) for (const p of t.partitions) throwIfError(p.errorCode, `${t.name}-${p.partitionIndex}`);
    });
  }

  /** Deletes the records of a partition before `offset` (-1: all); returns the new low watermark. */
  async deleteRecords(topic: string, partition: number, offset: bigint): Promise<bigint> {
    const conn = await this.cluster.leaderFor(topic, partition);
    const res = await conn.send(DeleteRecordsApi, { topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }], timeoutMs: 30_000 });
    const p = res.topics[0]!.partitions[0]!;
    throwIfError(p.errorCode, `${topic}-${partition}`);
    return p.lowWatermark;
  }

  /**
   * AlterPartitionReassignments: each partition to its new replicas, or null to cancel its
   * reassignment in progress. Each partition's outcome (errorCode 0, or the error and message).
   */
  async alterPartitionReassignments(partitions: readonly PartitionReassignment[], timeoutMs = 30_000): Promise<PartitionOutcome[]> {
    const conn = await this.controller();
    const byTopic = new Map<string, { partitionIndex: number; replicas: number[] | null }[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partitionIndex: p.partition, replicas: p.replicas ? [...p.replicas] : null }]);
    const res = await conn.send(AlterPartitionReassignmentsApi, { timeoutMs, topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })) });
    throwIfError(res.errorCode, res.errorMessage);
    for (const t of byTopic.keys()) this.cluster.invalidate(t);
    return res.responses.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode, errorMessage: p.errorMessage })));
  }

  /** ListPartitionReassignments: the partitions being reassigned (of the named topics, or all). */
  async listPartitionReassignments(topics?: readonly string[]): Promise<OngoingReassignment[]> {
    const conn = await this.controller();
    const wanted = topics ? await Promise.all(topics.map(async (name) => ({ name, partitionIndexes: (await this.cluster.topic(name)).partitions.map((p) => p.partition) }))) : null;
    const res = await conn.send(ListPartitionReassignmentsApi, { timeoutMs: 30_000, topics: wanted });
    throwIfError(res.errorCode, res.errorMessage);
    return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })));
  }

  /**
   * ElectLeaders: 'preferred' moves leadership back to each partition's first replica when it is
   * in sync; 'unclean' gives a partition whose leader is unavailable a leader, from outside the ISR
   * if it must. Null partitions: every partition (only the elected or
   * failed ones are answered).
   */
  async electLeaders(type: 'preferred' | 'unclean', partitions: readonly { topic: string; partition: number }[] | null, timeoutMs = 30_000): Promise<PartitionOutcome[]> {
    const conn = await this.controller();
    let topicPartitions: { topic: string; partitions: number[] }[] | null = null;
    if (partitions) {
      const byTopic = new Map<string, number[]>();
      for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      topicPartitions = [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps }));
    }
    const res = await conn.send(ElectLeadersApi, { electionType: type === 'preferred' ? 0 : 1, topicPartitions, timeoutMs });
    throwIfError(res.errorCode);
    return res.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage })));
  }

  /** Transactions every coordinator holds (optionally by state, producer id, or open longer than `durationMs`). */
  listTransactions(opts: ListTransactionsOptions = {}): Promise<ListedTransaction[]> {
    return listTransactions(this.cluster, opts);
  }

  /** Each transactional id's state, producer, timeout and partitions, from its coordinator. */
  describeTransactions(transactionalIds: readonly string[]): Promise<TransactionDescription[]> {
    return describeTransactions(this.cluster, transactionalIds);
  }

  /** The producers a partition's leader knows, with the first offset of each one's open transaction. */
  describeProducers(topic: string, partition: number): Promise<ProducerState[]> {
    return describeProducers(this.cluster, topic, partition);
  }

  /** Creates ACLs (Kafka's names, case-insensitive: resource type `topic`, operation `read`, permission `allow`). */
  async createAcls(acls: readonly Acl[]): Promise<void> {
    return security.createAcls(await this.controller(), acls);
  }

  async describeAcls(filter: AclFilter = {}): Promise<DescribedAcl[]> {
    return security.describeAcls(await this.controller(), filter);
  }

  /** Deletes the ACLs the filters match; resolves with the ones deleted. */
  async deleteAcls(filters: readonly AclFilter[]): Promise<DescribedAcl[]> {
    return security.deleteAcls(await this.controller(), filters);
  }

  async describeUserScramCredentials(users?: readonly string[]): Promise<{ user: string; credentials: { mechanism: ScramMechanism; iterations: number }[] }[]> {
    return security.describeUserScramCredentials(await this.controller(), users);
  }

  /** Sets SCRAM passwords (salted here; only the salted password travels) or deletes credentials. */
  async alterUserScramCredentials(changes: readonly ScramAlteration[]): Promise<void> {
    return security.alterUserScramCredentials(await this.controller(), changes, this.cluster.randomBytes);
  }

  async describeClientQuotas(components: readonly { entityType: 'user' | 'client-id' | 'ip'; match?: string | null }[], strict = false): Promise<{ entity: QuotaEntityInput; values: Record<string, number> }[]> {
    return security.describeClientQuotas(await this.controller(), components, strict);
  }

  async alterClientQuotas(entries: readonly { entity: QuotaEntityInput; set?: Record<string, number>; remove?: readonly string[] }[], validateOnly = false): Promise<void> {
    return security.alterClientQuotas(await this.controller(), entries, validateOnly);
  }

  private async controller() {
    const conn = await this.cluster.any();
    if (this.cluster.controllerId < 0) await this.cluster.allTopics();
    return this.cluster.controllerId >= 0 ? this.cluster.connectionTo(this.cluster.controllerId).catch(() => conn) : conn;
  }
}
