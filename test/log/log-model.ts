/** The model and driver of log-model.property.test.ts (kept apart so a counterexample can be replayed). */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../../src/common/clock.js';
import { LogCleaner } from '../../src/log/cleaner/log-cleaner.js';
import { LogManager } from '../../src/log/log-manager.js';
import type { PartitionLog } from '../../src/log/partition-log.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { encodeUncompressedRecordBatch, iterateBatches } from '../../src/protocol/records/index.js';
import { config, decodeChunks, type DecodedRecord } from './helpers.js';

export type Op =
  | { op: 'append'; keys: number[] }
  | { op: 'newLeaderEpoch' }
  | { op: 'roll' }
  | { op: 'retention'; advanceMs: number }
  | { op: 'clean' }
  | { op: 'truncate'; back: number }
  | { op: 'deleteRecords'; fraction: number }
  | { op: 'read'; fraction: number; maxBytes: number }
  | { op: 'reopen' }
  | { op: 'crash' };

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('append' as const), keys: fc.array(fc.nat(9), { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'newLeaderEpoch' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'roll' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('retention' as const), advanceMs: fc.nat(100_000) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'clean' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), back: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteRecords' as const), fraction: fc.double({ min: 0, max: 0.5, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('read' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }), maxBytes: fc.integer({ min: 1, max: 2000 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reopen' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'crash' as const }) },
);

interface ModelRecord {
  offset: bigint;
  key: string;
  value: string;
}

export class Harness {
  disk = new MemoryDisk(() => 0.5);
  clock = new ManualClock(1_700_000_000_000);
  manager!: LogManager;
  log!: PartitionLog;
  cleaner!: LogCleaner;
  /** Acknowledged records still expected (offset order). */
  model: ModelRecord[] = [];
  seq = 0;
  /** The leader epoch appends are stamped with (a new leader takes the next one). */
  leaderEpoch = 0;

  constructor(readonly compact: boolean) {}

  cfg() {
    return config({
      segmentBytes: 350,
      indexIntervalBytes: 60,
      cleanupPolicy: { delete: !this.compact, compact: this.compact },
      retentionBytes: this.compact ? -1 : 1500,
      retentionMs: -1,
      minCleanableDirtyRatio: 0,
      deleteRetentionMs: 1e12,
      fileDeleteDelayMs: 0,
    });
  }

  async open(): Promise<void> {
    this.manager = await LogManager.open({ dataDir: '/data', disk: this.disk, clock: this.clock, defaults: this.cfg(), cleaner: false });
    this.log = this.manager.getLog('p', 0) ?? (await this.manager.createLog('p', 0, this.cfg()));
    const env = (this.manager as unknown as { env: ConstructorParameters<typeof LogCleaner>[0]['env'] }).env;
    this.cleaner = new LogCleaner({ env, dataDir: '/data', logs: () => this.manager.allLogs() });
  }

  async run(o: Op): Promise<void> {
    const log = this.log;
    switch (o.op) {
      case 'append': {
        const recs = o.keys.map((k) => ({ key: `k${k}`, value: `v${this.seq++}` }));
        const records = recs.map((x) => ({ key: Buffer.from(x.key), value: Buffer.from(x.value), timestamp: BigInt(this.clock.now()) }));
        const r = await log.append(encodeUncompressedRecordBatch({ records }), { leaderEpoch: this.leaderEpoch });
        recs.forEach((x, i) => this.model.push({ offset: r.baseOffset + BigInt(i), ...x }));
        return;
      }
      case 'newLeaderEpoch':
        this.leaderEpoch++;
        return;
      case 'roll':
        log.roll();
        await log.flush();
        return;
      case 'retention':
        this.clock.advance(o.advanceMs);
        await log.deleteOldSegments();
        return this.dropBelowStart();
      case 'clean':
        await log.flush();
        await this.cleaner.cleanLogNow(log);
        await this.forgetCompactedAway();
        return this.checkCleanSection();
      case 'truncate': {
        const target = log.logEndOffset - BigInt(o.back) < 0n ? 0n : log.logEndOffset - BigInt(o.back);
        const end = await log.truncateTo(target);
        this.model = this.model.filter((m) => m.offset < end);
        if (end < log.logStartOffset) this.model = [];
        return this.dropBelowStart();
      }
      case 'deleteRecords': {
        const span = log.acknowledgedEnd - log.logStartOffset;
        await log.deleteRecordsBefore(log.logStartOffset + BigInt(Math.floor(Number(span) * o.fraction)));
        return this.dropBelowStart();
      }
      case 'read':
        return this.checkRead(o.fraction, o.maxBytes);
      case 'reopen':
        await this.cleaner.stop();
        await this.manager.close();
        return this.open();
      case 'crash':
        this.disk.crash();
        await this.cleaner.stop().catch(() => {});
        // The killed process's timers must not fire any more: its manager keeps the old clock
        // (else its checkpoint timer would overwrite the new manager's checkpoints).
        this.clock = new ManualClock(this.clock.now());
        return this.open();
    }
  }

