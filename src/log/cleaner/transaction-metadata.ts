/**
 * Kafka's CleanedTransactionMetadata: walking batches in offset order, tells the cleaner whether a
 * batch belongs to an aborted transaction (its records go) and whether a transaction marker may
 * go (only once no batch of its transaction is left, so a reader never sees data without the
 * marker that says whether it was aborted).
 */
import { ControlRecordType } from '../../protocol/records/control-record.js';
import type { AbortedTxn } from './transaction-scan.js';

export class CleanedTransactionMetadata {
  /** Where the aborted transactions whose markers the cleaned segment keeps go (its `.txnindex`). */
  cleanedIndex: { append(t: AbortedTxn & { lastStableOffset: bigint }): void } | undefined;

  private next = 0;
  /** Aborted transactions under way at the current position, by producer. */
  private readonly ongoingAborted = new Map<bigint, { txn: AbortedTxn; lastObservedBatchOffset: bigint | undefined }>();
  /** Producers with a committed (or not yet decided) transaction under way whose data we saw. */
  private readonly ongoingCommitted = new Set<bigint>();

  constructor(private readonly aborted: readonly AbortedTxn[]) {}

  private consumeAbortedUpTo(offset: bigint): void {
    while (this.next < this.aborted.length && this.aborted[this.next]!.firstOffset <= offset) {
      const txn = this.aborted[this.next++]!;
      if (!this.ongoingAborted.has(txn.producerId)) this.ongoingAborted.set(txn.producerId, { txn, lastObservedBatchOffset: undefined });
    }
  }

  /** For a data batch: true when it is part of an aborted transaction (its records can be discarded). */
  onBatchRead(producerId: bigint, lastOffset: bigint, transactional: boolean): boolean {
    this.consumeAbortedUpTo(lastOffset);
    if (!transactional) return false;
    const aborted = this.ongoingAborted.get(producerId);
    if (aborted) {
      aborted.lastObservedBatchOffset = lastOffset;
      return true;
    }
    this.ongoingCommitted.add(producerId);
    return false;
  }

  /** For a marker (controlType -1 for an empty control batch): true when the marker can be discarded. */
  onControlBatchRead(producerId: bigint, lastOffset: bigint, controlType: number): boolean {
    this.consumeAbortedUpTo(lastOffset);
    if (controlType < 0) return true;
    if (controlType === ControlRecordType.Abort) {
      const aborted = this.ongoingAborted.get(producerId);
      this.ongoingAborted.delete(producerId);
      // Keep the marker while batches of its transaction were still seen in this pass, and its
      // entry in the cleaned segment's transaction index with it.
      if (!(aborted && aborted.lastObservedBatchOffset !== undefined)) return true;
      this.cleanedIndex?.append({ ...aborted.txn, lastStableOffset: aborted.txn.lastStableOffset ?? 0n });
      return false;
    }
    if (controlType === ControlRecordType.Commit) return !this.ongoingCommitted.delete(producerId);
    return false;
  }
}
