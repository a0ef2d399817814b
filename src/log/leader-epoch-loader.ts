/**
 * Loading a log's leader epochs at open (Kafka's LogLoader with LeaderEpochFileCache): the
 * `leader-epoch-checkpoint` file, brought up to date with the batches recovery reads.
 *
 * The file can be trusted below the recovery point: the recovery point never passes a segment
 * before the epochs starting in it are in the file, and a clean close writes the file before it
 * moves the recovery point to the log end. So the loader keeps the file's entries below the log
 * end, then adds the epochs of the batches recovery read anyway (from the recovery point on after
 * a crash, the active segment's tail after a clean shutdown), in Kafka's way: a batch starts an
 * entry when its epoch is above the latest.
 *
 * The file is written when the first epoch starts, so a log without one has none and costs
 * nothing here. A missing (or unreadable) file while the batches read carry epochs means a log
 * written before Samsa kept the file, or a lost file: then the batches before those are scanned
 * too, once, and the file is written.
 */
import type { Disk } from '../storage/disk.js';
import { baseOffsetAt, partitionLeaderEpochAt } from './batch-fields.js';
import { readLeaderEpochCheckpoint, writeLeaderEpochCheckpoint } from './leader-epoch-checkpoint-file.js';
import { type EpochEntry, LeaderEpochCache } from './leader-epoch-cache.js';
import type { LogLogger } from './log-logger.js';
import type { LogSegment } from './log-segment.js';
import { CheckpointFormatError } from './offset-checkpoint-file.js';
import { scanBatches } from './segment-scan.js';

/** Where in the log the batches shown to an EpochObserver start: a segment and a file position in it. */
export interface ObservedFrom {
  segment: LogSegment;
  position: number;
}

/** Collects the epoch starts of a run of batches shown in offset order (a recovery BatchObserver). */
export class EpochObserver {
  readonly starts: EpochEntry[] = [];
  from: ObservedFrom | undefined;

  /** The batches about to be shown start at `from`; anything shown before is forgotten. */
  startAt(from: ObservedFrom): void {
    this.from = from;
    this.starts.length = 0;
  }

  readonly observe = (buf: Buffer, pos: number): void => {
    const epoch = partitionLeaderEpochAt(buf, pos);
    const latest = this.starts[this.starts.length - 1];
    if (epoch >= 0 && (latest === undefined || epoch > latest.epoch)) this.starts.push({ epoch, startOffset: baseOffsetAt(buf, pos) });
  };
}

export interface LoadEpochsParams {
  disk: Disk;
  dir: string;
  logger: LogLogger;
  /** The log's segments after recovery. */
  segments: readonly LogSegment[];
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** The batches recovery read, from `observed.from` to the log end. */
  observed: EpochObserver;
  /** The log restarted empty at its start offset: no epoch survives. */
  restartedEmpty: boolean;
  /** Whether the directory's listing at load holds a checkpoint file (none to read when not). */
  checkpointListed: boolean;
}

/** The log's leader epoch entries, with the checkpoint file rewritten if they differ from it. */
export async function loadLeaderEpochs(p: LoadEpochsParams): Promise<EpochEntry[]> {
  const stored = await readStored(p);
  const cache = new LeaderEpochCache(stored ?? []);
  if (p.restartedEmpty) cache.clear();
  else {
    cache.truncateFromEnd(p.logEndOffset);
    if (stored === undefined && p.observed.starts.length > 0) await scanUnobserved(p, cache);
    for (const e of p.observed.starts) assignIfNewer(cache, e.epoch, e.startOffset);
    cache.truncateFromStart(p.logStartOffset);
    // A log whose records were all deleted (start = end) keeps no entry moved to its start: it
    // describes no batch, and the running log (truncated to that point) holds none either.
    cache.truncateFromEnd(p.logEndOffset);
  }
  const entries = cache.epochEntries();
  const write = stored === undefined ? entries.length > 0 : !sameEntries(stored, entries);
  if (write) await writeLeaderEpochCheckpoint(p.disk, p.dir, entries);
  return entries;
}

async function readStored(p: LoadEpochsParams): Promise<EpochEntry[] | undefined> {
  if (!p.checkpointListed) return undefined;
  try {
    return await readLeaderEpochCheckpoint(p.disk, p.dir);
  } catch (err) {
    if (!(err instanceof CheckpointFormatError)) throw err;
    p.logger.warn({ err, dir: p.dir }, 'ignoring an unreadable leader-epoch-checkpoint; rebuilding it from the batches');
    return undefined;
  }
}

/** As Kafka's recovery does: a batch starts an entry only when its epoch is above the latest. */
function assignIfNewer(cache: LeaderEpochCache, epoch: number, startOffset: bigint): void {
  const latest = cache.latestEpoch;
  if (epoch >= 0 && (latest === undefined || epoch > latest)) cache.assign(epoch, startOffset);
}

/** Reads the epochs of the batches before the observed ones (from the first segment on). */
async function scanUnobserved(p: LoadEpochsParams, cache: LeaderEpochCache): Promise<void> {
  const from = p.observed.from;
  for (const seg of p.segments) {
    const end = seg === from?.segment ? from.position : seg.writtenSize;
    if (end > 0) {
      await seg.files.use(seg, (file) =>
        scanBatches(file, 0, end, (buf, pos) => assignIfNewer(cache, partitionLeaderEpochAt(buf, pos), baseOffsetAt(buf, pos)), { reuseBuffer: true }),
      );
    }
    if (seg === from?.segment) break;
  }
}

function sameEntries(a: readonly EpochEntry[], b: readonly EpochEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e.epoch === b[i]!.epoch && e.startOffset === b[i]!.startOffset);
}
