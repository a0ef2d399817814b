/**
 * Kafka's LeaderEpochCheckpointFile: `leader-epoch-checkpoint` in the partition directory, in the
 * CheckpointFile format (offset-checkpoint-file.ts) with one `epoch startOffset` line per entry:
 *
 *   0          <- version
 *   2          <- number of entries
 *   0 0        <- epoch 0 starts at offset 0
 *   3 1520
 *
 * Replaced atomically through the Disk interface (temporary file, fsync, rename, fsync of the
 * directory). `EpochCheckpointWriter` writes it in the background when the cache changes, one
 * write at a time, later changes sharing the next write.
 */
import { join } from 'node:path';
import type { Disk } from '../storage/disk.js';
import { readWholeFile, writeFileAtomically } from '../storage/disk-files.js';
import { CoalescingTask } from './coalescing-task.js';
import { LEADER_EPOCH_CHECKPOINT_FILE } from './file-names.js';
import type { EpochEntry } from './leader-epoch-cache.js';
import { CheckpointFormatError, decodeCheckpointLines, encodeCheckpointLines } from './offset-checkpoint-file.js';

export function leaderEpochCheckpointPath(dir: string): string {
  return join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
}

export function encodeLeaderEpochCheckpoint(entries: readonly EpochEntry[]): Buffer {
  return encodeCheckpointLines(entries.map((e) => `${e.epoch} ${e.startOffset}`));
}

/** The entries of a checkpoint; CheckpointFormatError when it is not one. */
export function decodeLeaderEpochCheckpoint(text: string): EpochEntry[] {
  return decodeCheckpointLines(text).map((line, i) => {
    const m = /^(\d+)\s+(\d+)$/.exec(line);
    if (!m || Number(m[1]) > 0x7fffffff) throw new CheckpointFormatError(`malformed leader epoch line ${i + 3}: ${JSON.stringify(line)}`);
    return { epoch: Number(m[1]), startOffset: BigInt(m[2]!) };
  });
}

/** The checkpoint in `dir`: undefined when there is none; CheckpointFormatError when unreadable. */
export async function readLeaderEpochCheckpoint(disk: Disk, dir: string): Promise<EpochEntry[] | undefined> {
  const data = await readWholeFile(disk, leaderEpochCheckpointPath(dir));
  return data === undefined ? undefined : decodeLeaderEpochCheckpoint(data.toString('utf8'));
}

export function writeLeaderEpochCheckpoint(disk: Disk, dir: string, entries: readonly EpochEntry[]): Promise<void> {
  return writeFileAtomically(disk, leaderEpochCheckpointPath(dir), encodeLeaderEpochCheckpoint(entries));
}

/** Writes a log's leader epoch checkpoint in the background whenever asked, the latest entries each time. */
export class EpochCheckpointWriter {
  private readonly task: CoalescingTask;
  /** The latest write asked for; never rejects (a failure goes to onError and is kept). */
  private latest: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;

  constructor(
    disk: Disk,
    dir: string,
    entries: () => readonly EpochEntry[],
    private readonly onError: (err: unknown) => void,
  ) {
    this.task = new CoalescingTask(() => writeLeaderEpochCheckpoint(disk, dir, entries()));
  }

  /** Writes the entries as they will be when the write starts. */
  schedule(): void {
    this.latest = this.task.request().catch((err: unknown) => {
      this.failure ??= err;
      this.onError(err);
    });
  }

  /** Resolves once every change scheduled so far is in the file; throws if a write failed. */
  async flushed(): Promise<void> {
    await this.latest;
    if (this.failure !== undefined) throw this.failure;
  }
}
