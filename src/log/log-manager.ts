/**
 * Kafka's LogManager for one data directory: finds and recovers every partition log at open,
 * creates and deletes logs, applies topic configs, and runs the background work: retention on a
 * schedule, checkpoints of recovery points and log start offsets, and the log cleaner.
 *
 * Layout (as Kafka's): `<dataDir>/<topic>-<partition>/` per partition, and in `<dataDir>` the
 * files recovery-point-offset-checkpoint, log-start-offset-checkpoint, cleaner-offset-checkpoint
 * and `.kafka_cleanshutdown`, written by close() only when every log was flushed, which lets the
 * next open skip recovery. Before the marker a clean close writes `clean-shutdown-summary`
 * (clean-shutdown-summary.ts), which lets the next open build the logs it describes without
 * touching their directories.
 */
import { dirname, join } from 'node:path';
import { type Clock, type TimerHandle, systemClock } from '../common/clock.js';
import { systemRandom } from '../common/random.js';
import type { Disk } from '../storage/disk.js';
import { readWholeFile, unlinkIfExists, writeFileAtomically } from '../storage/disk-files.js';
import { nodeDisk } from '../storage/node-disk.js';
import { FileHandleCache } from './file-handle-cache.js';
import {
  CLEAN_SHUTDOWN_FILE,
  DELETE_DIR_SUFFIX,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  deleteDirName,
  parsePartitionDirName,
  partitionDirName,
} from './file-names.js';
import type { IndexFile } from './index-file.js';
import type { LogConfig } from './log-config.js';
import { type LogRecoveryReport, loadLog } from './log-loader.js';
import { type LogLogger, silentLogger } from './log-logger.js';
import { LruBudget } from './lru-budget.js';
import { CoalescingTask } from './coalescing-task.js';
import { CheckpointFormatError, type OffsetCheckpoint, readOffsetCheckpoint, writeOffsetCheckpoint } from './offset-checkpoint-file.js';
import { type LogEnv, PartitionLog } from './partition-log.js';
import { PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS } from './producer-state.js';
import { LogSegment } from './log-segment.js';
import { LogClosedError } from './log-errors.js';
import { LogCleaner, type LogCleanerOptions } from './cleaner/log-cleaner.js';
import {
  CLEAN_SHUTDOWN_SUMMARY_FILE,
  type LogSummary,
  SummaryRejected,
  decodeSummary,
  encodeMarker,
  encodeSummary,
  openLogFromSummary,
  parseLogSummary,
  summarizeLogs,
  unchangedSince,
} from './clean-shutdown-summary.js';

export interface LogManagerOptions {
  dataDir: string;
  /** The config of logs whose topic has none of its own (see configFor and createLog). */
  defaults: LogConfig;
  clock?: Clock;
  disk?: Disk;
  logger?: LogLogger;
  /** Segment files open at once across all logs (default 1024). */
  maxOpenFiles?: number;
  /** Memory for index entries read back from files, across all logs (default 64 MiB). */
  maxIndexMemoryBytes?: number;
  /** log.retention.check.interval.ms (default 300000). */
  retentionCheckIntervalMs?: number;
  /** log.flush.offset.checkpoint.interval.ms (default 60000). */
  checkpointIntervalMs?: number;
  /** The config of a topic found on disk at open (the broker's topic configs); defaults otherwise. */
  configFor?: (topic: string) => LogConfig | undefined;
  /** Randomness (segment jitter, delete directory names); injectable for simulation. */
  random?: () => number;
  /** The most a batch may decompress to when the log decodes it (timestamp lookups, cleaning). Default 64 MiB. */
  maxDecodeBytes?: number;
  /** Logs loaded at once during open (default 16). */
  recoveryConcurrency?: number;
  /** Directories in the data directory that are not partition logs of this manager (the metadata log, `__cluster_metadata-0`). */
  excludeDirs?: readonly string[];
  /** The log cleaner (compaction); false to disable (log.cleaner.enable). */
  cleaner?: LogCleanerOptions | false;
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
/** Clean-shutdown summary entries parsed, checked and built at a time at open. */
const SUMMARY_CHUNK = 64;

export class LogManager {
  readonly dataDir: string;
  private readonly disk: Disk;
  private readonly clock: Clock;
  private readonly logger: LogLogger;
  private readonly env: LogEnv;
  private readonly files: FileHandleCache;
  private readonly logs = new Map<string, Map<number, PartitionLog>>();
  private readonly topicConfigs = new Map<string, LogConfig>();
  private readonly reports: LogRecoveryReport[] = [];
  private readonly checkpointTask: CoalescingTask;
  /**
   * fsync of the data directory after a partition directory is made or renamed away: requests
   * that arrive while one runs share the next (each waits for an fsync that started after its own
   * change), so creating 50 partitions costs a few directory fsyncs instead of 50.
   */
  private readonly dataDirSync: CoalescingTask;
  private readonly background = new Set<Promise<unknown>>();
  private timers: TimerHandle[] = [];
  private closed = false;
  private cleaner: LogCleaner | null = null;
  private deleteSeq = 0;

