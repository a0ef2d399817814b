/**
 * The replicated log of the metadata partition (Kafka's ReplicatedLog / KafkaMetadataLog): record
 * batches with their offsets and the leader epoch that wrote them (the batch's
 * partitionLeaderEpoch), kept in memory for reads and stored in segment files for durability.
 *
 * The log begins at `startOffset`: 0, or the end offset of a snapshot once the segments before it
 * are deleted. Appends go to memory at once and reach the disk on `flush`, which writes and fsyncs
 * them; `flushedEndOffset` is what a node may acknowledge (a follower's fetch offset, the leader's
 * own vote for the high watermark). Every mutation of the files runs on the Raft client's single
 * event queue, so they never interleave.
 */
import type { Disk } from '../../storage/disk.js';
import { type RecordInput, encodeUncompressedRecordBatch, iterateBatches, validateBatch } from '../../protocol/records/index.js';
import { RaftStateError } from './errors.js';
import { type LogBatch, type Segment, type StoredBatch, SegmentFiles, storedBatch } from './log-segments.js';
import type { OffsetAndEpoch } from './offset-and-epoch.js';

export type { LogBatch } from './log-segments.js';

/** How a follower's fetch position compares with the leader's log (Kafka's ValidOffsetAndEpoch). */
export type FetchPositionCheck =
  | { readonly kind: 'valid' }
  /** The follower's log diverges: it must truncate to at most this epoch's end offset. */
  | { readonly kind: 'diverging'; readonly divergingEpoch: OffsetAndEpoch }
  /** The position lies before the log start: the follower needs the latest snapshot. */
  | { readonly kind: 'snapshot' };

export interface RaftLogOptions {
  readonly segmentBytes: number;
  readonly unsafeSkipFsync?: boolean;
}

export class RaftLog {
  private batches: StoredBatch[];
  private writtenCount: number;
  private flushed: number;
  private readonly dirty = new Set<Segment>();

  private constructor(
    private readonly files: SegmentFiles,
    batches: StoredBatch[],
    private start: number,
    /** The epoch of the entry just before `start` (the snapshot's), 0 at offset 0. */
    private startEpoch: number,
  ) {
    this.batches = batches;
    this.writtenCount = batches.length;
    this.flushed = this.endOffset;
  }

  /**
   * Opens (recovering) the log in `dir`. `snapshot` is the latest complete snapshot, if any: a log
   * that ends before it, or disagrees with it at its end, is reset to begin at it.
   */
  static async open(disk: Disk, dir: string, options: RaftLogOptions, snapshot: OffsetAndEpoch | undefined): Promise<RaftLog> {
    const { files, batches } = await SegmentFiles.load(disk, dir, options);
    const first = files.firstBaseOffset;
    const log = new RaftLog(files, batches, first ?? 0, 0);
    if (first === undefined) {
      if (snapshot) log.startAt(snapshot);
      await files.roll(log.start);
    } else if (snapshot) {
      if (first > snapshot.offset) throw new RaftStateError(`the log starts at ${first}, after the latest snapshot ${snapshot.offset}: offsets between are missing`);
      // The log must reach the snapshot and agree with it there; otherwise it is begun anew at it.
      const agrees = snapshot.offset === first ? (batches[0]?.epoch ?? snapshot.epoch) >= snapshot.epoch : log.epochOf(snapshot.offset - 1) === snapshot.epoch;
      if (log.endOffset < snapshot.offset || !agrees) await log.resetTo(snapshot);
      else log.startAt(snapshot);
    } else if (first !== 0) {
      throw new RaftStateError(`the log starts at ${first} but there is no snapshot before it`);
    }
    // What a crashed process left in the page cache is durable from here on, so it may be acknowledged.
    await log.syncLoaded();
    return log;
  }

  /** Moves the (logical) log start up to a snapshot at a batch boundary; batches before it leave memory. */
  private startAt(snapshot: OffsetAndEpoch): void {
    const i = this.batches.findIndex((b) => b.lastOffset >= snapshot.offset);
    const kept = i < 0 ? this.batches.length : i;
    const b = this.batches[kept];
    if (b && b.baseOffset !== snapshot.offset) throw new RaftStateError(`snapshot at ${snapshot.offset} falls inside the batch at ${b.baseOffset}`);
    this.batches = this.batches.slice(kept);
    this.writtenCount = Math.max(0, this.writtenCount - kept);
    this.start = snapshot.offset;
    this.startEpoch = snapshot.epoch;
    this.flushed = Math.max(this.flushed, this.start);
  }

