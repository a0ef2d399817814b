/**
 * What append does to the bytes it is given, without decoding records: frame them as whole v2
 * batches, then assign consecutive offsets and stamp leader epoch and LogAppendTime in place.
 */
import { TRUNCATED, batchSizeAt } from '../protocol/records/batch-frame.js';
import { RECORD_BATCH_OVERHEAD } from '../protocol/records/batch-header.js';
import { setBaseOffset, setLogAppendTime, setPartitionLeaderEpoch } from '../protocol/records/batch-patch.js';
import { lastOffsetDeltaAt, maxTimestampAt } from './batch-fields.js';
import { InvalidAppendError } from './log-errors.js';

export interface AppendSpan {
  position: number;
  size: number;
  lastOffsetDelta: number;
  /** Filled in by patchAppendBatches. */
  lastOffset: bigint;
  maxTimestamp: bigint;
}

/** The batches in `buf`, which must be whole v2 batches back to back and nothing else. */
export function walkAppendBatches(buf: Buffer): AppendSpan[] {
  const spans: AppendSpan[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const size = batchSizeAt(buf, pos, buf.length);
    if (size === TRUNCATED || size < RECORD_BATCH_OVERHEAD) throw new InvalidAppendError(`incomplete batch at ${pos} of ${buf.length} bytes`);
    const lastOffsetDelta = lastOffsetDeltaAt(buf, pos);
    if (lastOffsetDelta < 0) throw new InvalidAppendError(`batch at ${pos} has lastOffsetDelta ${lastOffsetDelta}`);
    spans.push({ position: pos, size, lastOffsetDelta, lastOffset: 0n, maxTimestamp: maxTimestampAt(buf, pos) });
    pos += size;
  }
  if (spans.length === 0) throw new InvalidAppendError('no batches to append');
  return spans;
}

/** Assigns offsets from `baseOffset` and applies the options; returns the last offset and largest timestamp. */
export function patchAppendBatches(buf: Buffer, spans: AppendSpan[], baseOffset: bigint, opts: { leaderEpoch?: number; logAppendTime?: bigint }): { lastOffset: bigint; maxTimestamp: bigint; offsetOfMaxTimestamp: bigint } {
  let next = baseOffset;
  let maxTimestamp = -1n;
  let offsetOfMaxTimestamp = baseOffset;
  for (const s of spans) {
    setBaseOffset(buf, s.position, next);
    if (opts.leaderEpoch !== undefined) setPartitionLeaderEpoch(buf, s.position, opts.leaderEpoch);
    if (opts.logAppendTime !== undefined) {
      setLogAppendTime(buf, s.position, opts.logAppendTime);
      s.maxTimestamp = opts.logAppendTime;
    }
    s.lastOffset = next + BigInt(s.lastOffsetDelta);
    if (s.maxTimestamp > maxTimestamp) {
      maxTimestamp = s.maxTimestamp;
      offsetOfMaxTimestamp = s.lastOffset;
    }
    next = s.lastOffset + 1n;
  }
  return { lastOffset: next - 1n, maxTimestamp, offsetOfMaxTimestamp };
}
