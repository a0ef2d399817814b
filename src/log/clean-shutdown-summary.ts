/**
 * The clean-shutdown summary: what each partition log needs to serve, written by a clean close of
 * the LogManager into one file per data directory, so that the next open reads one file instead
 * of listing, stat'ing and reading every partition directory (docs/storage.md, "Clean-shutdown
 * summary").
 *
 * `clean-shutdown-summary` holds JSON Lines: a first line `{"version":3}`, then one JSON object per
 * log, its directory's name first (`{"dir":"<topic>-<partition>",...`), so an open indexes the
 * entries by name and parses each only as it builds that log (a whole-file parse made every entry's
 * objects at once, alive through the load: copied by every scavenge of it). Each entry is
 * one partition directory's log as the close left it: log start and end offsets, its segments
 * (base offset, sizes of the `.log`, `.index`, `.timeindex` and `.txnindex` files, the `.log`'s
 * modification time), the active segment's tail (largest timestamp and its offset, bytes since the
 * last index entry, the first batch's timestamp, its indexes' last entries), the leader epochs,
 * and for a log with producer snapshots the one its close wrote at the log end (the producers'
 * state, which the next open would otherwise read from the directory, as Kafka does). Offsets are
 * decimal strings. A log is left out (and loaded from its directory as before) when the close
 * could not vouch for it: files were left for the next open to remove, or its active segment's
 * tail was never read.
 *
 * Trust: the file is written (atomically, fsynced) before the clean-shutdown marker, and the
 * marker carries the summary's length and CRC-32C; the summary is used only when the marker is
 * there and both agree. Both files are removed (and the removal fsynced) before the broker writes
 * anything after an open, so a summary never outlives the state it describes. Each entry also
 * records what the close saw of the log's directory, active `.log` and leader-epoch checkpoint
 * (modification times and sizes); at open they are stat'ed again (Disk.statMany: on the main
 * thread, ~3 µs each) and a log whose files changed since is loaded from its directory, as a log
 * without a summary is (its tail read, damage found and recovered). The directory's mtime alone
 * would not do for the checkpoint: Linux stamps it with a coarse clock (a few ms), and a file
 * written over in place leaves it alone.
 */
import { crc32c } from '../protocol/primitives/crc32c.js';
import type { Disk, FileStat } from '../storage/disk.js';
import { LEADER_EPOCH_CHECKPOINT_FILE, LOG_FILE_SUFFIX } from './file-names.js';
import type { EpochEntry } from './leader-epoch-cache.js';
import type { LogConfig } from './log-config.js';
import { LogSegment, type SegmentTailState } from './log-segment.js';
import { type LogEnv, PartitionLog } from './partition-log.js';
import { ProducerState } from './producer-state.js';

export const CLEAN_SHUTDOWN_SUMMARY_FILE = 'clean-shutdown-summary';
/**
 * 3: one entry per line (2: one JSON document; 2 added `producers`). A summary of another version
 * is not used: its logs are loaded from their directories once, and the next close writes this one.
 */
const VERSION = 3;
/** How each entry's line starts: its directory's name comes first. */
const ENTRY_START = '{"dir":"';

/** One segment: [baseOffset, .log bytes, .index bytes, .timeindex bytes, .txnindex bytes, .log mtime ms]. */
type SegmentRow = [string, number, number, number, number, number];

/** One partition log as a clean close left it. */
export interface LogSummary {
  /** The partition directory's name, `<topic>-<partition>`. */
  dir: string;
  start: string;
  end: string;
  segments: SegmentRow[];
  /** The active segment's tail: [maxTimestamp, offsetOfMaxTimestamp, bytesSinceLastIndexEntry, firstBatchTimestamp or null]. */
  tail: [string, string, number, string | null];
  /** The active segment's last index entries: [offset index entry's offset, time index entry's timestamp and offset]. */
  indexLast: [string, string, string];
  /** [epoch, startOffset] */
  epochs: [number, string][];
  /**
   * What the close saw on disk, checked again at open (a log whose files changed since is loaded
   * from its directory): [directory mtime, active .log size, its mtime, leader-epoch-checkpoint
   * size (-1: none), its mtime (-1: none)].
   */
  seen: [number, number, number, number, number];
  /**
   * The producer snapshot the close wrote at the log end (base64 of the `.snapshot` file's bytes,
   * Kafka's format), for a log whose directory holds producer snapshots; absent for a log that
   * has none (no idempotent or transactional producer wrote to it).
   */
  producers?: string;
}

