/**
 * Outbound request bookkeeping (Kafka's RequestManager): at most one request in flight per
 * destination, each with a deadline (the request timeout), and a backoff after a failure before
 * the next request to that node. Responses are matched by correlation id, so an answer that
 * arrives after its request timed out, or after the state it was sent from was left, is ignored.
 */
import type { RaftApi } from './raft-rpc.js';

interface InFlight {
  readonly correlationId: number;
  readonly api: RaftApi;
  readonly deadline: number;
}

export class RequestManager {
  private readonly inflight = new Map<number, InFlight>();
  private readonly backoffUntil = new Map<number, number>();
  private nextCorrelationId = 1;

  constructor(
    private readonly requestTimeoutMs: number,
    private readonly retryBackoffMs: number,
  ) {}

  isReady(node: number, now: number): boolean {
    return !this.inflight.has(node) && (this.backoffUntil.get(node) ?? 0) <= now;
  }

  hasInflight(node: number, api?: RaftApi): boolean {
    const f = this.inflight.get(node);
    return f !== undefined && (api === undefined || f.api === api);
  }

  /** Records a request about to go out; returns its correlation id. */
  onSend(node: number, api: RaftApi, now: number): number {
    const correlationId = this.nextCorrelationId++;
    this.inflight.set(node, { correlationId, api, deadline: now + this.requestTimeoutMs });
    this.backoffUntil.delete(node);
    return correlationId;
  }

  /** Whether this response is the one awaited from `node`; if so it is no longer in flight. */
  onResponse(node: number, correlationId: number): boolean {
    const f = this.inflight.get(node);
    if (!f || f.correlationId !== correlationId) return false;
    this.inflight.delete(node);
    return true;
  }

  /** The request failed (or timed out): back off before the next one to `node`. */
  onFailure(node: number, correlationId: number, now: number): boolean {
    const f = this.inflight.get(node);
    if (!f || f.correlationId !== correlationId) return false;
    this.inflight.delete(node);
    this.backoffUntil.set(node, now + this.retryBackoffMs);
    return true;
  }

  /** Fails every request whose deadline has passed; returns the nodes concerned. */
  expire(now: number): number[] {
    const expired: number[] = [];
    for (const [node, f] of this.inflight) {
      if (f.deadline <= now) {
        this.onFailure(node, f.correlationId, now);
        expired.push(node);
      }
    }
    return expired;
  }

  /** Backs off from `node` without a request having failed (a leader answered "not me"). */
  backoff(node: number, now: number, ms = this.retryBackoffMs): void {
    this.backoffUntil.set(node, now + ms);
  }

  /** Forgets everything in flight (a state transition): late answers to them will be ignored. */
  resetAll(): void {
    this.inflight.clear();
    this.backoffUntil.clear();
  }

  /**
   * The earliest time something here changes: a deadline or the end of a backoff. A backoff that
   * has ended since the last poll makes it `now` (once: the entry is dropped), so that the poll
   * that could not use the node then gets to use it now.
   */
  nextDeadline(now: number): number {
    let t = Infinity;
    for (const f of this.inflight.values()) t = Math.min(t, f.deadline);
    for (const [node, b] of this.backoffUntil) {
      if (b <= now) this.backoffUntil.delete(node);
      t = Math.min(t, b);
    }
    return Math.max(t, now);
  }
}
