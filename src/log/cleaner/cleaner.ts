/**
 * One cleaning pass over one log (Kafka's Cleaner.clean):
 *
 * 1. Scan the cleanable range's batch headers for aborted transactions and producers' last batches.
 * 2. Build the offset map (key -> latest offset) over the dirty range [firstDirty, firstUncleanable),
 *    skipping control batches and aborted data, until the map is full: the pass then cleans up to
 *    the last batch it mapped, and the next pass carries on from there.
 * 3. Rewrite every segment below that point, in groups that fit one segment, each into a
 *    `.cleaned` file that is fsynced, renamed `.swap`, and swapped for its group (old files renamed
 *    `.deleted`), so a crash at any step leaves either the old segments or the new one.
 *
 * Memory: the offset map (fixed), one read window, the batches of one write buffer, and the
 * transaction scan's bounded lists. The active segment is never touched, so appends never wait;
 * the log's maintenance lock keeps retention and truncation out while a pass runs.
 */
import { attributesAt, baseOffsetAt, lastOffsetAt, maxTimestampAt, producerIdAt, recordCountAt } from '../batch-fields.js';
import { CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX } from '../file-names.js';
import { isControlBatch, isTransactional } from '../../protocol/records/batch-header.js';
import { decodeRecordBatch } from '../../protocol/records/record-batch.js';
import type { LogSegment } from '../log-segment.js';
import type { PartitionLog } from '../partition-log.js';
import { type FilterContext, filterBatch } from './batch-filter.js';
import type { OffsetMap } from './offset-map.js';
import { forEachBatch } from './segment-batches.js';
import { CleanedTransactionMetadata } from './transaction-metadata.js';
import { type AbortedTxn, type TransactionScan, controlType, scanTransactions } from './transaction-scan.js';

export interface CleanParams {
  log: PartitionLog;
  map: OffsetMap;
  now: number;
  firstDirtyOffset: bigint;
  firstUncleanableOffset: bigint;
  maxDecodeBytes: number;
  /** Checked between batches; true aborts the pass (the .cleaned files are removed). */
  shouldAbort: () => boolean;
}

export interface CleanStats {
  /** The new first dirty offset: everything below it is clean. */
  endOffset: bigint;
  segmentsCleaned: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsWritten: number;
  /** The latest delete horizon set in this pass (-1 when none): a pass after it removes tombstones. */
  latestDeleteHorizon: bigint;
}

export class CleaningAbortedError extends Error {
  constructor() {
    super('cleaning aborted');
  }
}

const MAX_RELATIVE_OFFSET = 0x7fffffffn;
const WRITE_BUFFER_BYTES = 1024 * 1024;

export async function cleanLog(p: CleanParams): Promise<CleanStats> {
  const segs = p.log.segments;
  const txns = await scanTransactions(segs, p.firstUncleanableOffset, p.maxDecodeBytes);
  const uncleanable = txns.endOffset < p.firstUncleanableOffset ? txns.endOffset : p.firstUncleanableOffset;
  p.map.clear();
  const endOffset = await buildOffsetMap(segs, p.firstDirtyOffset, uncleanable, p, txns.aborted);
  const stats: CleanStats = { endOffset, segmentsCleaned: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsWritten: 0, latestDeleteHorizon: -1n };
  const toClean = segs.filter((s, i) => s.baseOffset < endOffset && i < segs.length - 1);
  const ctx: FilterContext = {
    map: p.map,
    now: BigInt(p.now),
    deleteRetentionMs: p.log.config.deleteRetentionMs,
    txn: new CleanedTransactionMetadata(txns.aborted),
    isLastBatchOfProducer: lastBatchCheck(txns),
    maxDecodeBytes: p.maxDecodeBytes,
  };
  for (const group of groupSegments(toClean, segs, p.log)) {
    await cleanGroup(p, group, ctx, stats);
    stats.segmentsCleaned += group.length;
  }
  return stats;
}

function lastBatchCheck(txns: TransactionScan): (pid: bigint, lastOffset: bigint) => boolean {
  return (pid, lastOffset) => {
    const last = txns.lastDataBatch.get(pid);
    return last === undefined ? txns.producersOverflowed : last === lastOffset;
  };
}

/**
 * Maps the latest offset of every key in [firstDirty, end), batch by batch, stopping before a
 * batch that would overfill the map. Returns the offset up to which the log was mapped.
 */
