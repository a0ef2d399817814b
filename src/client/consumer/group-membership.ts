/**
 * A consumer's membership of its group on the classic protocol: JoinGroup (retrying with the id a
 * MEMBER_ID_REQUIRED answer hands out), the leader's assignment with the protocol the coordinator
 * chose, SyncGroup, and heartbeats on their own timer, so slow processing does not end a session
 * (only not coming back to rejoin within the rebalance timeout does, as in Kafka). A heartbeat
 * answer that asks for a rebalance sets `needsRejoin`; the consumer's poll loop then rejoins.
 *
 * With the cooperative protocol (every assignor cooperative) a member keeps its partitions while it
 * rejoins and gives up only those the new assignment takes away; the leader holds back a partition
 * that changes owner until its old owner has revoked it (a second rebalance), as Kafka does.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { decodeAssignment as decodeAssignedPartitions, decodeSubscription, encodeAssignment, encodeSubscription } from '../../protocol/consumer-protocol.js';
import { HeartbeatApi, JoinGroupApi, LeaveGroupApi, SyncGroupApi } from '../../protocol/messages/index.js';
import type { BrokerConnection } from '../broker-connection.js';
import type { Cluster } from '../cluster.js';
import { KafkaProtocolError, SamsaClientError } from '../errors.js';
import { type TimerHandle, every, sleep } from '../world.js';
import type { Assignment, Assignor, MemberSubscription } from './assignors.js';

export interface MembershipOptions {
  groupId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  assignors: readonly Assignor[];
}

/** topic → partitions. */
export type TopicPartitions = Map<string, number[]>;

export interface MembershipHooks {
  /** The topics this member subscribes to now (patterns resolved). */
  subscription(): Promise<string[]>;
  /** Partitions taken away (all of them with the eager protocol): commit and stop using them. */
  revoke(partitions: TopicPartitions): Promise<void>;
  /** Partitions newly given. */
  assign(partitions: TopicPartitions): Promise<void>;
}

/** What the consumer needs of its group membership, on either protocol. */
export interface Membership {
  memberId: string;
  /** The generation (classic) or member epoch (consumer protocol) that commits carry. */
  generationId: number;
  /** Set when the poll loop must call rejoin() before fetching on. */
  needsRejoin: boolean;
  rejoin(): Promise<void>;
  leave(): Promise<void>;
}

const SUBSCRIPTION_VERSION = 1;
const NO_GENERATION = -1;

const REFUSALS: ReadonlySet<number> = new Set([ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.SASL_AUTHENTICATION_FAILED]);