  private async syncLoaded(): Promise<void> {
    for (const b of this.batches) if (b.segment) this.dirty.add(b.segment);
    await this.files.syncAll(this.dirty);
    this.dirty.clear();
  }

  get startOffset(): number {
    return this.start;
  }

  get endOffset(): number {
    const last = this.batches[this.batches.length - 1];
    return last ? last.lastOffset + 1 : this.start;
  }

  /** The end of what has been written and fsynced. */
  get flushedEndOffset(): number {
    return this.flushed;
  }

  /** The epoch of the last entry (of the snapshot the log starts at when it is empty). */
  get lastFetchedEpoch(): number {
    return this.batches[this.batches.length - 1]?.epoch ?? this.startEpoch;
  }

  endOffsetAndEpoch(): OffsetAndEpoch {
    return { offset: this.endOffset, epoch: this.lastFetchedEpoch };
  }

  get sizeInBytes(): number {
    let n = 0;
    for (const b of this.batches) n += b.bytes.length;
    return n;
  }

  /** Index of the batch containing `offset`, or -1. */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.batches.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const b = this.batches[mid]!;
      if (offset < b.baseOffset) hi = mid - 1;
      else if (offset > b.lastOffset) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** The epoch of the entry at `offset`, or undefined when the log does not hold it. */
  epochOf(offset: number): number | undefined {
    if (offset === this.start - 1) return this.startEpoch;
    const i = this.indexOf(offset);
    return i < 0 ? undefined : this.batches[i]!.epoch;
  }

  /**
   * Kafka's endOffsetForEpoch: the largest epoch in the log not above `epoch`, with the offset
   * where it ends (where the next epoch starts, or the log end for the last one). An epoch older
   * than everything in the log answers with the log start and the epoch before it.
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    const last = this.lastFetchedEpoch;
    if (epoch >= last) return { offset: this.endOffset, epoch: last };
    // The first batch of a later epoch marks where `epoch`'s run (or the last one before it) ends.
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.epoch > epoch) hi = mid;
      else lo = mid + 1;
    }
    if (lo === 0) return { offset: this.start, epoch: Math.min(this.startEpoch, epoch) };
    return { offset: this.batches[lo]!.baseOffset, epoch: this.batches[lo - 1]!.epoch };
  }

  /** The leader's check of a follower's position: Kafka's validateOffsetAndEpoch. */
  validateOffsetAndEpoch(offset: number, epoch: number): FetchPositionCheck {
    if (offset < this.start) return { kind: 'snapshot' };
    if (offset === this.start) return this.start === 0 || epoch === this.startEpoch ? { kind: 'valid' } : { kind: 'snapshot' };
    const end = this.endOffsetForEpoch(epoch);
    if (end.epoch === epoch && end.offset >= offset) return { kind: 'valid' };
    if (end.offset < this.start || (end.offset === this.start && this.start > 0 && end.epoch !== this.startEpoch)) return { kind: 'snapshot' };
    return { kind: 'diverging', divergingEpoch: end };
  }

  /** Appends one batch written by this node as leader of `epoch`; durable only after `flush`. */
  appendAsLeader(records: readonly RecordInput[], epoch: number, timestampMs: number, isControlBatch = false): LogBatch {
    if (epoch < this.lastFetchedEpoch) throw new RaftStateError(`append in epoch ${epoch} after epoch ${this.lastFetchedEpoch}`);
    const bytes = encodeUncompressedRecordBatch({
      baseOffset: BigInt(this.endOffset),
      partitionLeaderEpoch: epoch,
      baseTimestamp: BigInt(timestampMs),
      isControlBatch,
      records,
    });
    const batch = storedBatch(bytes, undefined, -1);
    this.batches.push(batch);
    return batch;
  }

  /**
   * Appends the batches a leader sent. Each must be intact (CRC), continue the log exactly and not
   * go back in epoch or beyond `maxEpoch`; a partial batch at the end is left out. Returns how many
   * batches were appended. Durable only after `flush`.
   */
  appendAsFollower(records: Buffer, maxEpoch: number): number {
    const accepted: StoredBatch[] = [];
    let next = this.endOffset;
    let epoch = this.lastFetchedEpoch;
    for (const span of iterateBatches(records)) {
      if (!span.complete) break;
      validateBatch(records, span.position, { origin: 'replication' });
      const b = storedBatch(records.subarray(span.position, span.position + span.sizeInBytes), undefined, -1);
      if (b.baseOffset !== next) throw new RaftStateError(`fetched batch at ${b.baseOffset} does not continue the log at ${next}`);
      if (b.epoch < epoch || b.epoch > maxEpoch) throw new RaftStateError(`fetched batch of epoch ${b.epoch} after epoch ${epoch} (leader epoch ${maxEpoch})`);
      accepted.push(b);
      next = b.lastOffset + 1;
      epoch = b.epoch;
    }
    this.batches.push(...accepted);
    return accepted.length;
  }

