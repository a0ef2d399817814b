/**
 * The write side of a partition log: appends are queued in call order (offsets and file positions
 * were assigned synchronously) and one loop writes them, each run of queued appends to the same
 * segment with one pwritev. When the durability policy asks for an fsync before the
 * acknowledgement, the loop fsyncs after the write; appends that arrive while that fsync runs
 * queue up and share the next write and the next fsync (group commit). Acknowledgements go out in
 * queue order, so the acknowledged offsets are always a prefix of the log.
 */
import type { LogSegment } from './log-segment.js';

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The LogAppendTime given to the batches, or -1. */
  logAppendTime: bigint;
  logStartOffset: bigint;
}

export interface PendingAppend {
  segment: LogSegment;
  position: number;
  buffer: Buffer;
  /** The offset after this append's last record. */
  nextOffset: bigint;
  /** The largest batch max timestamp of this append and the last offset of the first batch with it. */
  maxTimestamp: bigint;
  offsetOfMaxTimestamp: bigint;
  /** fsync before acknowledging (fsync-before-ack, or flush.messages reached with this append). */
  syncBeforeAck: boolean;
  result: AppendResult;
  resolve: (r: AppendResult) => void;
  reject: (err: unknown) => void;
}

/** What the writer needs from its log. */
export interface WriterHost {
  /** fsyncs `segment` and every segment rolled before it, so everything up to `upTo` is durable. */
  syncThrough(segment: LogSegment, upTo: bigint): Promise<void>;
  /** The appends in `group` are written (and synced if asked): acknowledge them, in order. */
  acknowledge(group: readonly PendingAppend[]): void;
  /** Called after a write that was not synced (flush.ms starts counting). */
  wroteUnsynced(): void;
  /** A rolled segment has no writes left in flight. */
  sealedSegmentWritten(segment: LogSegment): void;
  /** An I/O error: the log goes offline (and calls the writer's `stop`); returns the error to reject with. */
  goOffline(err: unknown): Error;
}

/** The buffers of a group of appends, in order. */
const buffersOf = (group: readonly PendingAppend[]): Buffer[] => (group.length === 1 ? [group[0]!.buffer] : group.map((p) => p.buffer));

/** Bounds one pwritev: Linux takes at most 1024 buffers per call. */
const MAX_BUFFERS_PER_WRITE = 1024;

export class LogWriter {
  private queue: PendingAppend[] = [];
  private head = 0;
  private running = false;
  private idleWaiters: (() => void)[] | null = null;
  /** Set by `stop`: everything queued or enqueued later is rejected with it. */
  private error: Error | undefined = undefined;

  constructor(private readonly host: WriterHost) {}

  get queued(): number {
    return this.queue.length - this.head;
  }

  enqueue(p: PendingAppend): void {
    if (this.error !== undefined) {
      p.reject(this.error);
      return;
    }
    this.queue.push(p);
    if (!this.running) this.step();
  }

  /** Resolves once everything queued so far is written and acknowledged (or rejected). */
  idle(): Promise<void> {
    if (!this.running && this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  /**
   * Writes the next group of the queue, then the next, until it is empty: a group written now
   * (writeNow) is acknowledged in a microtask, once the append that queued it has returned, as
   * after a write through the promise path. A chain of steps rather than an async loop: the loop's
   * frame and awaits were ~0.7 KB of a produce request's short-lived objects.
   */
  private step(): void {
    this.running = true;
    if (this.queued === 0 || this.error !== undefined) return this.stopped();
    const group = this.takeGroup();
    const now = this.writeNow(group);
    if (now === 'written') queueMicrotask(() => this.afterStep(() => this.written(group)));
    else if (now === 'failed') this.step();
    else {
      this.writeGroup(group).then(
        () => this.step(),
        (err: unknown) => this.afterStep(() => {
          throw err;
        }),
      );
    }
  }

  /** Runs `fn`, then the next step; if `fn` throws, the writer stops running and the error goes on. */
  private afterStep(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.stopped();
      throw err;
    }
    this.step();
  }

  private stopped(): void {
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = null;
    for (const w of waiters ?? []) w();
  }

  /** The longest run of queued appends to the same segment, up to the pwritev limit. */
  private takeGroup(): PendingAppend[] {
    const first = this.queue[this.head]!;
    let end = this.head + 1;
    while (end < this.queue.length && end - this.head < MAX_BUFFERS_PER_WRITE && this.queue[end]!.segment === first.segment) end++;
    const group = this.queue.slice(this.head, end);
    this.head = end;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return group;
  }

  /**
   * Writes a group now, on the calling thread, when it needs no fsync and the segment can
   * (LogSegment.writeNow: a produce request's few KB): 'written', or 'failed' (the group is
   * rejected, the log offline); 'pool' when it must be written through the promise path.
   */
  private writeNow(group: PendingAppend[]): 'written' | 'failed' | 'pool' {
    const first = group[0]!;
    if (group.some((p) => p.syncBeforeAck)) return 'pool';
    const last = group[group.length - 1]!;
    try {
      if (!first.segment.writeNow(buffersOf(group), first.position, last.position + last.buffer.length - first.position)) return 'pool';
    } catch (err) {
      const reported = this.host.goOffline(err);
      for (const p of group) p.reject(reported);
      return 'failed';
    }
    first.segment.appendsWritten(group.length);
    this.host.wroteUnsynced();
    return 'written';
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    const segment = group[0]!.segment;
    const last = group[group.length - 1]!;
    try {
      const bytes = last.position + last.buffer.length - group[0]!.position;
      await segment.write(buffersOf(group), group[0]!.position, bytes);
      segment.appendsWritten(group.length);
      if (group.some((p) => p.syncBeforeAck)) await this.host.syncThrough(segment, last.nextOffset);
      else this.host.wroteUnsynced();
    } catch (err) {
      const reported = this.host.goOffline(err);
      for (const p of group) p.reject(reported);
      return;
    }
    this.written(group);
  }

  /** A group is written (and synced if asked): acknowledged, unless the log went offline meanwhile. */
  private written(group: PendingAppend[]): void {
    if (this.error !== undefined) {
      // The log went offline while this group was being written, and dropped it (its end went
      // back to the acknowledged end): refuse it rather than acknowledge past the log end.
      for (const p of group) p.reject(this.error);
      return;
    }
    const segment = group[0]!.segment;
    this.host.acknowledge(group);
    if (segment.finishedWriting) this.host.sealedSegmentWritten(segment);
  }

  /** The log went offline: rejects everything queued, and every later enqueue, with `error`. */
  stop(error: Error): void {
    this.error ??= error;
    const rest = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const p of rest) p.reject(this.error);
  }
}