  private constructor(private readonly opts: LogManagerOptions) {
    this.dataDir = opts.dataDir;
    this.disk = opts.disk ?? nodeDisk;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.files = new FileHandleCache(this.disk, opts.maxOpenFiles ?? 1024, (err, path) => this.logger.warn({ err, path }, 'closing a segment file failed'));
    const memory: LruBudget<IndexFile> = new LruBudget<IndexFile>(opts.maxIndexMemoryBytes ?? 64 * 1024 * 1024, (index) => index.unload());
    this.checkpointTask = new CoalescingTask(() => this.writeCheckpoints());
    this.dataDirSync = new CoalescingTask(() => this.disk.syncDir(this.dataDir));
    this.env = {
      disk: this.disk,
      memory,
      files: this.files,
      clock: this.clock,
      maxDecodeBytes: opts.maxDecodeBytes ?? 64 * 1024 * 1024,
      logger: this.logger,
      random: opts.random ?? systemRandom,
      checkpointLogStartOffsets: () => this.checkpointTask.request(),
      checkpointRecoveryPoints: () => this.checkpointTask.request(),
      logTruncated: (log) => this.cleaner?.noteTruncation(log) ?? Promise.resolve(),
    };
  }

  /** Opens the data directory, recovering every partition log in it, and starts background work. */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(opts);
    await m.load();
    m.startBackgroundWork();
    return m;
  }

