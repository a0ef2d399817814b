/**
 * Followers (Kafka's ReplicaFetcherManager and ReplicaFetcherThread): every partition this broker
 * holds as a follower is fetched from its leader, one loop per leader broker over the
 * inter-broker listener, with Fetch v15 (`ReplicaState.ReplicaId` = this broker) sent to the
 * leader's epoch (`CurrentLeaderEpoch`), so only the leader of exactly that epoch answers.
 *
 * A partition that starts following a leader epoch first truncates its log where it diverges from
 * the leader's (KIP-101/KIP-279): it asks OffsetForLeaderEpoch for the end of its own latest epoch
 * at the leader; the leader answers the end of the largest epoch it has at or below it; the
 * follower cuts at the lesser of that and its own end of that epoch, and asks again with its
 * previous epoch when it does not have the leader's epoch itself. Then it fetches from its log end:
 * the batches are appended as the leader wrote them (offsets, epochs, producer state), the next
 * fetch goes out once they are durable per the topic's policy (so a fetch offset the leader counts
 * for the high watermark is one the follower has acknowledged), and the follower's high watermark
 * is the leader's, up to its own log end. A leader that no longer has the fetch offset (its log
 * start moved past it) makes the follower restart its log empty at the leader's log start.
 *
 * Fetches go through an incremental fetch session per leader (KIP-227, fetch-session-handler.ts):
 * after a full first request, each names only the partitions whose position changed, and the
 * leader answers only those with news; a lost session (the leader restarted) means a full fetch.
 *
 * While the follower replication quota is exceeded (KIP-73, replication-quotas.ts), the throttled
 * partitions that have not caught up are left out of the fetches.
 *
 * Errors (the leader gone, a new epoch not known yet on one side) back off
 * `replica.fetch.backoff.ms` and try again; leadership changes come from the metadata
 * (`follow`/`unfollow`), which move a partition to another loop.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import type { NodeConnections } from '../../network/node-connections.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { FetchApi, OffsetForLeaderEpochApi } from '../../protocol/messages/index.js';
import type { Partition } from '../partitions/partition.js';
import { FetchSessionHandler, type SessionFetchData } from './fetch-session-handler.js';
import type { ReplicationQuota } from './replication-quotas.js';

export interface ReplicaFetcherOptions {
  readonly nodeId: number;
  /** This broker's epoch (its registration's offset), sent in ReplicaState. */
  brokerEpoch(): bigint;
  /** The inter-broker connections (only `send`: the partition simulation passes its network's). */
  readonly connections: Pick<NodeConnections, 'send'>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly waitMaxMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly responseMaxBytes: number;
  readonly backoffMs: number;
  readonly socketTimeoutMs: number;
  /** The follower's replication quota (KIP-73), if any. */
  readonly quota?: Pick<ReplicationQuota, 'isThrottled' | 'isExceeded' | 'record'>;
}

export const FETCH_VERSION = 15;
const OFFSET_FOR_LEADER_EPOCH_VERSION = 4;

/** A partition followed in one leader epoch. */
interface Followed {
  readonly p: Partition;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  /** Whether the log must first be brought in line with the leader's (at the start of each epoch). */
  truncating: boolean;
  /** The epoch to ask the leader about next while truncating (undefined: the log's latest). */
  askEpoch: number | undefined;
  /** Not fetched before this time (after an error for this partition). */
  delayedUntil: number;
  /** Whether the last fetch brought the log up to the leader's high watermark (Kafka's isReplicaInSync). */
  caughtUp: boolean;
}

export class ReplicaFetcherManager {
  private readonly followed = new Map<string, Followed>();
  private readonly loops = new Map<number, FetcherLoop>();
  private closed = false;

  constructor(private readonly o: ReplicaFetcherOptions) {}

  /** Makes the fetchers agree with the partition's leadership: follow its leader, or stop following. */
  apply(p: Partition): void {
    if (this.closed) return;
    const state = p.leaderAndIsr;
    if (!p.isFollower || state.leader < 0) {
      this.unfollow(p);
      return;
    }
    const current = this.followed.get(p.key);
    if (current && current.p === p && current.leaderId === state.leader && current.leaderEpoch === state.leaderEpoch) return;
    this.unfollow(p);
    const f: Followed = { p, leaderId: state.leader, leaderEpoch: state.leaderEpoch, truncating: true, askEpoch: undefined, delayedUntil: 0, caughtUp: false };
    this.followed.set(p.key, f);
    let loop = this.loops.get(state.leader);
    if (!loop) this.loops.set(state.leader, (loop = new FetcherLoop(state.leader, this.o, this)));
    loop.add(f);
  }

