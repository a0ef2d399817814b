/**
 * What the cleaner must know about transactions before it filters (Kafka gets it from the
 * transaction index and producer state; Samsa reads it from the batch headers of the range being
 * cleaned, and takes each aborted transaction's last stable offset from the transaction index):
 * - the aborted transactions: producer id, first and last offset (data in them is discarded, as
 *   Kafka's cleaner does, and never enters the offset map);
 * - the last data batch of each producer, kept (possibly empty) so producer state survives.
 * Transactions still open at the end of the range are treated as not aborted. Both lists are
 * bounded; past the bound the range to clean is cut short there.
 */
import { decodeControlRecordKey, ControlRecordType } from '../../protocol/records/control-record.js';
import { isControlBatch, isTransactional } from '../../protocol/records/batch-header.js';
import { decodeRecordBatch } from '../../protocol/records/record-batch.js';
import { attributesAt, baseOffsetAt, lastOffsetAt, producerIdAt } from '../batch-fields.js';
import type { LogSegment } from '../log-segment.js';
import { forEachBatch } from './segment-batches.js';

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  /** From the transaction index of the marker's segment (undefined for a log written without one). */
  lastStableOffset?: bigint;
}

export interface TransactionScan {
  /** In order of their first offset. */
  aborted: AbortedTxn[];
  /** Producer id -> last offset of its last data batch in the range. */
  lastDataBatch: Map<bigint, bigint>;
  /** True when a bound was hit: producers not in lastDataBatch must be kept conservatively. */
  producersOverflowed: boolean;
  /** Where the scan stopped (the end asked for, or earlier when the aborted list filled up). */
  endOffset: bigint;
}

export const MAX_TRACKED_TXNS = 100_000;
export const MAX_TRACKED_PRODUCERS = 100_000;

export async function scanTransactions(segments: readonly LogSegment[], endOffset: bigint, maxDecodeBytes: number): Promise<TransactionScan> {
  const out: TransactionScan = { aborted: [], lastDataBatch: new Map(), producersOverflowed: false, endOffset };
  const open = new Map<bigint, bigint>();
  for (const seg of segments) {
    if (seg.baseOffset >= out.endOffset) break;
    await forEachBatch(seg, async (buf, pos) => {
      const base = baseOffsetAt(buf, pos);
      if (base >= out.endOffset) return 'stop';
      const attrs = attributesAt(buf, pos);
      const pid = producerIdAt(buf, pos);
      if (pid < 0n) return;
      if (isControlBatch(attrs)) {
        const type = await controlType(buf, pos, maxDecodeBytes);
        const first = open.get(pid);
        open.delete(pid);
        if (type === ControlRecordType.Abort && first !== undefined) {
          if (out.aborted.length >= MAX_TRACKED_TXNS) {
            out.endOffset = first;
            return 'stop';
          }
          out.aborted.push({ producerId: pid, firstOffset: first, lastOffset: lastOffsetAt(buf, pos) });
        }
        return;
      }
      if (isTransactional(attrs) && !open.has(pid)) open.set(pid, base);
      if (out.lastDataBatch.has(pid) || out.lastDataBatch.size < MAX_TRACKED_PRODUCERS) out.lastDataBatch.set(pid, lastOffsetAt(buf, pos));
      else out.producersOverflowed = true;
    });
  }
  out.aborted.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  await addLastStableOffsets(segments, out.aborted);
  return out;
}

/** Fills in each aborted transaction's last stable offset from the `.txnindex` of the segments that have one. */
async function addLastStableOffsets(segments: readonly LogSegment[], aborted: AbortedTxn[]): Promise<void> {
  if (aborted.length === 0) return;
  const byMarker = new Map<bigint, AbortedTxn>();
  for (const t of aborted) byMarker.set(t.lastOffset, t);
  for (const seg of segments) {
    if (!seg.hasTxnIndex) continue;
    for (const e of await seg.txnIndex.all()) {
      const t = byMarker.get(e.lastOffset);
      if (t && t.producerId === e.producerId) t.lastStableOffset = e.lastStableOffset;
    }
  }
}

/** The control type of a control batch's (single) record, or -1 when it has none. */
export async function controlType(buf: Buffer, pos: number, maxDecodeBytes: number): Promise<number> {
  const decoded = await decodeRecordBatch(buf, pos, { maxUncompressedBytes: maxDecodeBytes, verifyCrc: false });
  const first = decoded.records[0];
  return first ? decodeControlRecordKey(first.key).type : -1;
}
