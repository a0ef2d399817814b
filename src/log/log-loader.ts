/**
 * Kafka's LogLoader: turns a partition directory back into a PartitionLog.
 *
 * 1. Leftovers of interrupted work go: `.deleted` and `.cleaned` files and temporary files are
 *    removed; a `.swap` segment (a cleaned segment that was replacing others) completes its swap.
 * 2. Segments are opened from their `.log` files; an index file that is missing or whose size is
 *    not a whole number of entries is rebuilt from the log.
 * 3. After a clean shutdown nothing else is read except the active segment's tail. Otherwise
 *    every segment from the one holding the recovery point on is recovered (CRC-checked,
 *    indexes rebuilt) and the first invalid batch truncates the log there, deleting any later
 *    segments. What was truncated is reported.
 * 4. The producers' state is rebuilt (producer-snapshots.ts), rebuilding on the way the
 *    `.txnindex` of the segments recovered in 3, and the leader epochs are loaded and brought up
 *    to date with the batches read in 3 (leader-epoch-loader.ts).
 */
import { join } from 'node:path';
import type { LogConfig } from './log-config.js';
import {
  CLEANED_FILE_SUFFIX,
  DELETED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LEADER_EPOCH_CHECKPOINT_FILE,
  LOG_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
  TXN_INDEX_FILE_SUFFIX,
  parseSegmentFileName,
  segmentFilePath,
} from './file-names.js';
import { LogSegment, type SegmentFileSizes } from './log-segment.js';
import { type LogEnv, PartitionLog } from './partition-log.js';
import { floorSegment } from './segment-read.js';
import { OFFSET_INDEX_ENTRY_SIZE } from './offset-index.js';
import { TIME_INDEX_ENTRY_SIZE } from './time-index.js';
import { SegmentTailInvalid, loadTailState, recoverSegment, tailStart } from './segment-recovery.js';
import { EpochObserver, loadLeaderEpochs } from './leader-epoch-loader.js';
import { completeSwaps } from './swap-recovery.js';
import { loadProducerState } from './producer-snapshots.js';
import { unlinkIfExists } from '../storage/disk-files.js';

export interface LoadLogParams {
  env: LogEnv;
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  hadCleanShutdown: boolean;
  /** From recovery-point-offset-checkpoint; undefined recovers every segment. */
  recoveryPoint: bigint | undefined;
  /** From log-start-offset-checkpoint. */
  logStartOffset: bigint | undefined;
}

/** What loading one log found and did (logged, and kept by the LogManager). */
export interface LogRecoveryReport {
  topic: string;
  partition: number;
  hadCleanShutdown: boolean;
  /** Segments scanned batch by batch. */
  recoveredSegments: number;
  /** Bytes cut from the end of segments, with the reason. */
  truncations: { segment: string; bytes: number; reason: string }[];
  /** Segments deleted because an earlier one was truncated. */
  deletedSegments: string[];
  /** Segments whose indexes were rebuilt although not scheduled for recovery. */
  rebuiltIndexes: string[];
  logEndOffset: bigint;
}

interface FoundFiles {
  log?: { size: number; mtimeMs: number };
  index?: number;
  timeIndex?: number;
  txnIndex?: number;
}

