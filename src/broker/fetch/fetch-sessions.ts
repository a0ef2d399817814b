/**
 * Incremental fetch sessions (KIP-227). A consumer fetching many partitions sends the full list
 * once; the broker remembers it under a session id, and later requests send only what changed
 * (new offsets, partitions to add or forget). Responses to incremental requests carry only the
 * partitions with news: records, a moved high watermark or log start offset, or an error; those
 * with records go to the back of the session's order, so that the next fetch reads the others first.
 *
 *   sessionId 0, epoch -1  full fetch, no session
 *   sessionId 0, epoch 0   full fetch, open a session (the response names its id)
 *   sessionId S, epoch -1  close S, full fetch without a session
 *   sessionId S, epoch 0   close S, open a new session
 *   sessionId S, epoch N   incremental fetch on S; N must be the epoch S expects
 *
 * The cache holds a bounded number of sessions; when full, the least recently used one idle for
 * longer than the eviction age gives way, else the new session is refused and the client gets a
 * full response with session id 0, as Kafka does. Followers' sessions (replica fetchers) are
 * privileged, as in Kafka's FetchSessionCache: a new one evicts the least recently used consumer
 * session when no session is stale, and consumers' new sessions never evict them (only staleness
 * does). Kafka also lets a consumer's session evict a smaller one; Samsa does not.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ZERO_UUID } from '../../protocol/primitives/codec-support.js';
import { tpKey } from '../partitions/topic-partition.js';

export const FINAL_EPOCH = -1;
export const INITIAL_EPOCH = 0;

/** A partition's fetch position as the session remembers it. */
export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
  /** The leader epoch the client last sent for it (-1: none), checked again at each incremental fetch (Kafka's CachedPartition.leaderEpoch). */
  currentLeaderEpoch: number;
  /** What the client was last told, to decide whether an incremental response must mention it. */
  lastHighWatermark: bigint;
  lastLogStartOffset: bigint;
}

export interface FetchSession {
  readonly id: number;
  /** The epoch the next request must carry. */
  epoch: number;
  /** Keyed by sessionKey. */
  readonly partitions: Map<string, SessionPartition>;
  lastUsedMs: number;
  /** A follower's session: not evicted for a consumer's. */
  readonly privileged: boolean;
}

export interface SessionLimits {
  /** max.incremental.fetch.session.cache.slots */
  maxSessions: number;
  /** Sessions idle longer than this may be evicted for a new one. */
  evictionAgeMs: number;
}

export type SessionResolution =
  | { kind: 'sessionless' }
  | { kind: 'new'; session: FetchSession | undefined }
  | { kind: 'incremental'; session: FetchSession }
  | { kind: 'error'; errorCode: number };

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private nextId = 1;

  constructor(private readonly limits: SessionLimits) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Decides what a request's (sessionId, epoch) means, opening or closing sessions as it says. */
  resolve(sessionId: number, epoch: number, nowMs: number, privileged = false): SessionResolution {
    if (epoch === FINAL_EPOCH) {
      this.sessions.delete(sessionId);
      return { kind: 'sessionless' };
    }
    if (epoch === INITIAL_EPOCH) {
      this.sessions.delete(sessionId);
      return { kind: 'new', session: this.open(nowMs, privileged) };
    }
    const session = this.sessions.get(sessionId);
    if (!session) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.epoch !== epoch) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    session.lastUsedMs = nowMs;
    // Move to the back: Map iteration order is our LRU order.
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, session);
    return { kind: 'incremental', session };
  }

  private open(nowMs: number, privileged: boolean): FetchSession | undefined {
    if (this.sessions.size >= this.limits.maxSessions) {
      const victim = this.evictable(nowMs, privileged);
      if (!victim) return undefined;
      this.sessions.delete(victim.id);
    }
    let id = this.nextId;
    while (id === 0 || this.sessions.has(id)) id = (id % 0x7fffffff) + 1;
    this.nextId = (id % 0x7fffffff) + 1;
    const session: FetchSession = { id, epoch: 1, partitions: new Map(), lastUsedMs: nowMs, privileged };
    this.sessions.set(id, session);
    return session;
  }

  /** The session a new one may take the place of: the least recently used if stale; for a follower's, else the least recently used consumer's. */
  private evictable(nowMs: number, privileged: boolean): FetchSession | undefined {
    const oldest = this.sessions.values().next().value as FetchSession | undefined;
    if (oldest && nowMs - oldest.lastUsedMs >= this.limits.evictionAgeMs) return oldest;
    if (!privileged || this.limits.maxSessions === 0) return undefined;
    for (const s of this.sessions.values()) if (!s.privileged) return s;
    return undefined;
  }

  /** The sessions held, least recently used first (for tests and describe). */
  describe(): { id: number; epoch: number; privileged: boolean; partitions: number; lastUsedMs: number }[] {
    return [...this.sessions.values()].map((s) => ({ id: s.id, epoch: s.epoch, privileged: s.privileged, partitions: s.partitions.size, lastUsedMs: s.lastUsedMs }));
  }

  /** Forgets a session whose fetch failed, so the client starts over. */
  remove(id: number): void {
    this.sessions.delete(id);
  }
}

/**
 * The session key of a partition: its topic by id when the topic has one (every known topic, and
 * any id a v13+ request names), else by the name an older request used for an unknown topic.
 */
export function sessionKey(topicId: string, topic: string, partition: number): string {
  return tpKey(topicId !== ZERO_UUID ? topicId : topic, partition);
}

/** The epoch after `epoch` (Kafka's FetchMetadata.nextEpoch): 1 after the largest int32. */
export function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1;
}

/**
 * Puts a partition last in its session's order, as Kafka does with each partition an incremental
 * response carries records of: the next fetch reads the others first, so that one partition with a backlog
 * does not fill every response (fetch.max.bytes) while the others wait.
 */
export function moveToBack(session: FetchSession, p: SessionPartition): void {
  const key = sessionKey(p.topicId, p.topic, p.partition);
  session.partitions.delete(key);
  session.partitions.set(key, p);
}

/** Whether an incremental response must include a partition: anything new since it was last sent. */
export function hasNews(p: SessionPartition, recordsBytes: number, errorCode: number, highWatermark: bigint, logStartOffset: bigint): boolean {
  return recordsBytes > 0 || errorCode !== ErrorCode.NONE || highWatermark !== p.lastHighWatermark || logStartOffset !== p.lastLogStartOffset;
}
