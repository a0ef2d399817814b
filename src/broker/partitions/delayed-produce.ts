/**
 * Kafka's DelayedProduce: an acks=all produce whose batches the leader has appended waits in the
 * produce purgatory until the high watermark of each of its partitions covers its batch (every
 * in-sync replica has it), the partition's leadership moves away or the partition leaves this
 * broker (NOT_LEADER_OR_FOLLOWER), or the request's timeout passes (REQUEST_TIMED_OUT). A
 * partition whose in-sync replicas shrank below min.insync.replicas while it waited answers
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND: the records are written, but not as durably as asked.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Partition } from './partition.js';
import type { DelayedOperation, Purgatory } from './purgatory.js';

export interface AwaitedAppend {
  partition: Partition;
  /** The offset after the append's last record: the high watermark must reach it. */
  requiredOffset: bigint;
  minInsyncReplicas: number;
}

/** Waits for every append's high watermark; resolves with each one's error code (NONE once covered). */
export function awaitHighWatermarks(purgatory: Purgatory, appends: readonly AwaitedAppend[], timeoutMs: number): Promise<number[]> {
  const codes: (number | undefined)[] = appends.map(() => undefined);
  return new Promise((resolve) => {
    const settle = (i: number): boolean => {
      if (codes[i] !== undefined) return true;
      const a = appends[i]!;
      // Removed here (a reassignment moved it away, its topic was deleted): its last leadership may
      // still name this broker, and nothing would wake the produce again before its timeout.
      if (!a.partition.isLeader || a.partition.isRemoved) codes[i] = ErrorCode.NOT_LEADER_OR_FOLLOWER;
      else if (a.partition.highWatermark >= a.requiredOffset) {
        codes[i] = a.partition.leaderAndIsr.isr.length < a.minInsyncReplicas ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE;
      }
      return codes[i] !== undefined;
    };
    const op: DelayedOperation = {
      tryComplete() {
        let all = true;
        for (let i = 0; i < appends.length; i++) all = settle(i) && all;
        if (all) resolve(codes as number[]);
        return all;
      },
      expire() {
        resolve(codes.map((c) => c ?? ErrorCode.REQUEST_TIMED_OUT));
      },
    };
    purgatory.tryCompleteElseWatch(
      op,
      appends.map((a) => a.partition.key),
      timeoutMs,
    );
  });
}