export async function loadLog(p: LoadLogParams): Promise<{ log: PartitionLog; report: LogRecoveryReport }> {
  const report: LogRecoveryReport = { topic: p.topic, partition: p.partition, hadCleanShutdown: p.hadCleanShutdown, recoveredSegments: 0, truncations: [], deletedSegments: [], rebuiltIndexes: [], logEndOffset: 0n };
  // One listing of the directory serves the four steps (leftovers, swaps, segments, producer
  // snapshots) unless a swap was completed (which renames files). Nothing between the listing and
  // the producer-state load touches a snapshot: recovery deletes segments' .log and index files only.
  const names = await removeLeftovers(p);
  const swapped = await completeSwaps(p.env, p.dir, names);
  const listing = swapped ? await p.env.disk.readdir(p.dir) : names;
  const found = await findSegmentFiles(p, listing);
  const settings = { indexIntervalBytes: p.config.indexIntervalBytes, maxIndexSize: p.config.segmentIndexBytes };
  const jitter = () => {
    const bound = Math.min(p.config.segmentJitterMs, p.config.segmentMs);
    return bound > 0 ? Math.floor(p.env.random() * bound) : 0;
  };
  let segments = [...found.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([base, f]) => {
      const sizes: SegmentFileSizes = { log: f.log!.size, index: f.index ?? 0, timeIndex: f.timeIndex ?? 0, txnIndex: f.txnIndex ?? 0, mtimeMs: f.log!.mtimeMs };
      return { segment: LogSegment.open(p.env, p.dir, base, settings, sizes, jitter()), indexesSane: indexesLookSane(f) };
    });
  if (segments.length === 0) {
    const seg = LogSegment.create(p.env, p.dir, p.logStartOffset ?? 0n, settings, jitter());
    await seg.ensureFile();
    segments = [{ segment: seg, indexesSane: true }];
  }
  const firstToRecover = p.hadCleanShutdown ? segments.length : p.recoveryPoint === undefined ? 0 : floorSegment(segments.map((s) => s.segment), p.recoveryPoint);
  const observed = new EpochObserver();
  const kept = await recoverSegments(p, segments, firstToRecover, report, observed);
  let logEndOffset = kept.nextOffset;
  let logSegments = kept.segments;
  let logStartOffset = p.logStartOffset !== undefined && p.logStartOffset > logSegments[0]!.baseOffset ? p.logStartOffset : logSegments[0]!.baseOffset;
  const restartedEmpty = logStartOffset > logEndOffset;
  if (restartedEmpty) {
    // Recovery lost data below a DeleteRecords point: start afresh there rather than reuse offsets.
    p.env.logger.warn({ log: `${p.topic}-${p.partition}`, logStartOffset: String(logStartOffset), logEndOffset: String(logEndOffset) }, 'log end below log start offset after recovery; starting an empty log at the log start offset');
    for (const s of logSegments) await deleteSegmentNow(s, report);
    const seg = LogSegment.create(p.env, p.dir, logStartOffset, settings, jitter());
    await seg.ensureFile();
    logSegments = [seg];
    logEndOffset = logStartOffset;
  }
  if (logStartOffset < logSegments[0]!.baseOffset) logStartOffset = logSegments[0]!.baseOffset;
  report.logEndOffset = logEndOffset;
  // Where recovery scanned from (a clean shutdown's active segment when its tail needed recovery).
  const recoveredFrom = restartedEmpty
    ? undefined
    : firstToRecover < segments.length
      ? segments[firstToRecover]!.segment.baseOffset
      : report.recoveredSegments > 0
        ? logSegments[logSegments.length - 1]!.baseOffset
        : undefined;
  const producers = await loadProducerState({ disk: p.env.disk, dir: p.dir, listing, segments: logSegments, logEndOffset, logger: p.env.logger, nowMs: p.env.clock.now(), closedCleanly: p.hadCleanShutdown && report.recoveredSegments === 0 && !restartedEmpty, ...(recoveredFrom !== undefined ? { recoveredFrom } : {}) });
  const leaderEpochs = await loadLeaderEpochs({ disk: p.env.disk, dir: p.dir, logger: p.env.logger, segments: logSegments, logStartOffset, logEndOffset, observed, restartedEmpty, checkpointListed: listing.includes(LEADER_EPOCH_CHECKPOINT_FILE) });
  const log = new PartitionLog({
    topic: p.topic,
    partition: p.partition,
    dir: p.dir,
    config: p.config,
    env: p.env,
    segments: logSegments,
    logStartOffset,
    logEndOffset,
    producerState: producers.state,
    hasProducerSnapshots: producers.snapshots,
    leaderEpochs,
    checkpointedRecoveryPoint: p.hadCleanShutdown ? logEndOffset : (p.recoveryPoint ?? logStartOffset),
  });
  return { log, report };
}

function indexesLookSane(f: FoundFiles): boolean {
  if (f.log!.size === 0) return true;
  if (f.index === undefined || f.timeIndex === undefined) return false;
  return f.index % OFFSET_INDEX_ENTRY_SIZE === 0 && f.timeIndex % TIME_INDEX_ENTRY_SIZE === 0;
}

/** Removes what a crash left half done; returns the directory's other names. */
async function removeLeftovers(p: LoadLogParams): Promise<string[]> {
  const kept: string[] = [];
  for (const name of await p.env.disk.readdir(p.dir)) {
    if (name.endsWith(DELETED_FILE_SUFFIX) || name.endsWith(CLEANED_FILE_SUFFIX) || name.endsWith('.tmp')) {
      await unlinkIfExists(p.env.disk, join(p.dir, name));
    } else kept.push(name);
  }
  return kept;
}

