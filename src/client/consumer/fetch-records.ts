/**
 * Turns one partition's fetched bytes into records: complete batches are decoded (and
 * decompressed, bounded), records before the fetch offset (a compressed batch starts where it
 * starts) are dropped, control batches are skipped, and with read_committed so are the batches of
 * transactions the broker reports aborted. A truncated batch at the end is left for the next fetch.
 */
import { decodeRecordBatchWith, iterateBatches } from '../../protocol/records/index.js';
import type { RecordBatchContext, RecordFactory, RecordHeader } from '../../protocol/records/index.js';

/** A fetched record; key and value are Buffers unless the consumer was given deserializers. */
export interface ConsumerRecord<K = Buffer | null, V = Buffer | null> {
  topic: string;
  partition: number;
  offset: bigint;
  /** Milliseconds since the epoch: the producer's (CreateTime) or the broker's (LogAppendTime). */
  timestamp: bigint;
  key: K;
  value: V;
  headers: readonly RecordHeader[];
}

const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/** The offset to fetch next: past the last complete batch, or `fetchOffset` when there is none. Reads headers only. */
export function nextOffsetAfter(bytes: Buffer | null, fetchOffset: bigint): bigint {
  let next = fetchOffset;
  if (!bytes) return next;
  for (const span of iterateBatches(bytes)) {
    if (!span.complete) break;
    const last = span.header.baseOffset + BigInt(span.header.lastOffsetDelta);
    if (last >= next) next = last + 1n;
  }
  return next;
}

export async function recordsOf(topic: string, partition: number, bytes: Buffer, fetchOffset: bigint, opts: { readCommitted: boolean; aborted: readonly { producerId: bigint; firstOffset: bigint }[] | null; maxUncompressedBytes: number; checkCrcs: boolean }): Promise<ConsumerRecord[]> {
  let records: ConsumerRecord[] = [];
  const aborted = opts.readCommitted && opts.aborted ? [...opts.aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1)) : [];
  const abortedProducers = new Set<bigint>();
  for (const span of iterateBatches(bytes)) {
    if (!span.complete) break;
    const h = span.header;
    const last = h.baseOffset + BigInt(h.lastOffsetDelta);
    if (last < fetchOffset) continue;
    while (aborted.length > 0 && aborted[0]!.firstOffset <= last) abortedProducers.add(aborted.shift()!.producerId);
    if (h.attributes & CONTROL) {
      // An abort or commit marker ends the producer's transaction.
      abortedProducers.delete(h.producerId);
      continue;
    }
    if (h.attributes & TRANSACTIONAL && abortedProducers.has(h.producerId)) continue;
    const batch = await decodeRecordBatchWith(bytes, span.position, { maxUncompressedBytes: opts.maxUncompressedBytes, verifyCrc: opts.checkCrcs }, consumerRecordOf(topic, partition, h.baseOffset, h.baseTimestamp));
    if (records.length === 0 && batch.records.length > 0 && batch.records[0]!.offset >= fetchOffset) records = batch.records;
    else for (const r of batch.records) if (r.offset >= fetchOffset) records.push(r);
  }
  return records;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
/** A record's delta is at most 2^31 (offset) or 2^53 (timestamp, read as a safe number) from its base. */
const safeBase = (base: bigint) => base <= MAX_SAFE - 0xffffffffn && base >= MIN_SAFE + 0xffffffffn;

/**
 * Makes ConsumerRecords straight from the decoded fields: one object per record, and its offset
 * and timestamp each one bigint, added as numbers when the batch's base allows it exactly.
 */
function consumerRecordOf(topic: string, partition: number, baseOffset: bigint, baseTimestamp: bigint): RecordFactory<ConsumerRecord> {
  const offsetBase = safeBase(baseOffset) ? Number(baseOffset) : undefined;
  const timestampBase = safeBase(baseTimestamp) ? Number(baseTimestamp) : undefined;
  // Records of one send usually share a timestamp: consecutive records with the same delta share
  // its bigint (bigints are immutable), so most records cost one bigint (the offset), not two.
  let lastDelta = NaN;
  let lastTimestamp = 0n;
  const timestampOf = (context: RecordBatchContext, delta: number): bigint => {
    if (context.logAppendTime !== null) return context.logAppendTime;
    if (delta !== lastDelta) {
      lastTimestamp = timestampBase !== undefined && Number.isSafeInteger(timestampBase + delta) ? BigInt(timestampBase + delta) : context.baseTimestamp + BigInt(delta);
      lastDelta = delta;
    }
    return lastTimestamp;
  };
  return (context: RecordBatchContext, _attributes, timestampDelta, offsetDelta, key, value, headers) => ({
    topic,
    partition,
    offset: offsetBase !== undefined ? BigInt(offsetBase + offsetDelta) : context.baseOffset + BigInt(offsetDelta),
    timestamp: timestampOf(context, timestampDelta),
    key,
    value,
    headers,
  });
}
