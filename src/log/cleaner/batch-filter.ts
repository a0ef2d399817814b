/**
 * What the cleaner keeps of one batch (Kafka's LogCleaner RecordFilter with MemoryRecords.filterTo):
 *
 * - A data record stays if it has a key, is the latest for its key in the offset map, and is not
 *   a tombstone whose batch's delete horizon has passed. Keyless records go.
 * - Records of aborted transactions go; a transaction marker stays while data of its transaction
 *   is still in the log, then until its delete horizon passes.
 * - A batch whose records all stay, and which needs no delete horizon, is copied byte for byte.
 *   Otherwise it is rebuilt with the kept records at their original offsets (the batch keeps its
 *   base offset, last offset delta, producer fields and compression), or dropped when empty,
 *   except the last batch of a producer, which stays empty to keep producer state (RETAIN_EMPTY).
 * - The first time a batch with tombstones (or a droppable marker) is cleaned, its delete horizon
 *   (KIP-534) is set to now + delete.retention.ms; a later cleaning after that time removes them.
 */
import { hasDeleteHorizonMs, isControlBatch, isTransactional, timestampTypeOf, TimestampType, compressionOf, readBatchHeader, type RecordBatchHeader } from '../../protocol/records/batch-header.js';
import { decodeRecordBatch, encodeRecordBatch, encodeUncompressedRecordBatch } from '../../protocol/records/record-batch.js';
import type { KafkaRecord, RecordInput } from '../../protocol/records/record.js';
import type { OffsetMap } from './offset-map.js';
import type { CleanedTransactionMetadata } from './transaction-metadata.js';
import { controlType } from './transaction-scan.js';

export interface FilterContext {
  map: OffsetMap;
  /** The cleaner's clock reading for this pass. */
  now: bigint;
  deleteRetentionMs: number;
  txn: CleanedTransactionMetadata;
  /** Whether this batch is its producer's last data batch (kept even when emptied). */
  isLastBatchOfProducer: (producerId: bigint, lastOffset: bigint) => boolean;
  maxDecodeBytes: number;
}

export interface FilteredBatch {
  /** The batch to write, or null to drop it. */
  bytes: Buffer | null;
  recordsRead: number;
  recordsKept: number;
  /** The delete horizon set on this batch in this pass, if any. */
  deleteHorizonSet?: bigint;
}

export async function filterBatch(buf: Buffer, pos: number, size: number, ctx: FilterContext): Promise<FilteredBatch> {
  const h = readBatchHeader(buf, pos);
  const control = isControlBatch(h.attributes);
  const lastOffset = h.baseOffset + BigInt(h.lastOffsetDelta);
  const horizon = hasDeleteHorizonMs(h.attributes) ? h.baseTimestamp : undefined;
  let canDiscard: boolean;
  let discardRecords: boolean;
  if (control) {
    canDiscard = ctx.txn.onControlBatchRead(h.producerId, lastOffset, await controlType(buf, pos, ctx.maxDecodeBytes));
    discardRecords = canDiscard && horizon !== undefined && horizon <= ctx.now;
  } else {
    canDiscard = ctx.txn.onBatchRead(h.producerId, lastOffset, isTransactional(h.attributes));
    discardRecords = canDiscard;
  }
  const retainEmpty = h.producerId >= 0n && !control && ctx.isLastBatchOfProducer(h.producerId, lastOffset);
  if (discardRecords && !retainEmpty) return { bytes: null, recordsRead: h.recordCount, recordsKept: 0 };
  const decoded = await decodeRecordBatch(buf, pos, { maxUncompressedBytes: ctx.maxDecodeBytes, verifyCrc: false, end: pos + size });
  const kept = discardRecords ? [] : decoded.records.filter((r) => control || keepRecord(r, horizon, ctx));
  const containsTombstones = kept.some((r) => r.value === null && !control);
  const needsHorizon = (containsTombstones || (canDiscard && control)) && horizon === undefined;
  const result: FilteredBatch = { bytes: null, recordsRead: decoded.records.length, recordsKept: kept.length };
  if (kept.length === decoded.records.length && !needsHorizon) {
    result.bytes = buf.subarray(pos, pos + size);
  } else if (kept.length > 0) {
    const newHorizon = needsHorizon ? ctx.now + BigInt(ctx.deleteRetentionMs) : horizon;
    result.bytes = await rebuild(h, kept, newHorizon);
    if (needsHorizon) result.deleteHorizonSet = newHorizon!;
  } else if (retainEmpty) {
    result.bytes = emptyBatch(h);
  }
  return result;
}

function keepRecord(r: KafkaRecord, horizon: bigint | undefined, ctx: FilterContext): boolean {
  if (r.key === null) return false;
  if (r.offset < ctx.map.get(r.key)) return false;
  return r.value !== null || horizon === undefined || ctx.now < horizon;
}

/** The record's own timestamp as stored (for LogAppendTime batches `timestamp` reports the batch's). */
function storedTimestamp(r: KafkaRecord): bigint {
  return r.context.baseTimestamp + BigInt(r.timestampDelta);
}

function rebuild(h: RecordBatchHeader, kept: KafkaRecord[], horizon: bigint | undefined): Promise<Buffer> {
  const logAppendTime = timestampTypeOf(h.attributes) === TimestampType.LogAppendTime;
  const records: RecordInput[] = kept.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: storedTimestamp(r), offsetDelta: r.offsetDelta, attributes: r.attributes }));
  return encodeRecordBatch({
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    compression: compressionOf(h.attributes),
    timestampType: timestampTypeOf(h.attributes),
    isTransactional: isTransactional(h.attributes),
    isControlBatch: isControlBatch(h.attributes),
    hasDeleteHorizonMs: horizon !== undefined,
    ...(horizon !== undefined ? { baseTimestamp: horizon } : {}),
    ...(logAppendTime ? { maxTimestamp: h.maxTimestamp } : {}),
    lastOffsetDelta: h.lastOffsetDelta,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    records,
  });
}

/** Kafka's writeEmptyHeader: the batch's offsets and producer fields, no records. */
function emptyBatch(h: RecordBatchHeader): Buffer {
  return encodeUncompressedRecordBatch({
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    timestampType: timestampTypeOf(h.attributes),
    isTransactional: isTransactional(h.attributes),
    isControlBatch: isControlBatch(h.attributes),
    baseTimestamp: h.maxTimestamp,
    maxTimestamp: h.maxTimestamp,
    lastOffsetDelta: h.lastOffsetDelta,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    records: [],
  });
}