/** The segments' files among `names` (the directory's listing), with their sizes. */
async function findSegmentFiles(p: LoadLogParams, names: readonly string[]): Promise<Map<bigint, FoundFiles>> {
  const found = new Map<bigint, FoundFiles>();
  const orphans: string[] = [];
  const segmentFiles = names.flatMap((name) => {
    const parsed = parseSegmentFileName(name);
    return parsed && parsed.state === '' ? [{ name, parsed }] : [];
  });
  // A segment's files are stat'ed together (four at most per segment go to the thread pool at once).
  const stats = await Promise.all(segmentFiles.map(({ name }) => p.env.disk.stat(join(p.dir, name))));
  for (let i = 0; i < segmentFiles.length; i++) {
    const { parsed } = segmentFiles[i]!;
    const st = stats[i];
    if (!st?.isFile) continue;
    const f = found.get(parsed.baseOffset) ?? {};
    found.set(parsed.baseOffset, f);
    if (parsed.kind === LOG_FILE_SUFFIX) f.log = { size: st.size, mtimeMs: st.mtimeMs };
    else if (parsed.kind === INDEX_FILE_SUFFIX) f.index = st.size;
    else if (parsed.kind === TIME_INDEX_FILE_SUFFIX) f.timeIndex = st.size;
    else if (parsed.kind === TXN_INDEX_FILE_SUFFIX) f.txnIndex = st.size;
  }
  for (const [base, f] of found) {
    if (f.log) continue;
    // Index files whose log is gone (Kafka deletes them too).
    orphans.push(segmentFilePath(p.dir, base, INDEX_FILE_SUFFIX), segmentFilePath(p.dir, base, TIME_INDEX_FILE_SUFFIX), segmentFilePath(p.dir, base, TXN_INDEX_FILE_SUFFIX));
    found.delete(base);
  }
  for (const path of orphans) await unlinkIfExists(p.env.disk, path);
  return found;
}

/**
 * Recovers segments from `first` on (or, after a clean shutdown, only loads the active one's
 * tail), rebuilding the indexes of earlier segments that need it; `observed` is shown the batches
 * recovered or loaded. Returns the segments kept and the log end offset.
 */
async function recoverSegments(
  p: LoadLogParams,
  all: { segment: LogSegment; indexesSane: boolean }[],
  first: number,
  report: LogRecoveryReport,
  observed: EpochObserver,
): Promise<{ segments: LogSegment[]; nextOffset: bigint }> {
  const kept: LogSegment[] = [];
  let nextOffset = all[0]!.segment.baseOffset;
  for (let i = 0; i < all.length; i++) {
    const { segment, indexesSane } = all[i]!;
    const isLast = i === all.length - 1;
    kept.push(segment);
    if (i >= first) {
      if (i === first) observed.startAt({ segment, position: 0 });
      const r = await recoverSegment(segment, { durableIndexes: !isLast, observe: observed.observe });
      report.recoveredSegments++;
      nextOffset = r.nextOffset;
      if (r.truncatedBytes > 0) {
        report.truncations.push({ segment: segment.filePath, bytes: r.truncatedBytes, reason: r.reason ?? 'invalid' });
        p.env.logger.warn({ segment: segment.filePath, truncatedBytes: r.truncatedBytes, validBytes: r.validBytes, reason: r.reason }, 'truncated an invalid tail during recovery');
        for (const later of all.slice(i + 1)) await deleteSegmentNow(later.segment, report);
        break;
      }
      continue;
    }
    if (!indexesSane) {
      await recoverSegment(segment);
      report.rebuiltIndexes.push(segment.filePath);
      p.env.logger.warn({ segment: segment.filePath }, 'rebuilt missing or damaged index files');
    }
    if (isLast) nextOffset = await loadActiveTail(p, segment, report, observed);
    else nextOffset = all[i + 1]!.segment.baseOffset;
  }
  return { segments: kept, nextOffset };
}

/** The active segment after a clean shutdown: indexes checked, tail read; recovered if either fails. */
async function loadActiveTail(p: LoadLogParams, segment: LogSegment, report: LogRecoveryReport, observed: EpochObserver): Promise<bigint> {
  try {
    await segment.offsetIndex.verify();
    await segment.timeIndex.verify();
    observed.startAt({ segment, position: await tailStart(segment) });
    return await loadTailState(segment, observed.observe);
  } catch (err) {
    const known = err instanceof SegmentTailInvalid || (err as { code?: string }).code === 'SAMSA_CORRUPT_INDEX';
    if (!known) throw err;
    p.env.logger.warn({ err, segment: segment.filePath }, 'active segment inconsistent after a clean shutdown; recovering it');
    observed.startAt({ segment, position: 0 });
    const r = await recoverSegment(segment, { durableIndexes: false, observe: observed.observe });
    report.recoveredSegments++;
    if (r.truncatedBytes > 0) report.truncations.push({ segment: segment.filePath, bytes: r.truncatedBytes, reason: r.reason ?? 'invalid' });
    return r.nextOffset;
  }
}

async function deleteSegmentNow(segment: LogSegment, report: LogRecoveryReport): Promise<void> {
  report.deletedSegments.push(segment.filePath);
  await segment.release();
  await segment.changeSuffix('', DELETED_FILE_SUFFIX);
  await segment.deleteFiles();
}