  /** Whole batches from the one starting at (or containing) `offset`, up to `maxBytes` (at least one). */
  read(offset: number, maxBytes: number): LogBatch[] {
    let i = this.indexOf(offset);
    if (i < 0) return [];
    const out: LogBatch[] = [];
    let bytes = 0;
    for (; i < this.batches.length; i++) {
      const b = this.batches[i]!;
      if (out.length > 0 && bytes + b.bytes.length > maxBytes) break;
      out.push(b);
      bytes += b.bytes.length;
    }
    return out;
  }

  /** The batches holding offsets [from, to). */
  batchesBetween(from: number, to: number): LogBatch[] {
    const out: LogBatch[] = [];
    let i = this.indexOf(from);
    if (i < 0) return out;
    for (; i < this.batches.length && this.batches[i]!.baseOffset < to; i++) out.push(this.batches[i]!);
    return out;
  }

  /** Writes what is not yet on disk and fsyncs it; afterwards flushedEndOffset is the end offset. */
  async flush(): Promise<void> {
    const end = this.endOffset;
    const pending = this.batches.slice(this.writtenCount);
    if (pending.length > 0) {
      await this.files.write(pending);
      for (const b of pending) this.dirty.add(b.segment!);
      // Appends may have arrived while the write was under way: they are not written yet.
      this.writtenCount += pending.length;
    }
    if (this.dirty.size > 0) {
      const dirty = new Set(this.dirty);
      this.dirty.clear();
      await this.files.syncAll(dirty);
    }
    // A truncation while the writes were under way can only have lowered the end.
    this.flushed = Math.min(end, this.endOffset);
  }

  /** Removes every entry at or after `offset` (rounded down to a batch start), in memory and on disk. */
  async truncateTo(offset: number): Promise<void> {
    if (offset >= this.endOffset) return;
    if (offset < this.start) throw new RaftStateError(`truncation to ${offset} below the log start ${this.start}`);
    let i = this.indexOf(offset);
    if (i < 0) i = this.batches.length;
    const cut = this.batches[i];
    this.batches = this.batches.slice(0, i);
    this.writtenCount = Math.min(this.writtenCount, i);
    this.flushed = Math.min(this.flushed, this.endOffset);
    if (cut?.segment) await this.files.truncateAt(cut.segment, cut.position);
  }

  /**
   * Truncates after a leader reported a diverging epoch (Kafka's truncateToEndOffset): to where
   * that epoch ends in the leader's log or in ours, whichever is earlier. Refuses (RaftStateError)
   * to cut below `floor`, the committed offset: that would mean the leader lost a committed entry.
   * Returns the new end.
   */
  async truncateToEndOffset(diverging: OffsetAndEpoch, floor: number): Promise<number> {
    const local = this.endOffsetForEpoch(diverging.epoch);
    const to = Math.max(this.start, local.epoch === diverging.epoch ? Math.min(local.offset, diverging.offset) : local.offset);
    if (to < floor && to < this.endOffset) {
      throw new RaftStateError(`divergence at ${diverging.offset}@${diverging.epoch} would truncate the log to ${to}, below the committed offset ${floor}`);
    }
    await this.truncateTo(to);
    return this.endOffset;
  }

  /** Drops the whole log and begins it at `snapshot` (a snapshot fetched from the leader, or one the log lost). */
  async resetTo(snapshot: OffsetAndEpoch): Promise<void> {
    await this.files.reset(snapshot.offset);
    this.batches = [];
    this.writtenCount = 0;
    this.start = snapshot.offset;
    this.startEpoch = snapshot.epoch;
    this.flushed = snapshot.offset;
    this.dirty.clear();
  }

  /**
   * Begins the log at `snapshot` (a snapshot of committed entries this node took): the entries
   * before it leave memory and the segments wholly before it are deleted. Like Kafka's log start
   * offset, the start is logical: the first segment may still hold older batches, skipped on load.
   */
  async deleteBefore(snapshot: OffsetAndEpoch): Promise<void> {
    if (snapshot.offset <= this.start) return;
    if (snapshot.offset > this.flushed) throw new RaftStateError(`snapshot at ${snapshot.offset} is beyond the flushed log end ${this.flushed}`);
    this.startAt(snapshot);
    await this.files.deleteBefore(snapshot.offset);
  }

  async close(): Promise<void> {
    await this.files.close();
  }
}
