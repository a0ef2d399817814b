/**
 * Turns one partition's fetched bytes into records: complete batches are decoded (and
 * decompressed, bounded), records before the fetch offset (a compressed batch starts where it
 * starts) are dropped, control batches are skipped, and with read_committed so are the batches of
 * transactions the broker reports aborted. A truncated batch at the end is left for the next fetch.
 */
import { decodeRecordBatch, iterateBatches } from '../../protocol/records/index.js';
import type { RecordHeader } from '../../protocol/records/index.js';

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

export async function recordsOf(topic: string, partition: number, bytes: Buffer, fetchOffset: bigint, opts: { readCommitted: boolean; aborted: readonly { producerId: bigint; firstOffset: bigint }[] | null; maxUncompressedBytes: number }): Promise<ConsumerRecord[]> {
  const records: ConsumerRecord[] = [];
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
    const batch = await decodeRecordBatch(bytes, span.position, { maxUncompressedBytes: opts.maxUncompressedBytes });
    for (const r of batch.records) {
      const offset = r.offset;
      if (offset < fetchOffset) continue;
      records.push({ topic, partition, offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers });
    }
  }
  return records;
}