  /**
   * Creates the data directory with any missing parents, each made durable in its own parent from
   * the top down: a power loss soon after a first start must not take back a parent (and with it
   * every log under it).
   */
  private async makeDataDir(): Promise<void> {
    const missing: string[] = [];
    for (let d = this.dataDir; !(await this.disk.stat(d))?.isDirectory && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
    if (missing.length === 0) return;
    await this.disk.mkdir(this.dataDir);
    for (const d of missing) await this.disk.syncDir(dirname(d));
  }

  private async load(): Promise<void> {
    const started = this.clock.now();
    await this.makeDataDir();
    // One listing with entry types: a stat per partition directory cost a round trip to the thread pool each.
    const entries = await this.disk.readdirEntries(this.dataDir);
    const names = entries.map((e) => e.name);
    const hadCleanShutdown = names.includes(CLEAN_SHUTDOWN_FILE);
    const summaries = hadCleanShutdown && names.includes(CLEAN_SHUTDOWN_SUMMARY_FILE) ? await this.readSummary() : new Map<string, string>();
    // From here on a crash must not be mistaken for a clean shutdown, nor a summary outlive what it describes: both go, and their
    // removal is durable before open returns (before the broker writes anything). Started now rather than after the logs are
    // built, the unlinks and the data directory's fsync run in the thread pool while the main thread builds them.
    const retired = hadCleanShutdown || names.includes(CLEAN_SHUTDOWN_SUMMARY_FILE) ? this.retireCleanShutdown(hadCleanShutdown) : undefined;
    // Awaited below; a failure of the load before then must not leave it unhandled.
    retired?.catch(() => {});
    for (const name of names) if (name.endsWith(DELETE_DIR_SUFFIX)) this.track(this.disk.removeDir(join(this.dataDir, name)));
    const dirs: { name: string; topic: string; partition: number }[] = [];
    const interned = new Map<string, string>();
    for (const { name, isDirectory } of entries) {
      if (!isDirectory || this.opts.excludeDirs?.includes(name)) continue;
      const tp = parsePartitionDirName(name);
      // One string per topic, not per partition (100,000 partitions of a few topics).
      if (tp) tp.topic = interned.get(tp.topic) ?? (interned.set(tp.topic, tp.topic), tp.topic);
      if (tp) dirs.push({ name, ...tp });
    }
    // The logs the summary describes, unchanged since, are built without reading their directories; the others are loaded from them.
    // join(dataDir, name) without normalizing the data directory's path again for each of 1,000 logs.
    const dataDirSlash = join(this.dataDir, '/');
    const described: { d: (typeof dirs)[number]; line: string; dir: string }[] = [];
    for (const d of dirs) {
      const line = summaries.get(d.name);
      if (line !== undefined) described.push({ d, line, dir: dataDirSlash + d.name });
    }
    // One config per topic, shared by its logs as createLog shares it: resolving a topic's config is ~10 KB of allocation, 1,000 times for a topic of 1,000 partitions.
    const configs = new Map<string, LogConfig>();
    const configOf = (topic: string) => configs.get(topic) ?? (configs.set(topic, this.configOf(topic)), configs.get(topic)!);
    const trusted = new Set<string>();
    let malformed = 0;
    // A chunk of entries at a time: each parsed, its files stat'ed, its log built, then dropped (young garbage, never copied).
    for (let from = 0; from < described.length; from += SUMMARY_CHUNK) {
      const chunk: { d: (typeof dirs)[number]; summary: LogSummary; dir: string }[] = [];
      for (let i = from; i < described.length && i < from + SUMMARY_CHUNK; i++) {
        const { d, line, dir } = described[i]!;
        const summary = parseLogSummary(line);
        if (summary?.dir === d.name) chunk.push({ d, summary, dir });
        else malformed++;
      }
      const unchanged = await unchangedSince(this.disk, chunk);
      for (let i = 0; i < chunk.length; i++) {
        if (!unchanged[i]) continue;
        const { d, summary, dir } = chunk[i]!;
        let log: PartitionLog;
        try {
          log = openLogFromSummary({ env: this.env, dir, topic: d.topic, partition: d.partition, config: configOf(d.topic), summary });
        } catch (err) {
          // A producer snapshot that does not decode: the log is loaded from its directory, which reads its snapshot files.
          this.logger.warn({ err, log: d.name }, 'ignoring the clean-shutdown summary of a log');
          continue;
        }
        this.register(log);
        trusted.add(d.name);
      }
    }
    // Only a writer's bug makes one (the file is sealed): such a log is loaded from its directory.
    if (malformed > 0) this.logger.warn({ dataDir: this.dataDir, malformed }, 'ignoring malformed clean-shutdown summary entries');
    const unsummarized = dirs.filter((d) => !trusted.has(d.name));
    // The checkpoints are for logs loaded from their directories (the summary has the rest's offsets).
    const [recoveryPoints, logStarts] =
      unsummarized.length === 0 ? [new Map<string, bigint>(), new Map<string, bigint>()] : await Promise.all([this.readCheckpoint(RECOVERY_POINT_CHECKPOINT_FILE), this.readCheckpoint(LOG_START_OFFSET_CHECKPOINT_FILE)]);
    if (described.length - malformed > trusted.size) this.logger.warn({ dataDir: this.dataDir, changed: described.length - malformed - trusted.size }, 'logs changed since the clean-shutdown summary are loaded from their directories');
    await forEachLimited(unsummarized, this.opts.recoveryConcurrency ?? 16, async (d) => {
      const { log, report } = await loadLog({
        env: this.env,
        dir: join(this.dataDir, d.name),
        topic: d.topic,
        partition: d.partition,
        config: configOf(d.topic),
        hadCleanShutdown,
        recoveryPoint: recoveryPoints.get(d.name),
        logStartOffset: logStarts.get(d.name),
      });
      this.register(log);
      if (report.recoveredSegments > 0 || report.truncations.length > 0 || report.rebuiltIndexes.length > 0) this.reports.push(report);
    });
    await retired;
    this.logger.info({ dataDir: this.dataDir, logs: dirs.length, summarized: dirs.length - unsummarized.length, hadCleanShutdown, recovered: this.reports.length, ms: this.clock.now() - started }, 'logs loaded');
  }

  /** Removes the clean-shutdown marker and summary, and makes their removal durable. */
  private async retireCleanShutdown(hadCleanShutdown: boolean): Promise<void> {
    if (hadCleanShutdown) await this.disk.unlink(join(this.dataDir, CLEAN_SHUTDOWN_FILE));
    await unlinkIfExists(this.disk, join(this.dataDir, CLEAN_SHUTDOWN_SUMMARY_FILE));
    await this.disk.syncDir(this.dataDir);
  }

  private async readCheckpoint(file: string): Promise<OffsetCheckpoint> {
    try {
      return await readOffsetCheckpoint(this.disk, join(this.dataDir, file));
    } catch (err) {
      if (!(err instanceof CheckpointFormatError)) throw err;
      this.logger.warn({ err, file }, 'ignoring an unreadable checkpoint file (logs are recovered from their start)');
      return new Map();
    }
  }

  /** The clean-shutdown summary's entries by directory name (parseLogSummary parses each); none when the marker does not vouch for it. */
  private async readSummary(): Promise<Map<string, string>> {
    const marker = await readWholeFile(this.disk, join(this.dataDir, CLEAN_SHUTDOWN_FILE));
    const data = marker && (await readWholeFile(this.disk, join(this.dataDir, CLEAN_SHUTDOWN_SUMMARY_FILE), 1024 * 1024 * 1024, 256 * 1024));
    try {
      if (!marker || !data) throw new SummaryRejected('the marker or the summary is gone');
      return decodeSummary(marker, data);
    } catch (err) {
      if (!(err instanceof SummaryRejected)) throw err;
      this.logger.warn({ err, dataDir: this.dataDir }, 'ignoring the clean-shutdown summary (logs are loaded from their directories)');
      return new Map();
    }
  }

  private configOf(topic: string): LogConfig {
    return this.topicConfigs.get(topic) ?? this.opts.configFor?.(topic) ?? this.opts.defaults;
  }

  private register(log: PartitionLog): void {
    let byPartition = this.logs.get(log.topic);
    if (!byPartition) this.logs.set(log.topic, (byPartition = new Map()));
    byPartition.set(log.partition, log);
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => this.logger.warn({ err }, 'background storage task failed'));
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  private startBackgroundWork(): void {
    this.every(this.opts.retentionCheckIntervalMs ?? 300_000, () => this.runRetention());
    this.every(this.opts.checkpointIntervalMs ?? 60_000, () => this.checkpoint());
    // Kafka's PeriodicProducerExpirationCheck: a log that rolls seldom (segment.ms is a week) forgets its silent producers all the same.
    this.every(PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS, async () => {
      for (const log of this.allLogs()) log.removeExpiredProducers();
    });
    if (this.opts.cleaner !== false) {
      this.cleaner = new LogCleaner({ env: this.env, dataDir: this.dataDir, logs: () => this.allLogs(), ...(this.opts.cleaner ?? {}) });
      this.cleaner.start();
    }
  }

  /** Runs `fn` every `ms` on the injected clock, one run at a time. */
  private every(ms: number, fn: () => Promise<unknown>): void {
    const arm = () => {
      const handle = this.clock.setTimeout(() => {
        this.timers = this.timers.filter((t) => t !== handle);
        if (this.closed) return;
        this.track(fn().finally(() => !this.closed && arm()));
      }, ms);
      this.timers.push(handle);
    };
    arm();
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(topic)?.get(partition);
  }

  /** Every open log. */
  *allLogs(): IterableIterator<PartitionLog> {
    for (const byPartition of this.logs.values()) yield* byPartition.values();
  }

  get logCount(): number {
    let n = 0;
    for (const byPartition of this.logs.values()) n += byPartition.size;
    return n;
  }

  /** What recovery found at open, for logs that needed any (also logged). */
  get recoveryReports(): readonly LogRecoveryReport[] {
    return this.reports;
  }

  /** Segment files open right now, across all logs. */
  get openFileCount(): number {
    return this.files.openCount;
  }

  get logCleaner(): LogCleaner | null {
    return this.cleaner;
  }

  /** Creates the partition's log with `config` (the topic's), or returns the existing one. */
  async createLog(topic: string, partition: number, config: LogConfig = this.configOf(topic)): Promise<PartitionLog> {
    if (this.closed) throw new LogClosedError(this.dataDir);
    if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') throw new RangeError(`invalid topic name ${JSON.stringify(topic)}`);
    if (!Number.isInteger(partition) || partition < 0 || partition > 0x7fffffff) throw new RangeError(`invalid partition ${partition}`);
    this.topicConfigs.set(topic, config);
    const existing = this.getLog(topic, partition);
    if (existing) {
      existing.updateConfig(config);
      return existing;
    }
    const dir = join(this.dataDir, partitionDirName(topic, partition));
    await this.disk.mkdir(dir);
    await this.dataDirSync.request();
    const again = this.getLog(topic, partition);
    if (again) return again;
    const seg = LogSegment.create(this.env, dir, 0n, { indexIntervalBytes: config.indexIntervalBytes, maxIndexSize: config.segmentIndexBytes }, 0);
    const log = new PartitionLog({ topic, partition, dir, config, env: this.env, segments: [seg], logStartOffset: 0n, logEndOffset: 0n });
    this.register(log);
    await seg.ensureFile();
    return log;
  }

  /**
   * Deletes the partition's log as Kafka does: closed, its directory renamed
   * `<topic>-<partition>.<unique>-delete` (so a restart finishes the job), then removed.
   */
  async deleteLog(topic: string, partition: number): Promise<void> {
    const log = this.getLog(topic, partition);
    if (!log) return;
    this.logs.get(topic)!.delete(partition);
    if (this.logs.get(topic)!.size === 0) {
      // The topic's last log here: a later one of the same name (a new topic) takes its own config.
      this.logs.delete(topic);
      this.topicConfigs.delete(topic);
    }
    await log.close({ flush: false });
    await this.cleaner?.logDeleted(log.name);
    const unique = `${Math.floor(this.env.random() * 0x100000000).toString(16)}${(this.deleteSeq++).toString(16)}`;
    const doomed = join(this.dataDir, deleteDirName(topic, partition, unique));
    await this.disk.rename(log.dir, doomed);
    await this.dataDirSync.request();
    // A later log of the same name must not inherit this one's recovery point.
    await this.checkpointTask.request();
    this.track(this.disk.removeDir(doomed));
  }

  /** Applies a topic's new config to its logs and to logs created for it later. */
  updateConfig(topic: string, config: LogConfig): void {
    this.topicConfigs.set(topic, config);
    for (const log of this.logs.get(topic)?.values() ?? []) log.updateConfig(config);
  }

  /** Applies retention to every log now (it also runs every retentionCheckIntervalMs). */
  async runRetention(): Promise<number> {
    let deleted = 0;
    const now = this.clock.now();
    for (const log of [...this.allLogs()]) {
      try {
        const r = await log.deleteOldSegments(now);
        deleted += r.deleted.length;
        for (const d of r.deleted) this.logger.info({ log: log.name, baseOffset: String(d.baseOffset), bytes: d.size, reason: d.reason }, 'deleted segment');
      } catch (err) {
        if (!log.isClosed) log.goOffline(err);
      }
    }
    return deleted;
  }

  /** Writes the recovery point and log start offset checkpoints now. */
  checkpoint(): Promise<void> {
    return this.checkpointTask.request();
  }

  private async writeCheckpoints(): Promise<void> {
    const logs = [...this.allLogs()];
    const points = logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.recoveryPoint }));
    await writeOffsetCheckpoint(this.disk, join(this.dataDir, RECOVERY_POINT_CHECKPOINT_FILE), points);
    // Producer snapshots older than the one recovery would start from may go now.
    logs.forEach((l, i) => l.recoveryPointCheckpointed(points[i]!.offset));
    await writeOffsetCheckpoint(this.disk, join(this.dataDir, LOG_START_OFFSET_CHECKPOINT_FILE), logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.logStartOffset })));
  }

  /** The summary of the logs a clean close can vouch for, then the marker that vouches for it. */
  private async writeCleanShutdown(): Promise<void> {
    const summaries = await summarizeLogs(this.disk, [...this.allLogs()], (log) => partitionDirName(log.topic, log.partition));
    let seal;
    if (summaries.length > 0) {
      const encoded = encodeSummary(summaries);
      await writeFileAtomically(this.disk, join(this.dataDir, CLEAN_SHUTDOWN_SUMMARY_FILE), encoded.data);
      seal = encoded.seal;
    }
    await writeFileAtomically(this.disk, join(this.dataDir, CLEAN_SHUTDOWN_FILE), encodeMarker(seal));
  }

  /**
   * Stops background work, closes every log (flushing it), writes the checkpoints and, if every
   * log closed cleanly, the clean shutdown marker.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers = [];
    await this.cleaner?.stop();
    let clean = true;
    await forEachLimited([...this.allLogs()], 16, async (log) => {
      if (!(await log.close())) clean = false;
    });
    await this.checkpointTask.idle();
    await this.writeCheckpoints();
    await this.cleaner?.writeCheckpoint();
    await Promise.all([...this.background]);
    if (clean) await this.writeCleanShutdown();
    else await unlinkIfExists(this.disk, join(this.dataDir, CLEAN_SHUTDOWN_FILE));
    await this.files.closeAll();
    this.logger.info({ dataDir: this.dataDir, clean }, 'logs closed');
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
