/**
 * Kafka's LogCleaner for one data directory: a single background worker that repeatedly picks
 * the compacted log most in need of cleaning (the highest dirty ratio among those due), cleans
 * it, records how far it got in `cleaner-offset-checkpoint`, and sleeps log.cleaner.backoff.ms
 * when nothing is due. Its memory is the offset map (log.cleaner.dedupe.buffer.size), allocated
 * on first use. stop() aborts a pass in progress between two batches.
 */
import { join } from 'node:path';
import type { TimerHandle } from '../../common/clock.js';
import { CLEANER_OFFSET_CHECKPOINT_FILE, partitionDirName } from '../file-names.js';
import { CoalescingTask } from '../coalescing-task.js';
import { CheckpointFormatError, type OffsetCheckpoint, readOffsetCheckpoint, writeOffsetCheckpoint } from '../offset-checkpoint-file.js';
import type { LogEnv, PartitionLog } from '../partition-log.js';
import { type Cleanable, cleanableOf } from './cleanable.js';
import { CleaningAbortedError, type CleanStats, cleanLog } from './cleaner.js';
import { OffsetMap } from './offset-map.js';
import { Mutex } from '../mutex.js';

export interface LogCleanerOptions {
  /** log.cleaner.dedupe.buffer.size: bytes of the offset map (default 32 MiB: about 1.2 million keys per pass). */
  dedupeBufferBytes?: number;
  /** log.cleaner.io.buffer.load.factor (default 0.9). */
  loadFactor?: number;
  /** log.cleaner.backoff.ms: the pause when no log needs cleaning (default 15000). */
  backoffMs?: number;
  /**
   * Clean a log only once its partition has told it its high watermark (the broker's logs): at
   * start, before the partitions exist, a log's tail may be records a new leader lacks, and nothing
   * above the high watermark may be cleaned (Kafka's log starts with its high watermark at the log
   * start). Logs without partitions (unit tests) are cleaned up to their acknowledged end.
   */
  waitForHighWatermark?: boolean;
}

export interface CleanerContext extends LogCleanerOptions {
  env: LogEnv;
  dataDir: string;
  logs: () => Iterable<PartitionLog>;
}

export interface CleanSummary extends CleanStats {
  log: string;
  due: Cleanable['due'];
  dirtyRatio: number;
}

export class LogCleaner {
  private map: OffsetMap | null = null;
  private checkpoints: OffsetCheckpoint = new Map();
  private readonly deleteHorizons = new Map<string, bigint>();
  /** Logs whose cleaning failed on bad data: skipped until reopened. */
  private readonly uncleanable = new Set<string>();
  private readonly passes = new Mutex();
  private readonly checkpointTask: CoalescingTask;
  private loaded: Promise<void> | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private sleeping: { timer: TimerHandle; wake: () => void } | null = null;

  constructor(private readonly ctx: CleanerContext) {
    this.checkpointTask = new CoalescingTask(() => this.writeCheckpointNow());
  }

  private get path(): string {
    return join(this.ctx.dataDir, CLEANER_OFFSET_CHECKPOINT_FILE);
  }

  private load(): Promise<void> {
    this.loaded ??= readOffsetCheckpoint(this.ctx.env.disk, this.path).then(
      (c) => void (this.checkpoints = c),
      (err: unknown) => {
        if (!(err instanceof CheckpointFormatError)) throw err;
        this.ctx.env.logger.warn({ err }, 'ignoring an unreadable cleaner checkpoint: logs are cleaned from their start');
      },
    );
    return this.loaded;
  }

