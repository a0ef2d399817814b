/**
 * The client side of incremental fetch sessions (KIP-227) as the Java consumer keeps it
 * (kafka-clients' FetchSessionHandler): the first request is full and opens a session (epoch 0);
 * each later one carries the session id and the next epoch, names only the partitions that are
 * new or whose fetch offset or size limit changed, and forgets the session's partitions that are
 * not fetchable now. A top-level error drops the session: the next request is full again.
 *
 * Used by the fetch-session tests and by bench/java-consumer-fetch.bench.ts.
 */
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { FetchRequestInput } from '../../src/protocol/messages/index.js';

/** A fetchable partition: where to fetch from and how much at most. */
export interface SessionTarget {
  topic: string;
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
}

export interface BuiltFetch {
  request: FetchRequestInput;
  /** Whether this request is full (opens a session, or fetches without one). */
  full: boolean;
  /** Partitions named in the request, and partitions it forgets. */
  sent: SessionTarget[];
  forgotten: { topic: string; partition: number }[];
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class FetchSessionClient {
  sessionId = 0;
  /** The epoch of the next request: 0 for a full one that opens a session. */
  epoch = 0;
  private session = new Map<string, SessionTarget>();
  private next: Map<string, SessionTarget> | undefined;

  /** `useSessions: false` sends every request full, without a session (epoch -1), as librdkafka 2.0 does. */
  constructor(private readonly useSessions = true) {}

  /** The request for exactly these fetchable partitions (others in the session are forgotten). */
  build(fetchable: readonly SessionTarget[], opts: { maxWaitMs: number; minBytes: number; maxBytes?: number; isolationLevel?: number }): BuiltFetch {
    const base = { maxWaitMs: opts.maxWaitMs, minBytes: opts.minBytes, maxBytes: opts.maxBytes ?? 50 << 20, isolationLevel: opts.isolationLevel ?? 0 };
    this.next = new Map(fetchable.map((t) => [key(t.topic, t.partition), t]));
    const full = !this.useSessions || this.sessionId === 0 || this.epoch === 0;
    const sent = full ? [...fetchable] : fetchable.filter((t) => {
      const known = this.session.get(key(t.topic, t.partition));
      return !known || known.fetchOffset !== t.fetchOffset || known.maxBytes !== t.maxBytes;
    });
    const forgotten = full ? [] : [...this.session.values()].filter((t) => !this.next!.has(key(t.topic, t.partition))).map((t) => ({ topic: t.topic, partition: t.partition }));
    return {
      request: {
        ...base,
        sessionId: full ? 0 : this.sessionId,
        sessionEpoch: !this.useSessions ? -1 : full ? 0 : this.epoch,
        topics: byTopic(sent).map(([topic, ts]) => ({ topic, partitions: ts.map((t) => ({ partition: t.partition, fetchOffset: t.fetchOffset, partitionMaxBytes: t.maxBytes, currentLeaderEpoch: -1, logStartOffset: -1n })) })),
        forgottenTopicsData: byTopic(forgotten).map(([topic, ps]) => ({ topic, partitions: ps.map((p) => p.partition) })),
      },
      full,
      sent,
      forgotten,
    };
  }

  /** The response to the last built request arrived with this top-level error and session id. */
  handleResponse(errorCode: number, sessionId: number): void {
    if (!this.useSessions) return;
    if (errorCode !== ErrorCode.NONE) {
      this.sessionId = 0;
      this.epoch = 0;
      this.session.clear();
      return;
    }
    if (this.sessionId === 0 || this.epoch === 0) {
      this.sessionId = sessionId;
      this.epoch = sessionId === 0 ? 0 : 1;
    } else {
      this.epoch = this.epoch >= 0x7fffffff ? 1 : this.epoch + 1;
    }
    this.session = this.next ?? new Map();
  }
}

function byTopic<T extends { topic: string }>(items: readonly T[]): [string, T[]][] {
  const m = new Map<string, T[]>();
  for (const i of items) {
    let list = m.get(i.topic);
    if (!list) m.set(i.topic, (list = []));
    list.push(i);
  }
  return [...m];
}
