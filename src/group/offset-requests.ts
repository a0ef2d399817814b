/**
 * OffsetCommit, OffsetFetch and OffsetDelete against the offset cache, and the retention rule
 * that expires offsets, with Kafka's validation and error codes:
 * - a commit from a member must carry the current generation and a known member id (static
 *   members: the current id for their group.instance.id); generation -1 commits are accepted for
 *   an empty or missing group (standalone consumers, admin tools); metadata longer than
 *   offset.metadata.max.bytes is refused per partition (OFFSET_METADATA_TOO_LARGE);
 * - a fetch reads what is durable; with require_stable it first waits for the group's writes in
 *   flight (UNSTABLE_OFFSET_COMMIT if they do not settle within offsets.commit.timeout.ms);
 * - OffsetDelete spares topics an active consumer group subscribes to (GROUP_SUBSCRIBED_TO_TOPIC).
 */
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ClassicGroup } from './classic-group.js';
import type { ClassicGroupManager } from './classic-group-manager.js';
import { type CoordinatorLog, CoordinatorWriteError, type TxnWrite } from './coordinator-log.js';
import type { CoordinatorRecord } from './coordinator-records.js';
import { type GroupConfig, offsetsRetentionMs } from './group-config.js';
import { GroupState } from './group-state.js';
import { type CommittedOffset, type OffsetCache, offsetRecord } from './offset-cache.js';

export interface OffsetCommitPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface OffsetCommitParams {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  /** -1 for the broker's offsets.retention.minutes (OffsetCommit v2-v4 may set it). */
  retentionTimeMs: bigint;
  /** OffsetCommit v9+: a missing group answers GROUP_ID_NOT_FOUND instead of ILLEGAL_GENERATION. */
  groupIdNotFoundIfMissing: boolean;
  topics: readonly { name: string; partitions: readonly OffsetCommitPartition[] }[];
}

export interface PartitionResult {
  partitionIndex: number;
  errorCode: number;
}

export interface TopicResult {
  name: string;
  partitions: PartitionResult[];
}

/** TxnOffsetCommit: as OffsetCommit, in the producer's transaction (v3+ carry the member; older ones generation -1). */
export interface TxnOffsetCommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: readonly { name: string; partitions: readonly OffsetCommitPartition[] }[];
}

export interface OffsetFetchParams {
  groupId: string;
  /** Null for every partition the group has offsets for. */
  topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null;
  requireStable: boolean;
  /** OffsetFetch v9: the member asking, checked against a KIP-848 consumer group (null and -1: not a member). */
  memberId?: string | null;
  memberEpoch?: number;
}

export interface OffsetFetchPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface OffsetFetchResult {
  groupId: string;
  errorCode: number;
  topics: { name: string; partitions: OffsetFetchPartition[] }[];
}

export interface OffsetDeleteParams {
  groupId: string;
  topics: readonly { name: string; partitions: readonly number[] }[];
}

export interface OffsetDeleteResult {
  errorCode: number;
  topics: TopicResult[];
}

export interface OffsetRequestsDeps {
  manager: ClassicGroupManager;
  coordinatorLog: CoordinatorLog;
  offsets: OffsetCache;
  config: GroupConfig;
  clock: Clock;
  createGroup(groupId: string): ClassicGroup | undefined;
  /** Whether a transaction not yet decided holds an offset for the partition (require_stable). */
  hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean;
}

const everyPartition = (topics: OffsetCommitParams['topics'], errorCode: number): TopicResult[] =>
  topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));

const writeErrorCode = (err: unknown): number => (err instanceof CoordinatorWriteError ? err.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR);

export class OffsetRequests {
  constructor(private readonly d: OffsetRequestsDeps) {}

  /** `memberCheck` validates the member instead of the classic group's rules (a KIP-848 consumer group's member epoch). */
  commit(p: OffsetCommitParams, memberCheck?: () => number): Promise<TopicResult[]> {
    const invalid = memberCheck ? memberCheck() : this.validateClassicCommit(p);
    if (invalid !== ErrorCode.NONE) return Promise.resolve(everyPartition(p.topics, invalid));

    const now = this.d.clock.now();
    // A retention near int64's maximum must not carry the expiry past what the offset record's int64 holds.
    const expireTimestamp = p.retentionTimeMs < 0n ? null : Math.min(now + Number(p.retentionTimeMs), Number.MAX_SAFE_INTEGER);
    return this.writeOffsets(p.groupId, p.topics, now, expireTimestamp);
  }

