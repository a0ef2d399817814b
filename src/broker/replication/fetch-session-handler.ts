/**
 * The client side of an incremental fetch session (KIP-227) for one replica fetcher (Kafka's
 * FetchSessionHandler, as ReplicaFetcherThread uses it): the first request is full and asks the
 * leader for a session (session id 0, epoch 0); once the leader has answered with a session id,
 * each request carries that id and the next epoch, names only the partitions that are new or whose
 * fetch offset, log start offset, leader epoch, last fetched epoch or size limit changed, and
 * forgets the session's partitions that are not fetched now (truncating, backing off, no longer
 * followed). The leader's answer to an incremental request names only the partitions with news.
 *
 *   no session yet, or after an error   sessionId 0 / S, epoch 0: full, (re)open a session
 *   a session S at epoch N              sessionId S, epoch N: incremental
 *
 * A top-level FETCH_SESSION_ID_NOT_FOUND (the leader restarted or evicted the session) makes the
 * next request full with session id 0; any other error, an answer naming a partition the session
 * does not hold, or a request that got no answer (the leader may have moved its epoch on or not)
 * makes it full with epoch 0 and the old id, which closes that session and opens a new one. A
 * leader that has no room for a session answers session id 0: every request stays full.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { INITIAL_EPOCH, nextEpoch } from '../fetch/fetch-sessions.js';

/** What one partition's entry in a Fetch request says. */
export interface SessionFetchData {
  readonly topicId: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly logStartOffset: bigint;
  readonly currentLeaderEpoch: number;
  readonly lastFetchedEpoch: number;
  readonly maxBytes: number;
}

/** A request built for a set of partitions: the session fields and what to name and forget. */
export interface SessionFetchRequest {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** Whether it is full (every partition named, a session opened or none). */
  readonly full: boolean;
  readonly toSend: readonly SessionFetchData[];
  readonly toForget: readonly { topicId: string; partition: number }[];
}

const keyOf = (topicId: string, partition: number) => `${topicId}:${partition}`;

function same(a: SessionFetchData, b: SessionFetchData): boolean {
  return a.fetchOffset === b.fetchOffset && a.logStartOffset === b.logStartOffset && a.currentLeaderEpoch === b.currentLeaderEpoch && a.lastFetchedEpoch === b.lastFetchedEpoch && a.maxBytes === b.maxBytes;
}

export class FetchSessionHandler {
  private sessionId = 0;
  /** The epoch of the next request: INITIAL_EPOCH (0) for a full one. */
  private epoch = INITIAL_EPOCH;
  /** The partitions the leader's session holds, as last sent. */
  private readonly session = new Map<string, SessionFetchData>();
  /** Counts, for tests and the benchmark. */
  readonly stats = { full: 0, incremental: 0, sessionErrors: 0 };

  /** The session's id (0: none) and the epoch its next request carries. */
  get state(): { sessionId: number; epoch: number; partitions: number } {
    return { sessionId: this.sessionId, epoch: this.epoch, partitions: this.session.size };
  }

  /**
   * The request that fetches exactly `partitions`. The session is taken to hold them from now on:
   * an answer that does not come must be reported (`failed`), so that the next request is full.
   */
  build(partitions: readonly SessionFetchData[]): SessionFetchRequest {
    const full = this.sessionId === 0 || this.epoch === INITIAL_EPOCH;
    if (full) {
      this.session.clear();
      for (const d of partitions) this.session.set(keyOf(d.topicId, d.partition), d);
      this.stats.full++;
      return { sessionId: this.sessionId, sessionEpoch: INITIAL_EPOCH, full, toSend: partitions, toForget: [] };
    }
    const next = new Map(partitions.map((d) => [keyOf(d.topicId, d.partition), d]));
    const toSend = partitions.filter((d) => {
      const known = this.session.get(keyOf(d.topicId, d.partition));
      return !known || !same(known, d);
    });
    const toForget = [...this.session.entries()].filter(([k]) => !next.has(k)).map(([, d]) => ({ topicId: d.topicId, partition: d.partition }));
    this.session.clear();
    for (const [k, d] of next) this.session.set(k, d);
    this.stats.incremental++;
    return { sessionId: this.sessionId, sessionEpoch: this.epoch, full, toSend, toForget };
  }

  /**
   * The leader's answer to `req`: whether its partitions may be used. After a session error the
   * answer names no partitions and the next request is full.
   */
  handleResponse(req: SessionFetchRequest, res: { readonly errorCode: number; readonly sessionId: number; readonly responses: readonly { topicId: string; partitions: readonly { partitionIndex: number }[] }[] }): boolean {
    if (res.errorCode !== ErrorCode.NONE) {
      this.stats.sessionErrors++;
      if (res.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND) this.sessionId = 0;
      this.epoch = INITIAL_EPOCH;
      return false;
    }
    if (req.full) {
      // Session id 0: the leader keeps none (its cache is full); ask again with the next full request.
      this.sessionId = res.sessionId;
      this.epoch = res.sessionId === 0 ? INITIAL_EPOCH : nextEpoch(INITIAL_EPOCH);
      return true;
    }
    const unknown = res.sessionId !== this.sessionId || res.responses.some((t) => t.partitions.some((p) => !this.session.has(keyOf(t.topicId, p.partitionIndex))));
    if (unknown) {
      this.stats.sessionErrors++;
      this.epoch = INITIAL_EPOCH;
      return false;
    }
    this.epoch = nextEpoch(this.epoch);
    return true;
  }

  /** The request got no answer (a broken connection, a timeout): close the session and start over. */
  failed(): void {
    this.epoch = INITIAL_EPOCH;
  }
}