  /** Starts the background worker. */
  start(): void {
    if (this.running) return;
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let cleaned: CleanSummary | undefined;
      try {
        cleaned = await this.cleanOnce();
      } catch (err) {
        this.ctx.env.logger.error({ err }, 'log cleaner pass failed');
      }
      if (!cleaned && !this.stopped) await this.sleep(this.ctx.backoffMs ?? 15_000);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      const timer = this.ctx.env.clock.setTimeout(() => {
        this.sleeping = null;
        wake();
      }, ms);
      this.sleeping = { timer, wake };
    });
  }

  /** Wakes the worker early (after a config change, or in tests). */
  wakeUp(): void {
    const s = this.sleeping;
    this.sleeping = null;
    s?.timer.cancel();
    s?.wake();
  }

  /** Cleans the log most in need of it, if any is due; returns what was done. */
  async cleanOnce(): Promise<CleanSummary | undefined> {
    return this.passes.run(async () => {
      await this.load();
      const target = await this.filthiest();
      return target ? this.clean(target) : undefined;
    });
  }

  /** Cleans `log` now if it has anything cleanable, due or not (tests, admin tools). */
  async cleanLogNow(log: PartitionLog): Promise<CleanSummary | undefined> {
    return this.passes.run(async () => {
      await this.load();
      this.applyTruncation(log);
      const c = await cleanableOf(log, this.checkpoints.get(log.name), this.ctx.env.clock.now(), this.deleteHorizons.get(log.name) ?? -1n);
      return c ? this.clean(c) : undefined;
    });
  }

  private async filthiest(): Promise<Cleanable | undefined> {
    const now = this.ctx.env.clock.now();
    let best: Cleanable | undefined;
    for (const log of this.ctx.logs()) {
      if (this.uncleanable.has(log.name) || !log.config.cleanupPolicy.compact) continue;
      if (this.ctx.waitForHighWatermark && log.highWatermark === undefined) continue;
      this.applyTruncation(log);
      const c = await cleanableOf(log, this.checkpoints.get(log.name), now, this.deleteHorizons.get(log.name) ?? -1n);
      if (c?.due && (!best || c.dirtyRatio > best.dirtyRatio)) best = c;
    }
    return best;
  }

  private async clean(c: Cleanable): Promise<CleanSummary | undefined> {
    const log = c.log;
    this.map ??= new OffsetMap(this.ctx.dedupeBufferBytes ?? 32 * 1024 * 1024, this.ctx.loadFactor ?? 0.9);
    try {
      const stats = await log.localLog.withMaintenance(() =>
        cleanLog({
          log,
          map: this.map!,
          now: this.ctx.env.clock.now(),
          firstDirtyOffset: c.firstDirtyOffset,
          firstUncleanableOffset: c.firstUncleanableOffset,
          maxDecodeBytes: this.ctx.env.maxDecodeBytes,
          shouldAbort: () => this.stopped || log.isClosed,
        }),
      );
      if (stats.endOffset === c.firstDirtyOffset && c.dirtyBytes > 0 && c.due !== 'tombstones-expired') {
        // Not even one batch fitted the offset map: cleaning this log would loop without progress.
        this.uncleanable.add(log.name);
        this.ctx.env.logger.error({ log: log.name, dedupeBufferBytes: this.map.memoryBytes }, 'log.cleaner.dedupe.buffer.size is too small for one batch of this log; not cleaning it');
        return undefined;
      }
      this.checkpoints.set(partitionDirName(log.topic, log.partition), stats.endOffset);
      if (stats.latestDeleteHorizon >= 0n) this.deleteHorizons.set(log.name, stats.latestDeleteHorizon);
      else if (c.due === 'tombstones-expired') this.deleteHorizons.delete(log.name);
      await this.checkpointTask.request();
      const summary: CleanSummary = { log: log.name, due: c.due, dirtyRatio: c.dirtyRatio, ...stats };
      this.ctx.env.logger.info({ ...summary, endOffset: String(stats.endOffset), latestDeleteHorizon: String(stats.latestDeleteHorizon) }, 'cleaned log');
      return summary;
    } catch (err) {
      if (err instanceof CleaningAbortedError) return undefined;
      this.uncleanable.add(log.name);
      this.ctx.env.logger.error({ err, log: log.name }, 'cleaning failed; the log is not cleaned again until reopened');
      if ((err as { code?: string }).code === 'SAMSA_STORAGE_IO') log.goOffline(err);
      return undefined;
    }
  }

  /**
   * Kafka's maybeTruncateCheckpoint: after `log` was truncated, its first dirty offset goes no
   * higher than the new log end, and the checkpoint file says so before this resolves.
   */
  async noteTruncation(log: PartitionLog): Promise<void> {
    await this.load();
    if (this.applyTruncation(log)) await this.checkpointTask.request();
  }

  private applyTruncation(log: PartitionLog): boolean {
    const floor = log.takeTruncationFloor();
    const cp = this.checkpoints.get(log.name);
    if (floor === undefined || cp === undefined || cp <= floor) return false;
    this.checkpoints.set(log.name, floor);
    return true;
  }

  /**
   * A log was deleted (Kafka's updateCheckpoints with the partition to remove): what the cleaner
   * knew of it goes, so a later log of the name (a topic created again) is cleaned from its start.
   */
  async logDeleted(name: string): Promise<void> {
    await this.load();
    this.uncleanable.delete(name);
    this.deleteHorizons.delete(name);
    if (this.checkpoints.delete(name)) await this.checkpointTask.request();
  }

  /** How far `log` is clean (the first dirty offset), if it was ever cleaned. */
  firstDirtyOffset(log: PartitionLog): bigint | undefined {
    return this.checkpoints.get(log.name);
  }

  writeCheckpoint(): Promise<void> {
    return this.loaded ? this.checkpointTask.request() : Promise.resolve();
  }

  private async writeCheckpointNow(): Promise<void> {
    const live = new Map<string, PartitionLog>();
    for (const log of this.ctx.logs()) live.set(log.name, log);
    const entries = [...this.checkpoints].filter(([name]) => live.has(name)).map(([name, offset]) => ({ topic: live.get(name)!.topic, partition: live.get(name)!.partition, offset }));
    await writeOffsetCheckpoint(this.ctx.env.disk, this.path, entries);
  }

  /** Aborts a pass in progress and stops the worker. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    await this.running;
    await this.passes.run(async () => {});
    await this.checkpointTask.idle();
  }
}