/**
 * The paths whose stats make up a summary's `seen`, for the log in `dir` (a normalized path, as
 * the log manager builds it) whose active segment has base offset `activeBase`. Joined by hand:
 * path.join normalizes each of 3,000 paths again at a start with 1,000 logs.
 */
function seenPaths(dir: string, activeBase: string): [string, string, string] {
  return [dir, `${dir}/${activeBase.padStart(20, '0')}${LOG_FILE_SUFFIX}`, `${dir}/${LEADER_EPOCH_CHECKPOINT_FILE}`];
}

function seenOf(stats: readonly (FileStat | undefined)[], i: number): LogSummary['seen'] | undefined {
  const dir = stats[i];
  const log = stats[i + 1];
  const epochs = stats[i + 2];
  if (!dir?.isDirectory || !log?.isFile) return undefined;
  return [dir.mtimeMs, log.size, log.mtimeMs, epochs?.size ?? -1, epochs?.mtimeMs ?? -1];
}

/** Whether the stats at `i` are what `seen` recorded (compared in place: 1,000 logs at a start). */
function sameAsSeen(stats: readonly (FileStat | undefined)[], i: number, seen: LogSummary['seen']): boolean {
  const dir = stats[i];
  const log = stats[i + 1];
  const epochs = stats[i + 2];
  if (!dir?.isDirectory || !log?.isFile) return false;
  return dir.mtimeMs === seen[0] && log.size === seen[1] && log.mtimeMs === seen[2] && (epochs?.size ?? -1) === seen[3] && (epochs?.mtimeMs ?? -1) === seen[4];
}

/** What the marker records of the summary it vouches for. */
export interface SummarySeal {
  bytes: number;
  crc32c: number;
}

/**
 * The summaries of the closed `logs` their close can vouch for (keyed by directory name by
 * `dirName`); the others are left out, to be loaded from their directories.
 */
export async function summarizeLogs(disk: Disk, logs: readonly PartitionLog[], dirName: (log: PartitionLog) => string): Promise<LogSummary[]> {
  const candidates = logs.filter((log) => {
    const active = log.segments[log.segments.length - 1]!;
    const known = active.tailState() !== undefined && active.offsetIndex.lastKnownOffset !== undefined && active.timeIndex.lastKnown !== undefined;
    // A log with producer snapshots is summarized with the one its close wrote at the log end (its producers' state).
    return known && (!log.hasProducerSnapshots || log.closingProducerSnapshot !== undefined) && !log.localLog.leftFilesBehind;
  });
  const paths: string[] = [];
  for (const log of candidates) paths.push(...seenPaths(log.dir, String(log.segments[log.segments.length - 1]!.baseOffset)));
  const stats = await disk.statMany(paths);
  const out: LogSummary[] = [];
  candidates.forEach((log, i) => {
    const seen = seenOf(stats, i * 3);
    const active = log.segments[log.segments.length - 1]!;
    if (seen && seen[1] === active.writtenSize) out.push(summarizeLog(log, dirName(log), seen));
  });
  return out;
}

function summarizeLog(log: PartitionLog, dirName: string, seen: LogSummary['seen']): LogSummary {
  const segs = log.segments;
  const active = segs[segs.length - 1]!;
  const tail = active.tailState()!;
  const lastTime = active.timeIndex.lastKnown!;
  const producers = log.closingProducerSnapshot;
  return {
    dir: dirName,
    start: String(log.logStartOffset),
    end: String(log.logEndOffset),
    segments: segs.map((s) => [String(s.baseOffset), s.writtenSize, s.offsetIndex.sizeInBytes, s.timeIndex.sizeInBytes, s.txnIndexBytes, s.lastModifiedMs]),
    tail: [String(tail.maxTimestamp), String(tail.offsetOfMaxTimestamp), tail.bytesSinceLastIndexEntry, tail.firstBatchTimestamp === undefined ? null : String(tail.firstBatchTimestamp)],
    indexLast: [String(active.offsetIndex.lastKnownOffset!), String(lastTime.timestamp), String(lastTime.offset)],
    epochs: log.epochEntries().map((e) => [e.epoch, String(e.startOffset)]),
    seen,
    ...(producers ? { producers: producers.toString('base64') } : {}),
  };
}