async function buildOffsetMap(segs: readonly LogSegment[], firstDirty: bigint, end: bigint, p: CleanParams, aborted: readonly AbortedTxn[]): Promise<bigint> {
  const txn = new CleanedTransactionMetadata(aborted);
  let mappedTo = firstDirty;
  let full = false;
  for (let i = 0; i < segs.length - 1 && !full; i++) {
    const seg = segs[i]!;
    const next = segs[i + 1]!;
    if (next.baseOffset <= firstDirty) continue;
    if (seg.baseOffset >= end) break;
    await forEachBatch(seg, async (buf, pos, size) => {
      if (p.shouldAbort()) throw new CleaningAbortedError();
      const last = lastOffsetAt(buf, pos);
      if (last < firstDirty) return;
      if (baseOffsetAt(buf, pos) >= end) return 'stop';
      const attrs = attributesAt(buf, pos);
      const pid = producerIdAt(buf, pos);
      const skip = isControlBatch(attrs)
        ? (txn.onControlBatchRead(pid, last, await controlType(buf, pos, p.maxDecodeBytes)), true)
        : txn.onBatchRead(pid, last, isTransactional(attrs));
      if (!skip) {
        if (p.map.size + recordCountAt(buf, pos) > p.map.capacity) {
          full = true;
          return 'stop';
        }
        const decoded = await decodeRecordBatch(buf, pos, { maxUncompressedBytes: p.maxDecodeBytes, verifyCrc: false, end: pos + size });
        for (const r of decoded.records) if (r.key !== null) p.map.put(r.key, r.offset);
      }
      mappedTo = last + 1n;
    });
    if (!full && next.baseOffset <= end) mappedTo = next.baseOffset > mappedTo ? next.baseOffset : mappedTo;
  }
  return mappedTo < end ? mappedTo : end;
}

/** Consecutive segments whose sizes, indexes and offset range fit one segment (Kafka's groupSegmentsBySize). */
export function groupSegments(toClean: readonly LogSegment[], all: readonly LogSegment[], log: PartitionLog): LogSegment[][] {
  const cfg = log.config;
  const maxSize = Math.min(cfg.segmentBytes, 0x7fffffff);
  const groups: LogSegment[][] = [];
  let i = 0;
  while (i < toClean.length) {
    const group = [toClean[i]!];
    let size = toClean[i]!.size;
    let indexBytes = toClean[i]!.offsetIndex.sizeInBytes;
    let timeBytes = toClean[i]!.timeIndex.sizeInBytes;
    while (i + group.length < toClean.length) {
      const next = toClean[i + group.length]!;
      const after = all[all.indexOf(next) + 1];
      const lastOffset = after ? after.baseOffset - 1n : log.logEndOffset;
      if (size + next.size > maxSize || indexBytes + next.offsetIndex.sizeInBytes > cfg.segmentIndexBytes || timeBytes + next.timeIndex.sizeInBytes > cfg.segmentIndexBytes) break;
      if (lastOffset - group[0]!.baseOffset > MAX_RELATIVE_OFFSET) break;
      group.push(next);
      size += next.size;
      indexBytes += next.offsetIndex.sizeInBytes;
      timeBytes += next.timeIndex.sizeInBytes;
    }
    groups.push(group);
    i += group.length;
  }
  return groups;
}

/** Filters a group of segments into one `.cleaned` segment, then swaps it in. */
async function cleanGroup(p: CleanParams, group: readonly LogSegment[], ctx: FilterContext, stats: CleanStats): Promise<void> {
  const first = group[0]!;
  const local = p.log.localLog;
  const cleaned = local.newSegment(first.baseOffset, CLEANED_FILE_SUFFIX);
  try {
    await cleaned.ensureFile();
    ctx.txn.cleanedIndex = cleaned.txnIndex;
    await filterInto(p, group, cleaned, ctx, stats);
    cleaned.seal();
    cleaned.markAllAcknowledged();
    await cleaned.flush(true);
    await cleaned.changeSuffix(CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX);
    await first.segmentEnv.disk.syncDir(p.log.dir);
  } catch (err) {
    await cleaned.deleteFiles().catch(() => local.noteLeftFilesBehind());
    await cleaned.release();
    throw err;
  }
  await local.retireSegments(group, async () => {
    await cleaned.changeSuffix(SWAP_FILE_SUFFIX, '');
    await first.segmentEnv.disk.syncDir(p.log.dir);
    return cleaned;
  });
}

async function filterInto(p: CleanParams, group: readonly LogSegment[], cleaned: LogSegment, ctx: FilterContext, stats: CleanStats): Promise<void> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let pendingPosition = 0;
  const writeOut = async () => {
    if (pendingBytes === 0) return;
    await cleaned.write(pending, pendingPosition, pendingBytes);
    stats.bytesWritten += pendingBytes;
    pending = [];
    pendingBytes = 0;
  };
  for (const seg of group) {
    await forEachBatch(seg, async (buf, pos, size) => {
      if (p.shouldAbort()) throw new CleaningAbortedError();
      stats.bytesRead += size;
      const f = await filterBatch(buf, pos, size, ctx);
      stats.recordsRead += f.recordsRead;
      stats.recordsWritten += f.recordsKept;
      if (f.deleteHorizonSet !== undefined && f.deleteHorizonSet > stats.latestDeleteHorizon) stats.latestDeleteHorizon = f.deleteHorizonSet;
      if (!f.bytes) return;
      const bytes = Buffer.from(f.bytes);
      const position = cleaned.assign(bytes.length, lastOffsetAt(bytes, 0), maxTimestampAt(bytes, 0));
      if (pendingBytes === 0) pendingPosition = position;
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= WRITE_BUFFER_BYTES) await writeOut();
    });
  }
  await writeOut();
}
