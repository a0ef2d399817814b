/**
 * The idempotent producer's id: InitProducerId without a transactional id, sent to any broker
 * (as Kafka's clients do), retried while the error is retriable (a coordinator still loading).
 */
import { InitProducerIdApi } from '../../protocol/messages/index.js';
import type { Cluster } from '../cluster.js';
import { throwIfError } from '../errors.js';
import { withRetries } from '../retry.js';
import type { ProducerIdentity } from './partition-queue.js';

/** Kafka's transaction.timeout.ms default; brokers check it even for idempotent producers. */
const TRANSACTION_TIMEOUT_MS = 60_000;

/** A new producer id and epoch, or undefined when the broker does not serve InitProducerId. */
export function initProducerId(cluster: Cluster): Promise<ProducerIdentity | undefined> {
  return withRetries(async () => {
    const conn = await cluster.any();
    if (conn.versionFor(InitProducerIdApi as never) === undefined) return undefined;
    const res = await conn.send(InitProducerIdApi, { transactionalId: null, transactionTimeoutMs: TRANSACTION_TIMEOUT_MS, producerId: -1n, producerEpoch: -1 });
    throwIfError(res.errorCode, 'InitProducerId');
    return { producerId: res.producerId, producerEpoch: res.producerEpoch };
  }, cluster.retry);
}