/**
 * The summaries among `candidates` (with the directory of each) whose files are as their close
 * saw them: the directory (no file added, removed or renamed), the active segment's `.log` and
 * the leader-epoch checkpoint unchanged in size and modification time.
 */
export async function unchangedSince(disk: Disk, candidates: readonly { summary: LogSummary; dir: string }[]): Promise<boolean[]> {
  const paths: string[] = new Array<string>(candidates.length * 3);
  for (let i = 0; i < candidates.length; i++) {
    const { summary, dir } = candidates[i]!;
    const logPath = seenPaths(dir, summary.segments[summary.segments.length - 1]![0]);
    paths[i * 3] = logPath[0];
    paths[i * 3 + 1] = logPath[1];
    paths[i * 3 + 2] = logPath[2];
  }
  const stats = await disk.statMany(paths);
  const out = new Array<boolean>(candidates.length);
  for (let i = 0; i < candidates.length; i++) out[i] = sameAsSeen(stats, i * 3, candidates[i]!.summary.seen);
  return out;
}

/** The file's bytes and the seal the marker carries. */
export function encodeSummary(logs: readonly LogSummary[]): { data: Buffer; seal: SummarySeal } {
  const lines = [JSON.stringify({ version: VERSION })];
  // `dir` is the first key of every entry (summarizeLog), so each line starts with ENTRY_START.
  for (const log of logs) lines.push(JSON.stringify(log));
  const data = Buffer.from(lines.join('\n'), 'utf8');
  return { data, seal: { bytes: data.length, crc32c: crc32c(data) } };
}

/** The clean-shutdown marker's content (Kafka's, plus the summary's seal when there is one). */
export function encodeMarker(seal: SummarySeal | undefined): Buffer {
  return Buffer.from(JSON.stringify({ version: 0, brokerEpoch: -1, ...(seal ? { samsaSummary: seal } : {}) }), 'utf8');
}

/** Why a summary is not trusted. */
export class SummaryRejected extends Error {}

/**
 * The summary's entries by directory name, each the line to parse (parseLogSummary) when its log
 * is built, if `data` is the summary `marker` vouches for; throws SummaryRejected otherwise (no
 * seal, a length or CRC that differs, another version, a line that is not an entry).
 */
export function decodeSummary(marker: Buffer, data: Buffer): Map<string, string> {
  let seal: unknown;
  try {
    seal = (JSON.parse(marker.toString('utf8')) as { samsaSummary?: unknown }).samsaSummary;
  } catch {
    throw new SummaryRejected('the clean-shutdown marker is not JSON');
  }
  if (!isSeal(seal)) throw new SummaryRejected('the clean-shutdown marker vouches for no summary');
  if (data.length !== seal.bytes || crc32c(data) !== seal.crc32c) throw new SummaryRejected(`the summary (${data.length} bytes) is not the one the marker vouches for (${seal.bytes} bytes)`);
  const lines = data.toString('utf8').split('\n');
  let header: { version?: unknown };
  try {
    header = JSON.parse(lines[0]!) as typeof header;
  } catch {
    throw new SummaryRejected('the summary does not start with its version');
  }
  if (typeof header !== 'object' || header === null || header.version !== VERSION) throw new SummaryRejected(`unknown summary version ${String(header?.version)}`);
  const out = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const nameEnd = line.indexOf('"', ENTRY_START.length);
    if (!line.startsWith(ENTRY_START) || nameEnd < 0) throw new SummaryRejected('a malformed summary entry');
    out.set(line.slice(ENTRY_START.length, nameEnd), line);
  }
  return out;
}

/** The entry on `line` (from decodeSummary), or undefined if it is not a well-formed entry. */
export function parseLogSummary(line: string): LogSummary | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isLogSummary(entry) ? entry : undefined;
}

function isSeal(v: unknown): v is SummarySeal {
  const s = v as SummarySeal | undefined;
  return typeof s === 'object' && s !== null && Number.isSafeInteger(s.bytes) && Number.isSafeInteger(s.crc32c);
}

