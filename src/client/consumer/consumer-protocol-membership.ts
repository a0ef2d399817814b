/**
 * A consumer's membership of its group on Kafka 4's consumer protocol (KIP-848,
 * `group.protocol=consumer`): no JoinGroup/SyncGroup and no client-side assignor. The member joins
 * with a ConsumerGroupHeartbeat at epoch 0 naming its topics, then heartbeats at the interval the
 * coordinator gives, saying which partitions it holds. When an answer carries a new assignment the
 * member gives up what it lost first (the revoke hook commits them), takes what is new, and
 * heartbeats again at once so the coordinator can hand the released partitions to others.
 *
 * Fenced (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID): its partitions may be someone else's already, so
 * they are dropped and it joins again at epoch 0 with its member id. A subscription change is sent
 * with the next heartbeat; no rejoin is needed. Leaving is a heartbeat at epoch -1 (-2 for a static
 * member, which keeps its partitions until its session expires so a restart moves nothing).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ConsumerGroupHeartbeatApi } from '../../protocol/messages/index.js';
import type { Cluster } from '../cluster.js';
import { KafkaProtocolError } from '../errors.js';
import { type TimerHandle, sleep } from '../world.js';
import { type Membership, type MembershipHooks, type TopicPartitions, difference } from './group-membership.js';

export interface ConsumerProtocolOptions {
  groupId: string;
  groupInstanceId: string | null;
  rebalanceTimeoutMs: number;
  /** The server-side assignor to ask for (Kafka's group.remote.assignor), or null for the group's. */
  serverAssignor: string | null;
}

const LEAVE = -1;
const STATIC_LEAVE = -2;

/** Errors no retry cures: the application hears about them. */
const FATAL: ReadonlySet<number> = new Set([
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.UNSUPPORTED_ASSIGNOR,
  ErrorCode.UNRELEASED_INSTANCE_ID,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
  ErrorCode.GROUP_ID_NOT_FOUND,
  ErrorCode.UNSUPPORTED_VERSION,
]);

