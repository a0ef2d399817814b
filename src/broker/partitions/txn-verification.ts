/**
 * KIP-890 (part 1) on the partition leader: before a transactional batch that would start its
 * producer's transaction in a partition is appended, the transaction coordinator is asked whether
 * the partition was added to the transaction (AddPartitionsToTxn v4+ with verifyOnly, locally when
 * the coordinator is this node). A guard is taken from the partition's log before asking; a marker
 * written meanwhile spends it, so a produce that arrives after its transaction was aborted cannot
 * open a transaction nobody will ever close ("hanging transaction"). The append keeps its place in
 * the partition's order while it waits (Partition.appendAsLeader takes the records as a promise).
 */
import type { VerificationCheck } from '../../log/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { PartitionError } from './partition-error.js';
import type { Partition } from './partition.js';

/** Asks the transaction coordinator; resolves with the error the produce answers (NONE when verified). */
export interface TxnVerifier {
  verify(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number, produceVersion: number): Promise<number>;
}

/** The producer fields of a batch, from its header. */
export interface BatchProducer {
  producerId: bigint;
  producerEpoch: number;
  isTransactional: boolean;
}

/**
 * The records to append and the check the log makes: unchanged for a batch that needs none; for a
 * transactional one, the records once verified (a PartitionError when not) and the guard.
 */
export function verifiedRecords(
  verifier: TxnVerifier,
  p: Partition,
  records: Buffer | Promise<Buffer>,
  b: BatchProducer,
  transactionalId: string,
  produceVersion: number,
): { records: Buffer | Promise<Buffer>; verification: VerificationCheck } {
  // Inside its open transaction a batch needs no verification; the log still checks, at append
  // time, that the transaction is open then (a marker may end it before this batch's turn).
  if (p.hasOngoingTransaction(b.producerId, b.producerEpoch)) return { records, verification: { guard: undefined } };
  const guard = p.verificationGuard(b.producerId, b.producerEpoch);
  // Records still being prepared (recompressed) are dropped unawaited when the verification fails:
  // their own failure then must not become an unhandled rejection of the process.
  if (!Buffer.isBuffer(records)) records.catch(() => undefined);
  const verified = verifier.verify(transactionalId, b.producerId, b.producerEpoch, p.topic, p.partition, produceVersion).then(async (code) => {
    if (code !== ErrorCode.NONE) throw new PartitionError(code, code === ErrorCode.INVALID_TXN_STATE ? 'Partition was not added to the transaction' : `Unable to verify the partition has been added to the transaction (${code})`);
    return records;
  });
  return { records: verified, verification: { guard } };
}