const OFFSET = /^-?\d{1,20}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const isOffset = (v: unknown): v is string => typeof v === 'string' && OFFSET.test(v);
const isSize = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function isLogSummary(v: unknown): v is LogSummary {
  // Indexed loops, not destructuring or every(): 1,000 entries at a start, each an iterator less.
  const e = v as LogSummary;
  if (typeof e !== 'object' || e === null || typeof e.dir !== 'string' || !isOffset(e.start) || !isOffset(e.end)) return false;
  const { segments, epochs, tail, indexLast, seen } = e;
  if (!Array.isArray(segments) || segments.length === 0 || !Array.isArray(epochs) || !Array.isArray(tail)) return false;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (!Array.isArray(s) || s.length !== 6 || !isOffset(s[0]) || !isSize(s[1]) || !isSize(s[2]) || !isSize(s[3]) || !isSize(s[4]) || typeof s[5] !== 'number') return false;
  }
  const firstTs = tail[3];
  if (!isOffset(tail[0]) || !isOffset(tail[1]) || !isSize(tail[2]) || !(firstTs === null || isOffset(firstTs))) return false;
  if (!Array.isArray(indexLast) || indexLast.length !== 3 || !isOffset(indexLast[0]) || !isOffset(indexLast[1]) || !isOffset(indexLast[2])) return false;
  if (!Array.isArray(seen) || seen.length !== 5) return false;
  for (let i = 0; i < 5; i++) if (typeof seen[i] !== 'number') return false;
  if (e.producers !== undefined && !(typeof e.producers === 'string' && BASE64.test(e.producers))) return false;
  for (let i = 0; i < epochs.length; i++) {
    const x = epochs[i];
    if (!Array.isArray(x) || x.length !== 2 || !Number.isSafeInteger(x[0]) || !isOffset(x[1])) return false;
  }
  return true;
}

export interface OpenFromSummaryParams {
  env: LogEnv;
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  summary: LogSummary;
}

/**
 * The log as its summary describes it, without touching its files: each segment's `.log` is
 * opened on first read or append, its indexes read on first lookup (as Kafka's LazyIndex), the
 * producers' state is the snapshot the summary carries. Throws if that snapshot does not decode.
 */
export function openLogFromSummary(p: OpenFromSummaryParams): PartitionLog {
  // Indexed access throughout, not destructuring: each destructured array is an iterator and its
  // results, garbage that triggers scavenges while the logs being built are alive (1,000 at a start).
  const { env, config, summary } = p;
  const settings = { indexIntervalBytes: config.indexIntervalBytes, maxIndexSize: config.segmentIndexBytes };
  const bound = Math.min(config.segmentJitterMs, config.segmentMs);
  const rows = summary.segments;
  const segments = new Array<LogSegment>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const sizes = { log: r[1], index: r[2], timeIndex: r[3], txnIndex: r[4], mtimeMs: r[5] };
    segments[i] = LogSegment.open(env, p.dir, BigInt(r[0]), settings, sizes, bound > 0 ? Math.floor(env.random() * bound) : 0);
  }
  const t = summary.tail;
  const firstTs = t[3];
  const tail: SegmentTailState = { maxTimestamp: BigInt(t[0]), offsetOfMaxTimestamp: BigInt(t[1]), bytesSinceLastIndexEntry: t[2], firstBatchTimestamp: firstTs === null ? undefined : BigInt(firstTs) };
  const active = segments[segments.length - 1]!;
  active.restoreTailState(tail);
  const last = summary.indexLast;
  active.offsetIndex.restoreLastOffset(BigInt(last[0]));
  active.timeIndex.restoreLast({ timestamp: BigInt(last[1]), offset: BigInt(last[2]) });
  // The clean close that wrote the summary fsynced every file it describes (flushForClose).
  for (let i = 0; i < segments.length; i++) segments[i]!.markDurable();
  const logEndOffset = BigInt(summary.end);
  const epochs = summary.epochs;
  const leaderEpochs = new Array<EpochEntry>(epochs.length);
  for (let i = 0; i < epochs.length; i++) leaderEpochs[i] = { epoch: epochs[i]![0], startOffset: BigInt(epochs[i]![1]) };
  // As the log loader after a clean close: the newest snapshot (the close's, at the log end) is the state, nothing is replayed.
  const producers = summary.producers;
  return new PartitionLog({
    topic: p.topic,
    partition: p.partition,
    dir: p.dir,
    config,
    env,
    segments,
    logStartOffset: BigInt(summary.start),
    logEndOffset,
    leaderEpochs,
    checkpointedRecoveryPoint: logEndOffset,
    ...(producers === undefined ? {} : { producerState: ProducerState.decodeSnapshot(Buffer.from(producers, 'base64')), hasProducerSnapshots: true }),
  });
}
