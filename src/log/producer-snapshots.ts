/**
 * Producer state on disk: `<20-digit offset>.snapshot` files in the partition directory, each the
 * state of every producer as of that offset (written atomically at rolls and at a clean close).
 * Kept: the newest two, and every snapshot from the newest one at or below the checkpointed
 * recovery point on, so that recovery after a crash always finds the state where it starts
 * scanning (the recovery point does not pass a roll before that roll's snapshot is written).
 *
 * `loadProducerState` rebuilds the state at load from the newest readable snapshot at or below
 * where recovery started (the log end after a clean shutdown), then replays the batches after
 * it: data batches, and transaction markers, which end transactions. The `.txnindex` of every
 * segment recovery scanned is rebuilt on the way (its aborted transactions need the producers'
 * open transactions, which the replay knows). Without any snapshot (producers never wrote before
 * the last roll) the replay starts where recovery did; after a clean shutdown there is none to
 * do (a clean close writes a snapshot whenever there is state); with snapshots but none early
 * enough (one was damaged) it starts at the log start.
 */
import type { Disk } from '../storage/disk.js';
import { readWholeFile, unlinkIfExists, writeFileAtomically } from '../storage/disk-files.js';
import { isControlBatch, isTransactional } from '../protocol/records/batch-header.js';
import { ControlRecordType, readControlBatchRecord } from '../protocol/records/control-record.js';
import { attributesAt, baseOffsetAt, baseSequenceAt, lastOffsetAt, lastOffsetDeltaAt, producerEpochAt, producerIdAt } from './batch-fields.js';
import { segmentFilePath } from './file-names.js';
import type { LogLogger } from './log-logger.js';
import type { LogSegment } from './log-segment.js';
import { type CompletedTxn, type MarkerAppend, type ProducerAppend, type ProducerAppendOrigin, ProducerState, SNAPSHOT_FILE_SUFFIX, lastSequenceOf } from './producer-state.js';
import { floorSegment } from './segment-read.js';
import { scanBatches } from './segment-scan.js';

const SNAPSHOTS_KEPT = 2;
const SNAPSHOT_NAME = /^(\d{20})\.snapshot$/;

