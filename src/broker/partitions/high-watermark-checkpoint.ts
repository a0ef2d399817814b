/**
 * Kafka's high-watermark checkpoint: `replication-offset-checkpoint` in the data directory, in the
 * OffsetCheckpointFile format (version, count, then `topic partition offset` lines), with the
 * high watermark of every partition this broker holds, leader or follower. ReplicaManager writes
 * it every `replica.high.watermark.checkpoint.interval.ms` and at a clean shutdown, and reads it
 * at start, so a restarted replica starts from the high watermark it had rather than from its log
 * end (which may hold records the cluster never committed).
 *
 * Written whole through the Disk interface (temporary file, fsync, rename, fsync of the
 * directory), one write at a time: requests during a write share the next.
 */
import { join } from 'node:path';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { REPLICATION_OFFSET_CHECKPOINT_FILE } from '../../log/file-names.js';
import { CoalescingTask } from '../../log/coalescing-task.js';
import { type OffsetCheckpoint, readOffsetCheckpoint, writeOffsetCheckpoint } from '../../log/offset-checkpoint-file.js';
import type { Disk } from '../../storage/disk.js';

export interface HighWatermarkEntry {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: bigint;
}

export function highWatermarkCheckpointPath(dataDir: string): string {
  return join(dataDir, REPLICATION_OFFSET_CHECKPOINT_FILE);
}

/** The high watermarks in `dataDir`, by partition directory name: empty without a file; CheckpointFormatError when unreadable. */
export function readHighWatermarks(disk: Disk, dataDir: string): Promise<OffsetCheckpoint> {
  return readOffsetCheckpoint(disk, highWatermarkCheckpointPath(dataDir));
}

export function writeHighWatermarks(disk: Disk, dataDir: string, entries: Iterable<HighWatermarkEntry>): Promise<void> {
  const lines = [...entries].map((e) => ({ topic: e.topic, partition: e.partition, offset: e.highWatermark }));
  return writeOffsetCheckpoint(disk, highWatermarkCheckpointPath(dataDir), lines);
}

export interface HighWatermarkCheckpointOptions {
  readonly disk: Disk;
  readonly dataDir: string;
  readonly clock: Clock;
  /** `replica.high.watermark.checkpoint.interval.ms`. */
  readonly intervalMs: number;
  /** The partitions held now. */
  readonly entries: () => Iterable<HighWatermarkEntry>;
  readonly onError: (err: unknown) => void;
}

/** Writes the checkpoint every interval until closed. */
export class HighWatermarkCheckpointer {
  private readonly task: CoalescingTask;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly o: HighWatermarkCheckpointOptions) {
    this.task = new CoalescingTask(() => writeHighWatermarks(o.disk, o.dataDir, o.entries()));
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.write()
        .catch((err: unknown) => this.o.onError(err))
        .finally(() => this.schedule());
    }, this.o.intervalMs);
  }

  /** Writes the high watermarks as they are when the write starts. */
  write(): Promise<void> {
    return this.task.request();
  }

  /** Stops the periodic writes; the last one (a clean shutdown's) is the caller's `write()`. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }
}