  unfollow(p: Partition): void {
    const f = this.followed.get(p.key);
    if (!f) return;
    this.followed.delete(p.key);
    const loop = this.loops.get(f.leaderId);
    loop?.remove(f);
  }

  /** @internal whether `f` is still what this broker follows. */
  isCurrent(f: Followed): boolean {
    return !this.closed && this.followed.get(f.p.key) === f;
  }

  /** The fetch session with each leader broker fetched from (for tests and describe). */
  sessions(): { leaderId: number; sessionId: number; epoch: number; partitions: number; full: number; incremental: number; sessionErrors: number }[] {
    return [...this.loops.values()].map((l) => ({ leaderId: l.leaderId, ...l.sessionState }));
  }

  /** The partitions being followed, by leader (for tests and describe). */
  following(): { topic: string; partition: number; leaderId: number; leaderEpoch: number; truncating: boolean }[] {
    return [...this.followed.values()].map((f) => ({ topic: f.p.topic, partition: f.p.partition, leaderId: f.leaderId, leaderEpoch: f.leaderEpoch, truncating: f.truncating }));
  }

  /** Stops every loop; resolves once none is appending any more. */
  async close(): Promise<void> {
    this.closed = true;
    this.followed.clear();
    const loops = [...this.loops.values()];
    this.loops.clear();
    await Promise.all(loops.map((l) => l.stop()));
  }
}