export class ConsumerProtocolMembership implements Membership {
  memberId = '';
  /** The member epoch (what commits carry as the generation). */
  generationId = 0;
  needsRejoin = true;
  /** The partitions this member holds now. */
  owned: TopicPartitions = new Map();
  private intervalMs = 5000;
  /** The subscription the coordinator has (null: send it with the next heartbeat). */
  private sent: string[] | null = null;
  private timer: TimerHandle | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private fatal: Error | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: ConsumerProtocolOptions,
    private readonly hooks: MembershipHooks,
  ) {}

  /** Joins (epoch 0), or as a member already sends the new subscription; then heartbeats on. */
  async rejoin(): Promise<void> {
    if (this.fatal) throw this.fatal;
    this.stopHeartbeats();
    await this.inFlight;
    this.sent = null;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await sleep(this.cluster.clock, Math.min(1000, 50 * attempt));
      try {
        const changed = await this.beatOnce();
        this.needsRejoin = false;
        this.running = true;
        this.schedule(changed ? 0 : this.intervalMs);
        return;
      } catch (err) {
        if (this.fatal || attempt >= 50) throw err;
      }
    }
  }

  /** Leaves the group: epoch -1, or -2 for a static member. */
  async leave(): Promise<void> {
    this.stopHeartbeats();
    await this.inFlight;
    if (this.memberId === '' || this.generationId <= 0) return;
    const epoch = this.options.groupInstanceId === null ? LEAVE : STATIC_LEAVE;
    try {
      const conn = await this.cluster.coordinator(this.options.groupId);
      await conn.send(ConsumerGroupHeartbeatApi, { ...this.request(epoch), topicPartitions: null });
    } catch {
      // The session times out instead.
    }
    this.generationId = 0;
    this.owned = new Map();
  }

  stopHeartbeats(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    this.timer = this.cluster.clock.setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    let changed = false;
    try {
      changed = await this.beatOnce();
    } catch {
      // beatOnce has set needsRejoin where a rejoin cures it; otherwise the next beat retries.
    }
    if (this.running && !this.needsRejoin) this.schedule(changed ? 0 : this.intervalMs);
  }

  /** One heartbeat and what its answer asks for; true if the assignment changed (the next heartbeat says so at once). */
  private beatOnce(): Promise<boolean> {
    const p = this.beat();
    this.inFlight = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  private async beat(): Promise<boolean> {
    const { groupId } = this.options;
    const conn = await this.cluster.coordinator(groupId);
    const topics = await this.hooks.subscription();
    const subscriptionChanged = this.sent === null || this.sent.length !== topics.length || this.sent.some((t, i) => t !== topics[i]);
    const ids = await this.topicIds([...this.owned.keys()]);
    const owned = [...this.owned].flatMap(([topic, partitions]) => (ids.has(topic) ? [{ topicId: ids.get(topic)!, partitions }] : []));
    const res = await conn.send(ConsumerGroupHeartbeatApi, {
      ...this.request(this.generationId),
      subscribedTopicNames: subscriptionChanged ? topics : null,
      topicPartitions: this.generationId === 0 ? [] : owned,
    });
    if (res.errorCode !== ErrorCode.NONE) return this.onError(res.errorCode, res.errorMessage);
    if (res.memberId) this.memberId = res.memberId;
    if (res.heartbeatIntervalMs > 0) this.intervalMs = res.heartbeatIntervalMs;
    if (subscriptionChanged) this.sent = topics;
    this.generationId = res.memberEpoch;
    if (!res.assignment) return false;
    return this.reconcile(await this.topicNames(res.assignment.topicPartitions, topics));
  }

  private request(memberEpoch: number) {
    const joining = memberEpoch === 0;
    return {
      groupId: this.options.groupId,
      memberId: this.memberId,
      memberEpoch,
      instanceId: this.options.groupInstanceId,
      rackId: null,
      rebalanceTimeoutMs: joining ? this.options.rebalanceTimeoutMs : -1,
      subscribedTopicNames: null,
      serverAssignor: joining ? this.options.serverAssignor : null,
    };
  }

  /** Gives up what the new assignment takes away (committing it), then takes what it adds. */
  private async reconcile(next: TopicPartitions): Promise<boolean> {
    const revoked = difference(this.owned, next);
    const added = difference(next, this.owned);
    if (revoked.size === 0 && added.size === 0) return false;
    if (revoked.size > 0) {
      this.owned = difference(this.owned, revoked);
      await this.hooks.revoke(revoked);
    }
    this.owned = next;
    if (added.size > 0) await this.hooks.assign(added);
    return true;
  }

  /** Updates the membership for an error, then throws it. */
  private onError(code: number, message: string | null): never {
    const err = new KafkaProtocolError(code, message ?? `ConsumerGroupHeartbeat for group ${this.options.groupId}`);
    if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE) this.cluster.forgetCoordinator(this.options.groupId);
    if (code === ErrorCode.FENCED_MEMBER_EPOCH || code === ErrorCode.UNKNOWN_MEMBER_ID) {
      // Our partitions may already be someone else's: drop them and join again.
      this.generationId = 0;
      this.needsRejoin = true;
      if (this.owned.size > 0) {
        const lost = this.owned;
        this.owned = new Map();
        void this.hooks.revoke(lost);
      }
    }
    if (FATAL.has(code)) {
      this.fatal = err;
      this.needsRejoin = true;
    }
    throw err;
  }

  /** Topic ids of these topics (from metadata). */
  private async topicIds(topics: readonly string[]): Promise<Map<string, string>> {
    if (topics.length === 0) return new Map();
    const meta = await this.cluster.metadata(topics);
    return new Map([...meta].map(([name, t]) => [name, t.topicId]));
  }

  /** An assignment's partitions by topic name; ids not in the subscribed topics' metadata are looked up once more, fresh. */
  private async topicNames(assignment: readonly { topicId: string; partitions: readonly number[] }[], subscribed: readonly string[]): Promise<TopicPartitions> {
    const byId = async (refresh: boolean) => new Map([...(await this.cluster.metadata(subscribed, { refresh }))].map(([name, t]) => [t.topicId, name]));
    let names = await byId(false);
    if (assignment.some((t) => !names.has(t.topicId))) names = await byId(true);
    const out: TopicPartitions = new Map();
    for (const t of assignment) {
      const name = names.get(t.topicId);
      if (name !== undefined && t.partitions.length > 0) out.set(name, [...t.partitions].sort((a, b) => a - b));
    }
    return out;
  }
}
