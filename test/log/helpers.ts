/** Shared test helpers for the log layer: temp dirs, batches, configs, a capturing logger. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/common/clock.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/log/log-config.js';
import type { LogLogger } from '../../src/log/log-logger.js';
import { LogManager, type LogManagerOptions } from '../../src/log/log-manager.js';
import { decodeRecordBatch, encodeUncompressedRecordBatch, iterateBatches, type RecordInput } from '../../src/protocol/records/index.js';
import type { Disk } from '../../src/storage/disk.js';

/** A fresh directory under the OS temp dir; `cleanup` removes it. */
export async function tempDir(prefix = 'samsa-log-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, ...overrides };
}

/** A batch of records with values `v<i>` (or the given ones), as a producer would send it. */
export function batch(values: (string | RecordInput)[], opts: { timestamp?: bigint; key?: string } = {}): Buffer {
  const ts = opts.timestamp ?? 1_700_000_000_000n;
  const records: RecordInput[] = values.map((v) =>
    typeof v === 'string' ? { value: Buffer.from(v), timestamp: ts, ...(opts.key !== undefined ? { key: Buffer.from(opts.key) } : {}) } : v,
  );
  return encodeUncompressedRecordBatch({ records });
}

/** A batch whose records have keys (null value = tombstone). */
export function keyedBatch(entries: [string, string | null][], timestamp = 1_700_000_000_000n): Buffer {
  return encodeUncompressedRecordBatch({
    records: entries.map(([k, v]) => ({ key: Buffer.from(k), value: v === null ? null : Buffer.from(v), timestamp })),
  });
}

export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  key: string | null;
  value: string | null;
}

/** Every record in the chunks a read returned. */
export async function decodeChunks(chunks: readonly Buffer[]): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  for (const chunk of chunks) {
    for (const span of iterateBatches(chunk)) {
      if (!span.complete) throw new Error('read returned a partial batch');
      const b = await decodeRecordBatch(chunk, span.position, { maxUncompressedBytes: 1 << 26 });
      for (const r of b.records) out.push({ offset: r.offset, timestamp: r.timestamp, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
    }
  }
  return out;
}

/** Reads the whole log (up to the high watermark) and decodes it. */
export async function readAll(log: { logStartOffset: bigint; read: (o: bigint, n: number, opts?: { minOneBatch?: boolean }) => Promise<{ chunks: Buffer[] }> }): Promise<DecodedRecord[]> {
  const r = await log.read(log.logStartOffset, 1 << 30, { minOneBatch: true });
  return decodeChunks(r.chunks);
}

export interface CapturedLog {
  level: string;
  obj: object;
  msg: string | undefined;
}

export function capturingLogger(): LogLogger & { entries: CapturedLog[] } {
  const entries: CapturedLog[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void entries.push({ level, obj, msg });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Opens a manager on `dir` with a manual clock and no background cleaner unless asked. */
export function openManager(dir: string, opts: Partial<LogManagerOptions> & { disk?: Disk } = {}): Promise<LogManager> {
  return LogManager.open({ dataDir: dir, defaults: config(), clock: new ManualClock(1_700_000_000_000), cleaner: false, ...opts });
}

/** Runs `fn` with a fresh log `t-0` in a temp dir (real disk unless one is given), then closes and cleans up. */
export async function withLog<T>(
  cfg: Partial<LogConfig>,
  fn: (log: import('../../src/log/partition-log.js').PartitionLog, ctx: { manager: LogManager; dir: string; clock: ManualClock }) => Promise<T>,
  opts: Partial<LogManagerOptions> = {},
): Promise<T> {
  const { dir, cleanup } = await tempDir();
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock(1_700_000_000_000);
  const manager = await openManager(dir, { ...opts, clock });
  try {
    const log = await manager.createLog('t', 0, config(cfg));
    return await fn(log, { manager, dir, clock });
  } finally {
    await manager.close().catch(() => {});
    await cleanup();
  }
}

/** XORs one byte of `buf` with `mask` (damage for corruption tests). */
export function flipByte(buf: Buffer, index: number, mask = 0xff): void {
  buf.writeUInt8(buf.readUInt8(index) ^ mask, index);
}
