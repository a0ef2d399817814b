/**
 * AddPartitionsToTxn (key 24), versions 0-5.
 *
 * v0-3 (clients): the partitions join the producer's transaction (the first ones start it), once
 * the transaction coordinator has written it to __transaction_state. Partitions of unknown topics
 * answer UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED (nothing is added);
 * otherwise every partition answers the coordinator's error: INVALID_PRODUCER_ID_MAPPING,
 * PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2), CONCURRENT_TRANSACTIONS while the previous
 * transaction completes (after waiting up to 500 ms for its markers, where Kafka answers at once),
 * NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS.
 *
 * v4+ (brokers): transactions in a batch, each answered on its own. With verifyOnly (KIP-890) the
 * coordinator only says whether each partition is in the transaction (NONE, else
 * TRANSACTION_ABORTABLE): a partition leader asks before a transaction's first write to it.
 *
 * With an authorizer: a producer's addition needs WRITE on the transactional id
 * (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and on each topic (TOPIC_AUTHORIZATION_FAILED, the others
 * OPERATION_NOT_ATTEMPTED); a broker's verification, CLUSTER_ACTION (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AddPartitionsToTxnApi, type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput } from '../../protocol/messages/index.js';
import { partitionKey } from '../../txn/index.js';
import { type RequestContext, defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize, authorizeCluster } from '../security/authorize.js';

interface Txn {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: readonly { name: string; partitions: readonly number[] }[];
}

export const addPartitionsToTxnHandler = defineHandler(AddPartitionsToTxnApi, { min: 0, max: 5 }, async (req, ctx) => {
  const v = ctx.apiVersion;
  if (v <= 3) {
    const topicResults = await addOrVerify(ctx, { transactionalId: req.v3AndBelowTransactionalId, producerId: req.v3AndBelowProducerId, producerEpoch: req.v3AndBelowProducerEpoch, verifyOnly: false, topics: req.v3AndBelowTopics }, v);
    return { throttleTimeMs: 0, resultsByTopicV3AndBelow: topicResults };
  }
  const resultsByTransaction = await Promise.all(req.transactions.map(async (t) => ({ transactionalId: t.transactionalId, topicResults: await addOrVerify(ctx, t, v) })));
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
});

async function addOrVerify(ctx: RequestContext, t: Txn, version: number): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput[]> {
  const b = ctx.broker;
  const answer = (code: (topic: string, partition: number) => number) => t.topics.map((x) => ({ name: x.name, resultsByPartition: x.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(x.name, p) })) }));
  // With an authorizer, as Kafka checks them: a broker's verification needs CLUSTER_ACTION; a
  // producer's addition WRITE on the transactional id and on each topic (the others not attempted).
  if (t.verifyOnly) {
    if (!authorizeCluster(ctx, AclOperation.CLUSTER_ACTION)) return answer(() => ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  } else {
    if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, t.transactionalId)) return answer(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const refused = new Set(t.topics.filter((x) => !authorize(ctx, AclOperation.WRITE, ResourceType.TOPIC, x.name)).map((x) => x.name));
    if (refused.size > 0) return answer((topic) => (refused.has(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED));
  }
  const exists = (topic: string, p: number) => {
    const meta = b.metadata.topic(topic);
    return meta !== undefined && p >= 0 && p < meta.partitionCount;
  };
  const partitions = t.topics.flatMap((x) => x.partitions.map((partition) => ({ topic: x.name, partition })));
  if (partitions.some((p) => !exists(p.topic, p.partition))) return answer((topic, p) => (exists(topic, p) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  const c = b.transactions.coordinator;
  const params = { transactionalId: t.transactionalId, producerId: t.producerId, producerEpoch: t.producerEpoch };
  if (t.verifyOnly) {
    const r = c.verifyPartitions(params, partitions);
    return answer((topic, p) => (typeof r === 'number' ? r : (r.get(partitionKey(topic, p)) ?? ErrorCode.UNKNOWN_SERVER_ERROR)));
  }
  let code = await c.addPartitions(params, partitions);
  if (code === ErrorCode.PRODUCER_FENCED && version < 2) code = ErrorCode.INVALID_PRODUCER_EPOCH;
  return answer(() => code);
}
