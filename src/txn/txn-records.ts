/**
 * The records the transaction coordinator keeps in __transaction_state, in Kafka's formats
 * (TransactionLogKey / TransactionLogValue, through the generated codecs), so that the topic reads
 * as Kafka's does: key `type int16 (0) | transactionalId`, value `version int16 | producerId,
 * producerEpoch, transactionTimeoutMs, transactionStatus, transactionPartitions, last update and
 * start timestamps`. A null value (tombstone) removes an expired transactional id. Values are
 * written at version 0, as Kafka writes them for clients without transaction version 2; version 1
 * (flexible, with the previous and next producer ids) is read.
 */
import { TransactionLogRecordType } from '../protocol/coordinator/index.js';
import type { TransactionLogKey, TransactionLogValue } from '../protocol/coordinator/index.js';
import { decodeCoordinatorRecord, encodeCoordinatorKey, encodeCoordinatorValue } from '../protocol/coordinator-record-serde.js';
import { DecodeError } from '../protocol/samsa-error.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, type TxnPartition, type TxnState, type TxnTransit, partitionKey } from './transaction-metadata.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';
const KEY_TYPE = 0;
const VALUE_VERSION = 0;

/** One record of __transaction_state: a transactional id's metadata, or null for its removal. */
export interface TxnLogRecord {
  transactionalId: string;
  value: TxnTransit | null;
}

export function encodeTxnKey(transactionalId: string): Buffer {
  return encodeCoordinatorKey(TRANSACTION_STATE_TOPIC, KEY_TYPE, { transactionalId });
}

export function encodeTxnValue(t: TxnTransit): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const p of t.partitions.values()) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  return encodeCoordinatorValue(TransactionLogRecordType, VALUE_VERSION, {
    producerId: t.producerId,
    producerEpoch: t.producerEpoch,
    transactionTimeoutMs: t.txnTimeoutMs,
    transactionStatus: t.state,
    transactionPartitions: t.partitions.size === 0 ? null : [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds: partitionIds.sort((a, b) => a - b) })),
    transactionLastUpdateTimestampMs: BigInt(t.txnLastUpdateTimestamp),
    transactionStartTimestampMs: BigInt(t.txnStartTimestamp),
  });
}

/** Decodes a record read from __transaction_state; throws DecodeError for one that is not a transaction record. */
export function decodeTxnRecord(key: Buffer | null, value: Buffer | null): TxnLogRecord {
  if (key === null) throw new DecodeError('__transaction_state record without a key');
  const r = decodeCoordinatorRecord(TRANSACTION_STATE_TOPIC, key, value);
  const transactionalId = (r.key as TransactionLogKey).transactionalId;
  if (r.value === null) return { transactionalId, value: null };
  const v = r.value.data as TransactionLogValue;
  const partitions = new Map<string, TxnPartition>();
  for (const t of v.transactionPartitions ?? []) for (const p of t.partitionIds) partitions.set(partitionKey(t.topic, p), { topic: t.topic, partition: p });
  return {
    transactionalId,
    value: {
      producerId: v.producerId,
      lastProducerId: v.previousProducerId ?? NO_PRODUCER_ID,
      producerEpoch: v.producerEpoch,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      txnTimeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus as TxnState,
      partitions,
      txnStartTimestamp: Number(v.transactionStartTimestampMs),
      txnLastUpdateTimestamp: Number(v.transactionLastUpdateTimestampMs),
    },
  };
}
