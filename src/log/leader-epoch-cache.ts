/**
 * Kafka's LeaderEpochFileCache (KIP-101, KIP-279), in memory: for one log, the leader epochs its
 * batches were written in and the offset each epoch starts at, in increasing order of both. A
 * follower asks the leader where its last epoch ends (OffsetForLeaderEpoch) to know where to
 * truncate, and a consumer asks the same to detect a log that was truncated under it (KIP-320).
 *
 * Entries are learned from appended batches' partitionLeaderEpoch: a batch whose epoch is not the
 * latest one starts an entry. Truncating the log end removes the entries at or above the new end;
 * moving the log start offset moves the first entry up to it. Every change is reported through
 * `changed` (the log persists the entries in `leader-epoch-checkpoint`, see
 * leader-epoch-checkpoint-file.ts); appends in the latest epoch change nothing.
 */

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: bigint;
}

/** An answer to OffsetForLeaderEpoch: the epoch found and where it ends. */
export interface EpochEndOffset {
  epoch: number;
  endOffset: bigint;
}

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;
const UNDEFINED: EpochEndOffset = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

  constructor(
    entries: readonly EpochEntry[] = [],
    private readonly changed: () => void = () => {},
  ) {
    for (let i = 0; i < entries.length; i++) this.put(entries[i]!.epoch, entries[i]!.startOffset);
  }

  /** The epoch of the latest entry: the epoch the log's last batches were written in. */
  get latestEpoch(): number | undefined {
    return this.entries[this.entries.length - 1]?.epoch;
  }

  /** Every entry, oldest first. */
  epochEntries(): EpochEntry[] {
    return [...this.entries];
  }

  /**
   * Records that `epoch` starts at `startOffset` (Kafka's assign): nothing changes when it is the
   * latest epoch already, at or before that offset. An epoch or offset at or above the new entry
   * removes the entries holding it first (they describe batches a truncation removed).
   */
  assign(epoch: number, startOffset: bigint): void {
    if (this.put(epoch, startOffset)) this.changed();
  }

  private put(epoch: number, startOffset: bigint): boolean {
    if (epoch < 0 || startOffset < 0n) throw new RangeError(`invalid leader epoch entry (${epoch}, ${startOffset})`);
    const latest = this.entries[this.entries.length - 1];
    if (latest && latest.epoch === epoch && latest.startOffset <= startOffset) return false;
    let keep = this.entries.length;
    while (keep > 0 && (this.entries[keep - 1]!.epoch >= epoch || this.entries[keep - 1]!.startOffset >= startOffset)) keep--;
    // A new array (entries are never changed in place), sized exactly.
    const next = new Array<EpochEntry>(keep + 1);
    for (let i = 0; i < keep; i++) next[i] = this.entries[i]!;
    next[keep] = { epoch, startOffset };
    this.entries = next;
    return true;
  }

  /** Removes the entries starting at or after `endOffset` (the log end went back there). */
  truncateFromEnd(endOffset: bigint): void {
    let keep = this.entries.length;
    while (keep > 0 && this.entries[keep - 1]!.startOffset >= endOffset) keep--;
    if (keep === this.entries.length) return;
    this.entries = this.entries.slice(0, keep);
    this.changed();
  }

  /**
   * The log starts at `startOffset` now: the entry holding it starts there, earlier ones go
   * (Kafka's truncateFromStart).
   */
  truncateFromStart(startOffset: bigint): void {
    let removed = 0;
    while (removed < this.entries.length && this.entries[removed]!.startOffset <= startOffset) removed++;
    if (removed === 0) return;
    const holding = this.entries[removed - 1]!;
    if (removed === 1 && holding.startOffset === startOffset) return;
    this.entries = [{ epoch: holding.epoch, startOffset }, ...this.entries.slice(removed)];
    this.changed();
  }

  /** Forgets every entry (the log restarted empty). */
  clear(): void {
    if (this.entries.length === 0) return;
    this.entries = [];
    this.changed();
  }

  /**
   * Kafka's endOffsetFor: for the largest known epoch at or below `requested`, that epoch and the
   * start offset of the next epoch — or `logEndOffset` when `requested` is the latest epoch. A
   * requested epoch below every known one answers itself and the first known epoch's start (the
   * earlier epochs' data is gone; the follower replicates from the log start). Undefined epoch,
   * an epoch above the latest, or no entries at all: (-1, -1).
   */
  endOffsetFor(requested: number, logEndOffset: bigint): EpochEndOffset {
    if (requested === UNDEFINED_EPOCH) return { ...UNDEFINED };
    if (requested === this.latestEpoch) return { epoch: requested, endOffset: logEndOffset };
    const higher = this.entries.findIndex((e) => e.epoch > requested);
    if (higher < 0) return { ...UNDEFINED };
    const next = this.entries[higher]!;
    if (higher === 0) return { epoch: requested, endOffset: next.startOffset };
    return { epoch: this.entries[higher - 1]!.epoch, endOffset: next.startOffset };
  }
}