class FetcherLoop {
  private readonly partitions = new Set<Followed>();
  private readonly session = new FetchSessionHandler();
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly leaderId: number,
    private readonly o: ReplicaFetcherOptions,
    private readonly manager: ReplicaFetcherManager,
  ) {}

  add(f: Followed): void {
    this.partitions.add(f);
    this.wake?.();
    // A loop runs until the manager closes, idle (asleep) while it has nothing to fetch: one per
    // leader broker ever followed, and no window in which a partition added to a finishing loop is lost.
    this.running ??= this.run();
  }

  remove(f: Followed): void {
    this.partitions.delete(f);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private active(): Followed[] {
    return [...this.partitions].filter((f) => this.manager.isCurrent(f));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const all = this.active();
      if (all.length === 0) {
        for (const f of [...this.partitions]) if (!this.manager.isCurrent(f)) this.partitions.delete(f);
        await this.sleep(60_000);
        continue;
      }
      const now = this.o.clock.now();
      const ready = all.filter((f) => f.delayedUntil <= now);
      // Whether a request was answered: then go on at once (a fetch already waited at the leader).
      let answered = false;
      try {
        const truncating = ready.filter((f) => f.truncating);
        if (truncating.length > 0) {
          await this.truncate(truncating);
          answered = true;
        }
        const fetching = this.withinQuota(ready.filter((f) => !f.truncating && f.delayedUntil <= now && this.manager.isCurrent(f)));
        if (fetching.length > 0) {
          await this.fetch(fetching);
          answered = true;
        }
      } catch (err) {
        if (!this.stopped) this.o.logger.debug({ err: (err as Error).message, leader: this.leaderId }, 'replica fetch failed');
        for (const f of ready) f.delayedUntil = this.o.clock.now() + this.o.backoffMs;
        answered = false;
      }
      if (!answered && !this.stopped) await this.sleep(this.nextDelay());
    }
  }

  /**
   * Leaves out, while the follower quota is exceeded, the throttled partitions that have not caught
   * up (Kafka's shouldFollowerThrottle); with nothing left to fetch the loop waits a backoff.
   */
  private withinQuota(list: Followed[]): Followed[] {
    const q = this.o.quota;
    if (!q) return list;
    let exceeded: boolean | undefined;
    return list.filter((f) => f.caughtUp || !q.isThrottled(f.p.topic, f.p.partition) || !(exceeded ??= q.isExceeded()));
  }

  /** How long to wait when nothing could be done: until the first delayed partition is due, at most a backoff. */
  private nextDelay(): number {
    const now = this.o.clock.now();
    let next = now + this.o.backoffMs;
    for (const f of this.partitions) if (f.delayedUntil > now && f.delayedUntil < next) next = f.delayedUntil;
    return Math.max(1, next - now);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.o.clock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        t.cancel();
        this.wake = undefined;
        resolve();
      };
    });
  }

  private delay(f: Followed): void {
    f.delayedUntil = this.o.clock.now() + this.o.backoffMs;
  }

  /** One round of OffsetForLeaderEpoch for the partitions starting an epoch; whether any finished. */
  private async truncate(list: Followed[]): Promise<boolean> {
    const asks = list.map((f) => ({ f, epoch: f.askEpoch ?? f.p.log.latestEpoch }));
    // A log with no epochs (empty, or written before epochs) has nothing the leader could contradict by epoch.
    let progressed = false;
    for (const a of asks.filter((x) => x.epoch === undefined)) {
      await this.truncateTo(a.f, a.f.p.logEndOffset < a.f.p.highWatermark ? a.f.p.logEndOffset : a.f.p.highWatermark);
      progressed = true;
    }
    const asking = asks.filter((x): x is { f: Followed; epoch: number } => x.epoch !== undefined);
    if (asking.length === 0) return progressed;
    const byTopic = new Map<string, typeof asking>();
    for (const a of asking) {
      const l = byTopic.get(a.f.p.topic) ?? [];
      l.push(a);
      byTopic.set(a.f.p.topic, l);
    }
    const res = await this.o.connections.send(
      this.leaderId,
      OffsetForLeaderEpochApi,
      {
        replicaId: this.o.nodeId,
        topics: [...byTopic].map(([topic, l]) => ({ topic, partitions: l.map((a) => ({ partition: a.f.p.partition, currentLeaderEpoch: a.f.leaderEpoch, leaderEpoch: a.epoch })) })),
      },
      { version: OFFSET_FOR_LEADER_EPOCH_VERSION, timeoutMs: this.o.socketTimeoutMs },
    );
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const a = byTopic.get(t.topic)?.find((x) => x.f.p.partition === r.partition);
        if (!a || !this.manager.isCurrent(a.f)) continue;
        if (r.errorCode !== ErrorCode.NONE) {
          this.o.logger.debug({ topic: t.topic, partition: r.partition, leader: this.leaderId, error: r.errorCode }, 'OffsetForLeaderEpoch failed');
          this.delay(a.f);
          continue;
        }
        progressed = true;
        await this.applyEpochEnd(a.f, a.epoch, r.leaderEpoch, r.endOffset);
      }
    }
    return progressed;
  }

  /** KIP-279: where the leader's answer for `asked` says this log diverges. */
  private async applyEpochEnd(f: Followed, asked: number, leaderEpoch: number, leaderEnd: bigint): Promise<void> {
    const p = f.p;
    const end = p.logEndOffset;
    if (leaderEpoch < 0 || leaderEnd < 0n) {
      // The leader has no epoch at or below ours: keep nothing it cannot vouch for.
      const to = leaderEnd >= 0n && leaderEnd < end ? leaderEnd : end < p.highWatermark ? end : p.highWatermark;
      await this.truncateTo(f, to);
      return;
    }
    const mine = p.log.endOffsetForEpoch(leaderEpoch);
    const cut = [leaderEnd, end, ...(mine.endOffset >= 0n ? [mine.endOffset] : [])].reduce((x, y) => (y < x ? y : x));
    if (mine.epoch === leaderEpoch || mine.epoch < 0) {
      await this.truncateTo(f, cut);
      return;
    }
    // We do not have the leader's epoch: cut there, then ask about the epoch before it.
    if (!this.manager.isCurrent(f)) return;
    if (cut < end) await p.truncateTo(cut);
    f.askEpoch = mine.epoch < asked ? mine.epoch : undefined;
    if (f.askEpoch === undefined) f.truncating = false;
  }

  private async truncateTo(f: Followed, offset: bigint): Promise<void> {
    if (!this.manager.isCurrent(f)) return;
    if (offset < f.p.logEndOffset) {
      this.o.logger.info({ topic: f.p.topic, partition: f.p.partition, leader: this.leaderId, leaderEpoch: f.leaderEpoch, from: String(f.p.logEndOffset), to: String(offset) }, 'truncating the follower log');
      await f.p.truncateTo(offset);
    }
    if (this.manager.isCurrent(f)) {
      f.truncating = false;
      f.askEpoch = undefined;
    }
  }

  /**
   * One Fetch through the session; whether it brought anything. Partitions not named in an
   * incremental request are fetched from the offsets the leader's session remembers, which are
   * these same log ends (a partition whose log end moved is named again).
   */
  private async fetch(list: Followed[]): Promise<boolean> {
    const byId = new Map<string, Followed>();
    const asked = new Map<Followed, bigint>();
    const data: SessionFetchData[] = list.map((f) => {
      byId.set(`${f.p.topicId}:${f.p.partition}`, f);
      asked.set(f, f.p.logEndOffset);
      return {
        topicId: f.p.topicId,
        partition: f.p.partition,
        fetchOffset: f.p.logEndOffset,
        logStartOffset: f.p.logStartOffset,
        currentLeaderEpoch: f.leaderEpoch,
        lastFetchedEpoch: f.p.log.latestEpoch ?? -1,
        maxBytes: this.o.maxBytes,
      };
    });
    const built = this.session.build(data);
    let res;
    try {
      res = await this.o.connections.send(
        this.leaderId,
        FetchApi,
        {
          replicaState: { replicaId: this.o.nodeId, replicaEpoch: this.o.brokerEpoch() },
          maxWaitMs: this.o.waitMaxMs,
          minBytes: this.o.minBytes,
          maxBytes: this.o.responseMaxBytes,
          isolationLevel: 0,
          sessionId: built.sessionId,
          sessionEpoch: built.sessionEpoch,
          topics: groupByTopicId(built.toSend).map(([topicId, l]) => ({
            topicId,
            partitions: l.map((d) => ({
              partition: d.partition,
              currentLeaderEpoch: d.currentLeaderEpoch,
              fetchOffset: d.fetchOffset,
              lastFetchedEpoch: d.lastFetchedEpoch,
              logStartOffset: d.logStartOffset,
              partitionMaxBytes: d.maxBytes,
            })),
          })),
          forgottenTopicsData: groupByTopicId(built.toForget).map(([topicId, l]) => ({ topicId, partitions: l.map((d) => d.partition) })),
          rackId: '',
        },
        { version: FETCH_VERSION, timeoutMs: this.o.socketTimeoutMs + this.o.waitMaxMs },
      );
    } catch (err) {
      this.session.failed();
      throw err;
    }
    if (!this.session.handleResponse(built, res)) {
      // A session error: the next request is full, at once (Kafka's fetcher does not back off for it).
      this.o.logger.debug({ leader: this.leaderId, error: res.errorCode, session: built.sessionId }, 'fetch session lost: fetching in full');
      return false;
    }
    let progressed = false;
    for (const t of res.responses) {
      for (const r of t.partitions) {
        const f = byId.get(`${t.topicId}:${r.partitionIndex}`);
        if (!f || !this.manager.isCurrent(f) || f.p.logEndOffset !== asked.get(f)) continue;
        if (await this.handlePartition(f, r)) progressed = true;
      }
    }
    return progressed;
  }

  /** The fetch session with this leader (for tests and describe). */
  get sessionState(): { sessionId: number; epoch: number; partitions: number; full: number; incremental: number; sessionErrors: number } {
    return { ...this.session.state, ...this.session.stats };
  }

  private async handlePartition(f: Followed, r: { errorCode: number; highWatermark: bigint; logStartOffset: bigint; records: Buffer | null }): Promise<boolean> {
    const p = f.p;
    switch (r.errorCode) {
      case ErrorCode.NONE: {
        let appended = false;
        if (r.records && r.records.length > 0) {
          await p.appendAsFollower(r.records);
          appended = true;
          if (this.o.quota?.isThrottled(p.topic, p.partition)) this.o.quota.record(r.records.length);
        }
        if (!this.manager.isCurrent(f)) return appended;
        f.caughtUp = p.logEndOffset >= r.highWatermark;
        p.updateFollowerHighWatermark(r.highWatermark);
        if (r.logStartOffset > p.logStartOffset) await p.followLogStartOffset(r.logStartOffset);
        return appended;
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        if (p.logEndOffset < r.logStartOffset) {
          this.o.logger.warn({ topic: p.topic, partition: p.partition, leader: this.leaderId, from: String(p.logEndOffset), to: String(r.logStartOffset) }, 'the leader no longer has our log end: restarting the log at its log start');
          await p.truncateFullyTo(r.logStartOffset);
        } else {
          f.truncating = true;
        }
        return true;
      default:
        this.o.logger.debug({ topic: p.topic, partition: p.partition, leader: this.leaderId, error: r.errorCode }, 'replica fetch error');
        this.delay(f);
        return false;
    }
  }
}

function groupByTopicId<T extends { topicId: string }>(items: readonly T[]): [string, T[]][] {
  const m = new Map<string, T[]>();
  for (const d of items) {
    const l = m.get(d.topicId) ?? [];
    l.push(d);
    m.set(d.topicId, l);
  }
  return [...m];
}
