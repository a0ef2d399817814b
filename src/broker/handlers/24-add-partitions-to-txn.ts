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
 * Not yet: authorization (TRANSACTIONAL_ID_AUTHORIZATION_FAILED; v4+ needs CLUSTER_ACTION).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AddPartitionsToTxnApi, type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput } from '../../protocol/messages/index.js';
import { partitionKey } from '../../txn/index.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler } from '../handler.js';

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
    const topicResults = await addOrVerify(ctx.broker, { transactionalId: req.v3AndBelowTransactionalId, producerId: req.v3AndBelowProducerId, producerEpoch: req.v3AndBelowProducerEpoch, verifyOnly: false, topics: req.v3AndBelowTopics }, v);
    return { throttleTimeMs: 0, resultsByTopicV3AndBelow: topicResults };
  }
  const resultsByTransaction = await Promise.all(req.transactions.map(async (t) => ({ transactionalId: t.transactionalId, topicResults: await addOrVerify(ctx.broker, t, v) })));
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
});

async function addOrVerify(b: BrokerContext, t: Txn, version: number): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput[]> {
  const answer = (code: (topic: string, partition: number) => number) => t.topics.map((x) => ({ name: x.name, resultsByPartition: x.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(x.name, p) })) }));
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
