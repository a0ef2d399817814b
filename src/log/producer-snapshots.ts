/**
 * Producer state on disk: `<20-digit offset>.snapshot` files in the partition directory, each the
 * state of every producer as of that offset (written atomically). The newest two are kept.
 * `loadProducerState` rebuilds the state at load from the newest readable snapshot at or below
 * the log end, then the batches after it. With no snapshot (a log written before Samsa kept
 * them) only the active segment is read, so a start never scans a whole log.
 */
import type { Disk } from '../storage/disk.js';
import { readWholeFile, unlinkIfExists, writeFileAtomically } from '../storage/disk-files.js';
import { isControlBatch } from '../protocol/records/batch-header.js';
import { attributesAt, baseOffsetAt, baseSequenceAt, lastOffsetAt, lastOffsetDeltaAt, producerEpochAt, producerIdAt } from './batch-fields.js';
import { segmentFilePath } from './file-names.js';
import type { LogLogger } from './log-logger.js';
import type { LogSegment } from './log-segment.js';
import { type ProducerAppend, ProducerState, SNAPSHOT_FILE_SUFFIX, lastSequenceOf } from './producer-state.js';
import { floorSegment } from './segment-read.js';
import { scanBatches } from './segment-scan.js';

const SNAPSHOTS_KEPT = 2;
const SNAPSHOT_NAME = /^(\d{20})\.snapshot$/;

/** Offsets of the snapshots in `dir`, oldest first. */
async function snapshotOffsets(disk: Disk, dir: string): Promise<bigint[]> {
  const offsets: bigint[] = [];
  for (const name of await disk.readdir(dir)) {
    const m = SNAPSHOT_NAME.exec(name);
    if (m) offsets.push(BigInt(m[1]!));
  }
  return offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Writes the snapshot for `offset` and removes all but the newest SNAPSHOTS_KEPT. */
export async function writeProducerSnapshot(disk: Disk, dir: string, offset: bigint, snapshot: Buffer): Promise<void> {
  await writeFileAtomically(disk, segmentFilePath(dir, offset, SNAPSHOT_FILE_SUFFIX), snapshot);
  const offsets = await snapshotOffsets(disk, dir);
  for (const old of offsets.slice(0, -SNAPSHOTS_KEPT)) await unlinkIfExists(disk, segmentFilePath(dir, old, SNAPSHOT_FILE_SUFFIX));
}

/** Removes the snapshots past `offset` (the log was truncated there: they describe batches it lost). */
export async function deleteProducerSnapshotsAbove(disk: Disk, dir: string, offset: bigint): Promise<void> {
  for (const o of await snapshotOffsets(disk, dir)) if (o > offset) await unlinkIfExists(disk, segmentFilePath(dir, o, SNAPSHOT_FILE_SUFFIX));
}

/** The producer fields of the batch at `pos`, or undefined for a batch without a producer id or a control batch. */
export function producerAppendAt(buf: Buffer, pos: number): ProducerAppend | undefined {
  const producerId = producerIdAt(buf, pos);
  if (producerId < 0n || isControlBatch(attributesAt(buf, pos))) return undefined;
  const firstSeq = baseSequenceAt(buf, pos);
  return { producerId, epoch: producerEpochAt(buf, pos), firstSeq, lastSeq: lastSequenceOf(firstSeq, lastOffsetDeltaAt(buf, pos) + 1) };
}

/** Records the stored batch at `pos`, whose producer fields are `a`, as written at `nowMs` by the broker's clock. */
export function noteStoredBatch(state: ProducerState, a: ProducerAppend, buf: Buffer, pos: number, nowMs: number): void {
  state.update(a.producerId, a.epoch, { firstSeq: a.firstSeq, lastSeq: a.lastSeq, firstOffset: baseOffsetAt(buf, pos), lastOffset: lastOffsetAt(buf, pos), lastSeenMs: nowMs });
}

/**
 * The producer state as of `logEndOffset`. Batches scanned count as heard of at `nowMs`: their
 * write time is not stored, and a record timestamp may be anything.
 */
export async function loadProducerState(disk: Disk, dir: string, segments: readonly LogSegment[], logEndOffset: bigint, logger: LogLogger, nowMs: number): Promise<{ state: ProducerState; snapshots: boolean }> {
  let state: ProducerState | undefined;
  let from = segments[segments.length - 1]!.baseOffset;
  const offsets = await snapshotOffsets(disk, dir);
  for (const offset of [...offsets].reverse()) {
    const path = segmentFilePath(dir, offset, SNAPSHOT_FILE_SUFFIX);
    // A snapshot past the log end describes batches recovery cut off.
    if (offset > logEndOffset) await unlinkIfExists(disk, path);
    if (offset > logEndOffset || state) continue;
    try {
      state = ProducerState.decodeSnapshot((await readWholeFile(disk, path))!);
      from = offset;
    } catch (err) {
      logger.warn({ err, snapshot: path }, 'ignoring an unreadable producer snapshot');
      await unlinkIfExists(disk, path);
    }
  }
  const loaded = { state: state ?? new ProducerState(), snapshots: offsets.length > 0 };
  if (from >= logEndOffset) return loaded;
  for (const seg of segments.slice(Math.max(0, floorSegment(segments, from)))) {
    await seg.files.use(seg, (file) =>
      scanBatches(file, 0, seg.size, (buf, pos) => {
        const a = lastOffsetAt(buf, pos) >= from ? producerAppendAt(buf, pos) : undefined;
        if (a) noteStoredBatch(loaded.state, a, buf, pos, nowMs);
      }, { reuseBuffer: true }),
    );
  }
  return loaded;
}
