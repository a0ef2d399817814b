/**
 * TxnOffsetCommit (key 28), versions 0-4.
 *
 * Commits a consumer group's offsets inside the producer's transaction (consume-transform-produce):
 * the group coordinator writes them to __consumer_offsets as a transactional batch of the producer
 * (its id and epoch), and they stay pending until the transaction's marker reaches that partition
 * (COMMIT applies them, ABORT drops them); OffsetFetch with require_stable answers
 * UNSTABLE_OFFSET_COMMIT meanwhile. The group's partition must have joined the transaction
 * (AddOffsetsToTxn): with transaction.partition.verification.enable (KIP-890) the transaction
 * coordinator is asked first, INVALID_TXN_STATE (TRANSACTION_ABORTABLE from v4) when it did not.
 * v3+ carry the member (generation, member id, group.instance.id), checked as OffsetCommit does
 * except that a non-empty group accepts commits without a member; a fenced producer epoch is
 * INVALID_PRODUCER_EPOCH. Partitions of unknown topics answer UNKNOWN_TOPIC_OR_PARTITION.
 *
 * With an authorizer: WRITE on the transactional id, READ on the group and on each topic. A KIP-848
 * consumer group's member is checked against its member epoch (STALE_MEMBER_EPOCH).
 */
import type { VerificationCheck } from '../../log/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { TxnOffsetCommitApi } from '../../protocol/messages/index.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../common/topic-name.js';

export const txnOffsetCommitHandler = defineHandler(TxnOffsetCommitApi, { min: 0, max: 4 }, async (req, ctx) => {
  const b = ctx.broker;
  const exists = (topic: string, partition: number): boolean => {
    const t = b.metadata.topic(topic);
    return t !== undefined && partition >= 0 && partition < t.partitionCount;
  };
  const answer = (code: (topic: string, partition: number) => number) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name, p.partitionIndex) })) })),
  });
  // With an authorizer: WRITE on the transactional id, READ on the group, READ on each topic, as Kafka checks them.
  if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return answer(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return answer(() => ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const refusedTopics = new Set(req.topics.filter((t) => !authorize(ctx, AclOperation.READ, ResourceType.TOPIC, t.name)).map((t) => t.name));
  if (refusedTopics.size > 0) return answer((t) => (refusedTopics.has(t) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED));
  const verification = await verify(b, req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
  if (typeof verification === 'number') {
    const code = verification === ErrorCode.INVALID_TXN_STATE && ctx.apiVersion >= 4 ? ErrorCode.TRANSACTION_ABORTABLE : verification;
    return answer((t, p) => (exists(t, p) ? code : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  }
  const known = req.topics.map((t) => ({ name: t.name, partitions: t.partitions.filter((p) => exists(t.name, p.partitionIndex)) })).filter((t) => t.partitions.length > 0);
  const results = await b.groups.commitTransactionalOffsets(
    {
      groupId: req.groupId,
      generationId: ctx.apiVersion >= 3 ? req.generationId : -1,
      memberId: ctx.apiVersion >= 3 ? req.memberId : '',
      groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
      topics: known.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, committedOffset: p.committedOffset, committedLeaderEpoch: ctx.apiVersion >= 2 ? p.committedLeaderEpoch : -1, committedMetadata: p.committedMetadata })),
      })),
    },
    { producerId: req.producerId, producerEpoch: req.producerEpoch, ...(verification ? { verification } : {}) },
  );
  const codes = new Map<string, number>();
  for (const t of results) for (const p of t.partitions) codes.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode === ErrorCode.INVALID_TXN_STATE && ctx.apiVersion >= 4 ? ErrorCode.TRANSACTION_ABORTABLE : p.errorCode);
  return answer((t, p) => codes.get(`${t}\u0000${p}`) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

/**
 * KIP-890 for the group's partition of __consumer_offsets: the guard to write with once the
 * transaction coordinator confirmed the partition is in the transaction, undefined when
 * verification is off, or the error to answer.
 */
async function verify(b: BrokerContext, transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string): Promise<VerificationCheck | undefined | number> {
  if (!b.transactions.coordinator.config['transaction.partition.verification.enable']) return undefined;
  const partition = b.replicaManager.getPartition(CONSUMER_OFFSETS_TOPIC, b.groups.partitionFor(groupId));
  if (!partition) return ErrorCode.NOT_COORDINATOR;
  if (partition.hasOngoingTransaction(producerId, producerEpoch)) return { guard: undefined };
  const guard = partition.verificationGuard(producerId, producerEpoch);
  const code = await b.transactions.verify(transactionalId, producerId, producerEpoch, CONSUMER_OFFSETS_TOPIC, partition.partition);
  // The group coordinator answers a coordinator it cannot reach as any write it cannot make.
  if (code === ErrorCode.NOT_ENOUGH_REPLICAS) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  return code === ErrorCode.NONE ? { guard } : code;
}