/** Offsets of the snapshots in `dir` (listed unless `names` is its listing), oldest first. */
async function snapshotOffsets(disk: Disk, dir: string, names?: readonly string[]): Promise<bigint[]> {
  const offsets: bigint[] = [];
  for (const name of names ?? (await disk.readdir(dir))) {
    const m = SNAPSHOT_NAME.exec(name);
    if (m) offsets.push(BigInt(m[1]!));
  }
  return offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Writes the snapshot for `offset`, then removes the snapshots older than both the newest two and
 * the newest one at or below `retainFrom` (the checkpointed recovery point).
 */
export async function writeProducerSnapshot(disk: Disk, dir: string, offset: bigint, snapshot: Buffer, retainFrom: bigint): Promise<void> {
  await writeFileAtomically(disk, segmentFilePath(dir, offset, SNAPSHOT_FILE_SUFFIX), snapshot);
  const offsets = await snapshotOffsets(disk, dir);
  const floor = offsets.filter((o) => o <= retainFrom).pop();
  const keepFrom = offsets.length - SNAPSHOTS_KEPT;
  for (const [i, old] of offsets.entries()) {
    if (i < keepFrom && (floor === undefined || old < floor)) await unlinkIfExists(disk, segmentFilePath(dir, old, SNAPSHOT_FILE_SUFFIX));
  }
}

/** Removes the snapshots past `offset` (the log was truncated there: they describe batches it lost). */
export async function deleteProducerSnapshotsAbove(disk: Disk, dir: string, offset: bigint): Promise<void> {
  for (const o of await snapshotOffsets(disk, dir)) if (o > offset) await unlinkIfExists(disk, segmentFilePath(dir, o, SNAPSHOT_FILE_SUFFIX));
}

/** The producer fields of the data batch at `pos`, or undefined for a batch without a producer id or a control batch. */
export function producerAppendAt(buf: Buffer, pos: number): ProducerAppend | undefined {
  const producerId = producerIdAt(buf, pos);
  const attributes = attributesAt(buf, pos);
  if (producerId < 0n || isControlBatch(attributes)) return undefined;
  const firstSeq = baseSequenceAt(buf, pos);
  return { producerId, epoch: producerEpochAt(buf, pos), firstSeq, lastSeq: lastSequenceOf(firstSeq, lastOffsetDeltaAt(buf, pos) + 1), isTransactional: isTransactional(attributes) };
}

/** The transaction marker at `pos`, or undefined when the batch is not one (a data batch, another control type, an emptied one). */
export function markerAppendAt(buf: Buffer, pos: number): MarkerAppend | undefined {
  const producerId = producerIdAt(buf, pos);
  if (producerId < 0n || !isControlBatch(attributesAt(buf, pos))) return undefined;
  const record = readControlBatchRecord(buf, pos);
  if (!record || (record.type !== ControlRecordType.Abort && record.type !== ControlRecordType.Commit)) return undefined;
  return { producerId, epoch: producerEpochAt(buf, pos), type: record.type, coordinatorEpoch: record.coordinatorEpoch };
}

/** Records the stored batch at `pos`, whose producer fields are `a`, as written at `nowMs` by the broker's clock. */
export function noteStoredBatch(state: ProducerState, a: ProducerAppend, buf: Buffer, pos: number, nowMs: number, origin: ProducerAppendOrigin = 'client'): void {
  state.update(a.producerId, a.epoch, { firstSeq: a.firstSeq, lastSeq: a.lastSeq, firstOffset: baseOffsetAt(buf, pos), lastOffset: lastOffsetAt(buf, pos), lastSeenMs: nowMs }, a.isTransactional ?? false, origin);
}

/** Replays one stored batch into `state`; returns the transaction a marker ended, if any. */
export function replayBatch(state: ProducerState, buf: Buffer, pos: number, nowMs: number): CompletedTxn | undefined {
  const a = producerAppendAt(buf, pos);
  if (a) {
    noteStoredBatch(state, a, buf, pos, nowMs, 'replay');
    return undefined;
  }
  const m = markerAppendAt(buf, pos);
  return m ? state.appendMarker(m, lastOffsetAt(buf, pos), nowMs) : undefined;
}

export interface LoadProducerStateParams {
  disk: Disk;
  dir: string;
  segments: readonly LogSegment[];
  logEndOffset: bigint;
  logger: LogLogger;
  nowMs: number;
  /**
   * Where recovery started scanning (the base of the first recovered segment): the state is
   * needed from there, and the `.txnindex` of every segment from there on is rebuilt. Undefined
   * after a clean shutdown (nothing recovered; the state is needed at the log end).
   */
  recoveredFrom?: bigint;
  /**
   * The log was closed cleanly and nothing of it was recovered: its close wrote a snapshot at the
   * log end if it had any producer state (a close whose snapshot failed is not clean), so no
   * snapshot means no producers, and the active segment is not replayed (as Kafka's LogLoader).
   */
  closedCleanly?: boolean;
  /**
   * The names in `dir` when the caller has just listed it and removed no snapshot since (the log
   * loader at open): spares a listing a partition.
   */
  listing?: readonly string[];
}

/**
 * The producer state as of `logEndOffset`. Batches replayed count as heard of at `nowMs`: their
 * write time is not stored, and a record timestamp may be anything.
 */
export async function loadProducerState(p: LoadProducerStateParams): Promise<{ state: ProducerState; snapshots: boolean }> {
  const { disk, dir, segments, logEndOffset, logger } = p;
  const needAt = p.recoveredFrom ?? logEndOffset;
  let state: ProducerState | undefined;
  let from: bigint | undefined;
  const offsets = await snapshotOffsets(disk, dir, p.listing);
  for (const offset of [...offsets].reverse()) {
    const path = segmentFilePath(dir, offset, SNAPSHOT_FILE_SUFFIX);
    // A snapshot past the log end describes batches recovery cut off.
    if (offset > logEndOffset) await unlinkIfExists(disk, path);
    if (offset > needAt || state) continue;
    try {
      state = ProducerState.decodeSnapshot((await readWholeFile(disk, path))!);
      from = offset;
    } catch (err) {
      logger.warn({ err, snapshot: path }, 'ignoring an unreadable producer snapshot');
      await unlinkIfExists(disk, path);
    }
  }
  const active = segments[segments.length - 1]!.baseOffset;
  if (from === undefined) {
    const none = offsets.every((o) => o > logEndOffset);
    if (none) from = p.closedCleanly ? logEndOffset : (p.recoveredFrom ?? active);
    else {
      from = segments[0]!.baseOffset;
      logger.warn({ log: dir, from: String(from) }, 'no producer snapshot early enough; replaying producer state from the log start');
    }
  }
  const loaded = { state: state ?? new ProducerState(), snapshots: offsets.length > 0 };
  if (p.recoveredFrom !== undefined) {
    for (const seg of segments) if (seg.baseOffset >= p.recoveredFrom && seg.hasTxnIndex) await seg.txnIndex.reset();
  }
  if (from >= logEndOffset) return loaded;
  await replaySegments(loaded.state, segments, from, p);
  return loaded;
}

/** Replays the batches at or after `from`, appending the aborted transactions of recovered segments to their `.txnindex`. */
async function replaySegments(state: ProducerState, segments: readonly LogSegment[], from: bigint, p: LoadProducerStateParams): Promise<void> {
  for (const seg of segments.slice(Math.max(0, floorSegment(segments, from)))) {
    const rebuild = p.recoveredFrom !== undefined && seg.baseOffset >= p.recoveredFrom;
    await seg.files.use(seg, (file) =>
      scanBatches(
        file,
        0,
        seg.size,
        (buf, pos) => {
          if (baseOffsetAt(buf, pos) < from) return;
          const completed = replayBatch(state, buf, pos, p.nowMs);
          if (completed?.isAborted && rebuild) seg.txnIndex.append({ ...completed, lastStableOffset: state.lastStableOffsetAfter(completed) });
        },
        { reuseBuffer: true },
      ),
    );
    if (rebuild && seg.hasTxnIndex) await seg.txnIndex.persist(seg !== segments[segments.length - 1]);
  }
}