export class GroupMembership implements Membership {
  memberId = '';
  generationId = NO_GENERATION;
  protocol: string | null = null;
  /** The partitions this member holds now. */
  owned: TopicPartitions = new Map();
  needsRejoin = true;
  private heartbeat: TimerHandle | undefined;
  private fatal: Error | undefined;
  readonly cooperative: boolean;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: MembershipOptions,
    private readonly hooks: MembershipHooks,
  ) {
    if (options.assignors.length === 0) throw new SamsaClientError('SAMSA_CONFIG', 'at least one partition assignor is needed');
    this.cooperative = options.assignors.every((a) => a.cooperative);
  }

  /** Joins or rejoins until this member has an assignment for the current generation. */
  async rejoin(): Promise<void> {
    if (this.fatal) throw this.fatal;
    this.stopHeartbeats();
    if (!this.cooperative && this.owned.size > 0) {
      const all = this.owned;
      this.owned = new Map();
      await this.hooks.revoke(all);
    }
    for (let attempt = 0; this.needsRejoin; attempt++) {
      if (attempt > 0) await sleep(this.cluster.clock, Math.min(1000, 50 * attempt));
      try {
        await this.joinAndSync();
      } catch (err) {
        if (err instanceof KafkaProtocolError && (err.errorCode === ErrorCode.FENCED_INSTANCE_ID || err.errorCode === ErrorCode.INCONSISTENT_GROUP_PROTOCOL || err.errorCode === ErrorCode.GROUP_MAX_SIZE_REACHED || err.errorCode === ErrorCode.INVALID_SESSION_TIMEOUT || err.errorCode === ErrorCode.INVALID_GROUP_ID)) {
          this.fatal = err;
          throw err;
        }
        // Refusals (authorization, authentication) are the application's to hear about, not to wait out.
        if (err instanceof KafkaProtocolError && REFUSALS.has(err.errorCode)) throw err;
        if (attempt >= 50) throw err;
      }
    }
    this.startHeartbeats();
  }

  /** Leaves the group (LeaveGroup), so the others rebalance at once. Static members stay. */
  async leave(): Promise<void> {
    this.stopHeartbeats();
    if (this.memberId === '' || this.options.groupInstanceId !== null) return;
    try {
      const conn = await this.cluster.coordinator(this.options.groupId);
      const v = conn.versionFor(LeaveGroupApi as never) ?? 0;
      await conn.send(LeaveGroupApi, v >= 3 ? { groupId: this.options.groupId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is closing' }] } : { groupId: this.options.groupId, memberId: this.memberId });
    } catch {
      // The session times out instead.
    }
    this.memberId = '';
    this.generationId = NO_GENERATION;
  }

  stopHeartbeats(): void {
    this.heartbeat?.cancel();
    this.heartbeat = undefined;
  }

  private async joinAndSync(): Promise<void> {
    const { groupId } = this.options;
    const conn = await this.cluster.coordinator(groupId);
    const topics = await this.hooks.subscription();
    const metadata = this.subscriptionBytes(topics);
    let join = await this.sendJoin(conn, metadata);
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      // KIP-394: the first join of a member without an id is answered with the id to join with.
      // Joining again with it at once (as the Java client does) is part of joining, not a failure
      // to back off from; a second such answer is one (the rejoin loop's backoff then applies).
      this.memberId = join.memberId;
      join = await this.sendJoin(conn, metadata);
    }
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = join.memberId;
      throw new KafkaProtocolError(join.errorCode);
    }
    if (join.errorCode !== 0) this.onGroupError(join.errorCode);
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.protocol = join.protocolName;
    const assignments = join.leader === join.memberId && !join.skipAssignment ? await this.leaderAssign(join.protocolName ?? '', join.members) : [];
    const sync = await conn.send(
      SyncGroupApi,
      { groupId, generationId: join.generationId, memberId: join.memberId, groupInstanceId: this.options.groupInstanceId, protocolType: 'consumer', protocolName: join.protocolName, assignments },
      { timeoutMs: this.options.rebalanceTimeoutMs + 5000 },
    );
    if (sync.errorCode !== 0) this.onGroupError(sync.errorCode);
    this.needsRejoin = false;
    await this.apply(decodeAssignment(sync.assignment));
  }

  private sendJoin(conn: BrokerConnection, metadata: Buffer) {
    return conn.send(
      JoinGroupApi,
      {
        groupId: this.options.groupId,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: this.options.groupInstanceId,
        protocolType: 'consumer',
        protocols: this.options.assignors.map((a) => ({ name: a.name, metadata })),
      },
      { timeoutMs: this.options.rebalanceTimeoutMs + 5000 },
    );
  }

  /** Moves to a new assignment: revokes what went away (cooperative: then rejoins), assigns what is new. */
  private async apply(next: TopicPartitions): Promise<void> {
    const revoked = difference(this.owned, next);
    const added = difference(next, this.owned);
    this.owned = next;
    if (revoked.size > 0) {
      await this.hooks.revoke(revoked);
      if (this.cooperative) this.needsRejoin = true;
    }
    if (added.size > 0 || this.owned.size === 0) await this.hooks.assign(added);
  }

  private async leaderAssign(protocol: string, members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[]): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.options.assignors.find((a) => a.name === protocol);
    if (!assignor) throw new SamsaClientError('SAMSA_PROTOCOL', `the coordinator chose assignor ${protocol}, which this consumer does not have`);
    const subs: MemberSubscription[] = members.map((m) => parseSubscription(m.memberId, m.groupInstanceId, m.metadata));
    const topics = [...new Set(subs.flatMap((s) => s.topics))];
    const meta = await this.cluster.metadata(topics, { refresh: true });
    const counts = new Map([...meta].map(([t, info]) => [t, info.partitions.length]));
    let assignment = assignor.assign(subs, counts);
    if (assignor.cooperative) assignment = withholdMoving(assignment, subs);
    return [...assignment].map(([memberId, parts]) => ({ memberId, assignment: encodeAssignment(0, [...parts].map(([topic, partitions]) => ({ topic, partitions }))) }));
  }

  private subscriptionBytes(topics: string[]): Buffer {
    return encodeSubscription(SUBSCRIPTION_VERSION, {
      topics,
      userData: null,
      ownedPartitions: this.cooperative ? [...this.owned].map(([topic, partitions]) => ({ topic, partitions })) : [],
    });
  }

  private startHeartbeats(): void {
    this.stopHeartbeats();
    this.heartbeat = every(this.cluster.clock, this.options.heartbeatIntervalMs, () => void this.beat());
  }

  private async beat(): Promise<void> {
    if (this.needsRejoin) return;
    try {
      const conn = await this.cluster.coordinator(this.options.groupId);
      const res = await conn.send(HeartbeatApi, { groupId: this.options.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.options.groupInstanceId }, { timeoutMs: this.options.sessionTimeoutMs });
      if (res.errorCode !== 0) this.onGroupError(res.errorCode);
    } catch (err) {
      if (err instanceof KafkaProtocolError && err.errorCode === ErrorCode.FENCED_INSTANCE_ID) this.fatal = err;
      this.needsRejoin = true;
    }
  }

  /** Updates the membership for a group error, then throws it. */
  private onGroupError(code: number): never {
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) {
      this.memberId = '';
      this.generationId = NO_GENERATION;
    }
    if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE) this.cluster.forgetCoordinator(this.options.groupId);
    if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION) {
      // Our partitions may already be someone else's.
      if (this.owned.size > 0) {
        const lost = this.owned;
        this.owned = new Map();
        void this.hooks.revoke(lost);
      }
    }
    this.needsRejoin = true;
    throw new KafkaProtocolError(code);
  }
}