  dropBelowStart(): void {
    const start = this.log.logStartOffset;
    this.model = this.model.filter((m) => m.offset >= start);
  }

  async readEverything(): Promise<DecodedRecord[]> {
    return decodeChunks((await this.log.read(this.log.logStartOffset, 1 << 30, { minOneBatch: true })).chunks);
  }

  async checkRead(fraction: number, maxBytes: number): Promise<void> {
    const log = this.log;
    const from = log.logStartOffset + BigInt(Math.floor(Number(log.logEndOffset - log.logStartOffset) * fraction));
    const r = await log.read(from, maxBytes, { minOneBatch: true });
    const recs = await decodeChunks(r.chunks);
    if (from < log.acknowledgedEnd && this.model.some((m) => m.offset >= from)) assert.ok(recs.length > 0, `read at ${from} returned nothing`);
    assert.ok(r.bytes <= maxBytes || r.chunks.length === 1, 'only a single first batch may exceed maxBytes');
  }

  /**
   * Compaction may remove a record only when a later record has its key; the model forgets the
   * removed ones (they stay gone even if the later record is truncated afterwards).
   */
  async forgetCompactedAway(): Promise<void> {
    const readable = new Set((await this.readEverything()).map((r) => r.offset));
    const lastOffsetOfKey = new Map<string, bigint>();
    for (const m of this.model) lastOffsetOfKey.set(m.key, m.offset);
    for (const m of this.model) {
      if (!readable.has(m.offset)) assert.ok(lastOffsetOfKey.get(m.key)! > m.offset, `compaction removed ${m.key}@${m.offset}, the latest of its key`);
    }
    this.model = this.model.filter((m) => readable.has(m.offset));
  }

  /** Below the cleaner's checkpoint no key appears twice. */
  async checkCleanSection(): Promise<void> {
    const clean = this.cleaner.firstDirtyOffset(this.log);
    if (clean === undefined) return;
    const seen = new Set<string>();
    for (const r of await this.readEverything()) {
      if (r.offset >= clean) break;
      assert.ok(!seen.has(r.key!), `key ${r.key} twice below the cleaner checkpoint ${clean}`);
      seen.add(r.key!);
    }
  }

  async checkInvariants(): Promise<void> {
    const recs = await this.readEverything();
    const byOffset = new Map(this.model.map((m) => [m.offset, m]));
    let prev = -1n;
    for (const r of recs) {
      assert.ok(r.offset > prev, 'offsets increase');
      prev = r.offset;
      if (r.offset < this.log.logStartOffset) continue;
      const m = byOffset.get(r.offset);
      assert.ok(m, `record at ${r.offset} was never acknowledged (or was truncated)`);
      assert.deepEqual([r.key, r.value], [m.key, m.value]);
    }
    const readable = new Set(recs.map((r) => r.offset));
    if (!this.compact) {
      for (const m of this.model) assert.ok(readable.has(m.offset), `acknowledged offset ${m.offset} lost`);
    } else {
      const latest = new Map<string, ModelRecord>();
      for (const m of this.model) latest.set(m.key, m);
      for (const m of latest.values()) assert.ok(readable.has(m.offset), `latest record of ${m.key} (offset ${m.offset}) lost`);
    }
    assert.equal(this.log.acknowledgedEnd, this.log.logEndOffset);
    await this.checkLeaderEpochs();
  }

  /**
   * The leader epoch entries describe the batches: each batch is in the epoch of the entry holding
   * its first offset (the first entry starts at the log start offset at the earliest). Without
   * compaction they are exactly the epochs' first batches; compaction may empty an epoch, whose
   * entry then stays.
   */
  async checkLeaderEpochs(): Promise<void> {
    const show = (x: unknown) => JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const entries = this.log.epochEntries();
    const start = this.log.logStartOffset;
    entries.forEach((e, i) => assert.ok(i === 0 || (e.epoch > entries[i - 1]!.epoch && e.startOffset > entries[i - 1]!.startOffset), `entries increase: ${show(entries)}`));
    assert.ok(entries.every((e) => e.startOffset >= start && e.startOffset < this.log.logEndOffset), `entries within [${start}, ${this.log.logEndOffset}): ${show(entries)}`);
    const firsts: { epoch: number; startOffset: bigint }[] = [];
    const { chunks } = await this.log.read(start, 1 << 30, { minOneBatch: true });
    for (const chunk of chunks) {
      for (const span of iterateBatches(chunk)) {
        assert.ok(span.complete, 'reads return whole batches');
        const { baseOffset, partitionLeaderEpoch } = span.header;
        const from = baseOffset > start ? baseOffset : start;
        const holding = entries.filter((e) => e.startOffset <= from).at(-1);
        assert.equal(holding?.epoch, partitionLeaderEpoch, `the batch at ${baseOffset} is in epoch ${partitionLeaderEpoch}: ${show(entries)}`);
        if (firsts.at(-1)?.epoch !== partitionLeaderEpoch) firsts.push({ epoch: partitionLeaderEpoch, startOffset: from });
      }
    }
    if (!this.compact) assert.deepEqual(entries, firsts);
  }
}

