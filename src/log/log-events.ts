/**
 * What a partition log tells the layer above it (the partition layer's purgatories: long-poll
 * fetches counting min_bytes, acks=all produces, replication). Every writer's appends produce
 * them, a coordinator's included, because they come from the log, not from a request handler.
 *
 * A listener implements the events it cares about. Listeners run synchronously, in subscription
 * order, after the log's state changed; one that throws is logged and the others still run: a
 * listener cannot break the log.
 */
import type { LogOfflineError } from './log-errors.js';
import type { LogLogger } from './log-logger.js';

export interface LogListener {
  /**
   * The log's acknowledged end advanced to `end`: appends below it are durable per the topic's
   * policy and readable. `bytes` were newly acknowledged (record batches as stored).
   */
  acknowledged?(end: bigint, bytes: number): void;
  /**
   * The log end went backwards to `end`: truncateTo, or the log went offline and dropped the
   * appends it had not acknowledged. The acknowledged end is at most `end` now.
   */
  truncated?(end: bigint): void;
  /** The log went offline after an I/O error: appends are refused until it is reopened. */
  offline?(error: LogOfflineError): void;
}

export class LogEvents {
  private listeners: LogListener[] = [];

  constructor(
    private readonly logger: LogLogger,
    /** The log, for its name in reports (read when needed: a string less per log at a start). */
    private readonly log: { readonly name: string },
  ) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: LogListener): () => void {
    this.listeners = this.listeners.length === 0 ? [listener] : [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  acknowledged(end: bigint, bytes: number): void {
    for (const l of this.listeners) {
      if (!l.acknowledged) continue;
      try {
        l.acknowledged(end, bytes);
      } catch (err) {
        this.report(err, 'acknowledged');
      }
    }
  }

  truncated(end: bigint): void {
    for (const l of this.listeners) {
      if (!l.truncated) continue;
      try {
        l.truncated(end);
      } catch (err) {
        this.report(err, 'truncated');
      }
    }
  }

  offline(error: LogOfflineError): void {
    for (const l of this.listeners) {
      if (!l.offline) continue;
      try {
        l.offline(error);
      } catch (err) {
        this.report(err, 'offline');
      }
    }
  }

  private report(err: unknown, event: string): void {
    this.logger.error({ err, log: this.log.name, event }, 'a log listener threw; the log carries on');
  }
}