/** A member's subscription from its JoinGroup metadata. */
function parseSubscription(memberId: string, groupInstanceId: string | null, metadata: Buffer): MemberSubscription {
  const s = decodeSubscription(metadata);
  return { memberId, groupInstanceId, topics: s.topics, owned: new Map(s.ownedPartitions.map((t) => [t.topic, t.partitions])), generationId: s.generationId };
}

/** Cooperative: a partition going to a member other than its current owner is given to nobody this round. */
export function withholdMoving(assignment: Assignment, subs: readonly MemberSubscription[]): Assignment {
  const ownerOf = new Map<string, string>();
  for (const s of subs) for (const [topic, parts] of s.owned) for (const p of parts) ownerOf.set(`${topic}\u0000${p}`, s.memberId);
  const out: Assignment = new Map();
  for (const [memberId, topics] of assignment) {
    const kept = new Map<string, number[]>();
    for (const [topic, parts] of topics) {
      const mine = parts.filter((p) => {
        const owner = ownerOf.get(`${topic}\u0000${p}`);
        return owner === undefined || owner === memberId;
      });
      if (mine.length > 0) kept.set(topic, mine);
    }
    out.set(memberId, kept);
  }
  return out;
}

/** A consumer-protocol assignment as topic → sorted partitions (none for fewer than the version's two bytes). */
export function decodeAssignment(bytes: Buffer): TopicPartitions {
  if (bytes.length < 2) return new Map();
  return new Map(decodeAssignedPartitions(bytes).filter((t) => t.partitions.length > 0).map((t) => [t.topic, [...t.partitions].sort((x, y) => x - y)]));
}

/** Partitions in `a` and not in `b`. */
export function difference(a: TopicPartitions, b: TopicPartitions): TopicPartitions {
  const out: TopicPartitions = new Map();
  for (const [topic, parts] of a) {
    const other = new Set(b.get(topic) ?? []);
    const left = parts.filter((p) => !other.has(p));
    if (left.length > 0) out.set(topic, left);
  }
  return out;
}