  /**
   * TxnOffsetCommit: validated as Kafka's validateOffsetCommit with isTransactional (no member
   * needed in a non-empty group, no REBALANCE_IN_PROGRESS), written in the producer's transaction.
   */
  txnCommit(p: TxnOffsetCommitParams, txn: TxnWrite, memberCheck?: () => number): Promise<TopicResult[]> {
    const invalid = memberCheck ? memberCheck() : this.validateClassicTxnCommit(p);
    if (invalid !== ErrorCode.NONE) return Promise.resolve(everyPartition(p.topics, invalid));
    return this.writeOffsets(p.groupId, p.topics, this.d.clock.now(), null, txn);
  }

  /**
   * Writes the offsets of a commit (in the producer's transaction with `txn`): metadata over
   * offset.metadata.max.bytes is refused partition by partition, the rest is written together; a
   * refused write answers its code for every written partition (for a transaction: a fenced epoch,
   * no verified transaction).
   */
  private writeOffsets(groupId: string, topics: OffsetCommitParams['topics'], now: number, expireTimestamp: number | null, txn?: TxnWrite): Promise<TopicResult[]> {
    const maxMetadata = this.d.config['offset.metadata.max.bytes'];
    const records: CoordinatorRecord[] = [];
    const written: PartitionResult[] = [];
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((x): PartitionResult => {
        if (x.committedMetadata !== null && x.committedMetadata.length > maxMetadata) return { partitionIndex: x.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        const committed: CommittedOffset = { offset: x.committedOffset, leaderEpoch: x.committedLeaderEpoch, metadata: x.committedMetadata ?? '', commitTimestamp: now, expireTimestamp };
        records.push(offsetRecord(groupId, t.name, x.partitionIndex, committed));
        const r = { partitionIndex: x.partitionIndex, errorCode: ErrorCode.NONE };
        written.push(r);
        return r;
      }),
    }));
    return this.d.coordinatorLog.write(groupId, records, txn).then(
      () => results,
      (err: unknown) => {
        const code = writeErrorCode(err);
        for (const r of written) r.errorCode = code;
        return results;
      },
    );
  }

  /** Validates a transactional commit against its classic group (created for a producer of a standalone consumer's offsets). */
  private validateClassicTxnCommit(p: TxnOffsetCommitParams): number {
    let group = this.d.manager.groups.get(p.groupId);
    if (!group) {
      if (p.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
      group = this.d.createGroup(p.groupId);
      if (!group) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    return this.validateTxnCommit(group, p);
  }

  private validateTxnCommit(group: ClassicGroup, p: TxnOffsetCommitParams): number {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (p.generationId < 0 && group.is(GroupState.Empty)) return ErrorCode.NONE;
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const invalid = this.d.manager.validateMember(group, p.memberId, p.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    }
    return ErrorCode.NONE;
  }

  /** Validates a commit against its classic group (created for a standalone consumer or a tool); a member's commit keeps its session alive. */
  private validateClassicCommit(p: OffsetCommitParams): number {
    let group = this.d.manager.groups.get(p.groupId);
    if (!group) {
      if (p.generationIdOrMemberEpoch >= 0) return p.groupIdNotFoundIfMissing ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
      // A standalone consumer or an admin tool: the group exists only to hold offsets.
      group = this.d.createGroup(p.groupId);
      if (!group) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    const invalid = this.validateCommit(group, p);
    if (invalid !== ErrorCode.NONE) return invalid;
    // A commit keeps the member's session alive, as a heartbeat would.
    const member = group.member(p.memberId);
    if (member && (group.is(GroupState.Stable) || group.is(GroupState.PreparingRebalance))) this.d.manager.rescheduleHeartbeat(group, member);
    return ErrorCode.NONE;
  }

  /** Kafka's ClassicGroup.validateOffsetCommit. */
  private validateCommit(group: ClassicGroup, p: OffsetCommitParams): number {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const generation = p.generationIdOrMemberEpoch;
    if (generation < 0 && group.is(GroupState.Empty)) return ErrorCode.NONE;
    if (generation >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const invalid = this.d.manager.validateMember(group, p.memberId, p.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (generation !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!group.is(GroupState.Empty)) {
      // Without member id and generation, commits are only accepted while the group is empty.
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    // The member has its new generation but not its assignment yet.
    if (group.is(GroupState.CompletingRebalance)) return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  async fetch(p: OffsetFetchParams): Promise<OffsetFetchResult> {
    if (p.requireStable && !(await this.writesSettled(p.groupId))) {
      const topics = (p.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((i) => ({ partitionIndex: i, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT })),
      }));
      return { groupId: p.groupId, errorCode: ErrorCode.NONE, topics };
    }
    const answer = (partitionIndex: number, c: CommittedOffset | undefined): OffsetFetchPartition =>
      c
        ? { partitionIndex, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata, errorCode: ErrorCode.NONE }
        : { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    if (p.topics === null) {
      const topics = [...this.d.offsets.topics(p.groupId)].map(([name, partitions]) => ({ name, partitions: [...partitions].map(([i, c]) => answer(i, c)) }));
      return { groupId: p.groupId, errorCode: ErrorCode.NONE, topics };
    }
    // require_stable: a partition whose offset a transaction not yet decided holds is UNSTABLE_OFFSET_COMMIT.
    const unstable = (name: string, i: number): OffsetFetchPartition | undefined =>
      p.requireStable && this.d.hasPendingTxnOffset(p.groupId, name, i) ? { partitionIndex: i, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT } : undefined;
    const topics = p.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => unstable(t.name, i) ?? answer(i, this.d.offsets.get(p.groupId, t.name, i))) }));
    return { groupId: p.groupId, errorCode: ErrorCode.NONE, topics };
  }

  /** Waits for the group's writes in flight; false if they did not settle within offsets.commit.timeout.ms. */
  private writesSettled(groupId: string): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.d.clock.setTimeout(() => resolve(false), this.d.config['offsets.commit.timeout.ms']);
      void this.d.coordinatorLog.awaitPendingWrites(groupId).then(() => {
        timer.cancel();
        resolve(true);
      });
    });
  }

  /** `subscribed`: the topics a KIP-848 consumer group's members subscribe to, spared as an active classic group's are. */
  deleteOffsets(p: OffsetDeleteParams, subscribed?: ReadonlySet<string>): Promise<OffsetDeleteResult> {
    const group = this.d.manager.groups.get(p.groupId);
    if (!group || group.is(GroupState.Dead)) return Promise.resolve({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] });
    if (!group.is(GroupState.Empty) && !group.usesConsumerProtocol()) return Promise.resolve({ errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] });
    const records: CoordinatorRecord[] = [];
    const topics = p.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partitionIndex) => {
        if (group.isSubscribedToTopic(t.name) || subscribed?.has(t.name)) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        if (this.d.offsets.get(p.groupId, t.name, partitionIndex)) records.push(offsetRecord(p.groupId, t.name, partitionIndex, null));
        return { partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    return this.d.coordinatorLog.write(p.groupId, records).then(
      () => ({ errorCode: ErrorCode.NONE, topics }),
      (err: unknown) => ({ errorCode: writeErrorCode(err), topics: [] }),
    );
  }

  countOffsets(groupId: string): number {
    let n = 0;
    for (const partitions of this.d.offsets.topics(groupId).values()) n += partitions.size;
    return n;
  }

  /**
   * Tombstones for a group's expired offsets (Kafka's offsetExpirationCondition): an offset with
   * its own expiry expires then; otherwise, offsets.retention.minutes after the group became
   * Empty (consumer groups), after the commit (standalone groups, and topics a Stable consumer
   * group no longer subscribes to). Other groups keep their offsets. A KIP-848 consumer group
   * (`subscribed`: its members' topics) keeps the offsets of the topics subscribed to, the others
   * expire after the commit, as Kafka's ConsumerGroup.offsetExpirationCondition has it.
   */
  expiredOffsets(group: ClassicGroup, subscribed?: ReadonlySet<string>): CoordinatorRecord[] {
    const now = this.d.clock.now();
    const retentionMs = offsetsRetentionMs(this.d.config);
    let base: ((c: CommittedOffset) => number) | undefined;
    if (group.protocolType === null || subscribed) base = (c) => c.commitTimestamp;
    else if (group.is(GroupState.Empty)) base = (c) => group.currentStateTimestamp ?? c.commitTimestamp;
    else if (group.usesConsumerProtocol() && group.subscribedTopics && group.is(GroupState.Stable)) base = (c) => c.commitTimestamp;
    if (!base) return [];
    const out: CoordinatorRecord[] = [];
    for (const [topic, partitions] of this.d.offsets.topics(group.groupId)) {
      if (group.isSubscribedToTopic(topic) || subscribed?.has(topic)) continue;
      for (const [partition, c] of partitions) {
        const expired = c.expireTimestamp !== null ? now >= c.expireTimestamp : now - base(c) >= retentionMs;
        if (expired) out.push(offsetRecord(group.groupId, topic, partition, null));
      }
    }
    return out;
  }
}
