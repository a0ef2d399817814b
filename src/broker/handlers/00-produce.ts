/**
 * Produce (key 0), versions 3-11 (Kafka 4's floor is 3: record batches v2 only).
 *
 * Each partition's records must be exactly one valid v2 batch (CRC, sizes, counts checked without
 * decoding records: CORRUPT_MESSAGE / INVALID_RECORD), no larger than the topic's
 * `max.message.bytes` (MESSAGE_TOO_LARGE), with CreateTime timestamps within
 * `message.timestamp.before/after.max.ms` of now (INVALID_TIMESTAMP; checked on the batch's base
 * and max timestamps) or stamped with the append time for `message.timestamp.type=LogAppendTime`.
 * zstd needs v7+ (UNSUPPORTED_COMPRESSION_TYPE). A topic whose `compression.type` is not
 * `producer` gets the batch recompressed. acks 0, 1 and -1 (all) are served; with one replica
 * acks=1 and acks=all both answer once the append is durable per the topic's fsync policy, and
 * acks=all checks `min.insync.replicas` (NOT_ENOUGH_REPLICAS). Appends start in request order
 * before the first await. With acks=0 nothing is answered, and a failed append closes the
 * connection so the producer notices, as Kafka does.
 *
 * Batches of idempotent producers (a producer id from InitProducerId) are checked by the log's
 * producer state: a retry of a batch already written is answered with its offsets and not written
 * again; a fenced epoch is INVALID_PRODUCER_EPOCH, a gap in sequences OUT_OF_ORDER_SEQUENCE_NUMBER.
 *
 * Not yet: transactions (a transactional id is answered INVALID_TXN_STATE).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ProduceApi, type ProduceResponsePartitionProduceResponse, type ProduceRequestPartitionProduceData } from '../../protocol/messages/index.js';
import { CompressionType } from '../../protocol/compression/index.js';
import { InvalidBatchError, type ValidatedBatch, validateProduceRecords } from '../../protocol/records/index.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler } from '../handler.js';
import { isInternalTopic } from '../metadata/topic-name.js';
import type { AppendResult } from '../partition-logs.js';
import { ProducerStateError } from '../../log/index.js';
import { recompress, targetCompression } from '../produce/recompress.js';
import { partitionKey } from '../fetch/fetch-sessions.js';

type PartitionResult = Pick<ProduceResponsePartitionProduceResponse, 'index' | 'errorCode' | 'baseOffset' | 'logAppendTimeMs' | 'logStartOffset' | 'errorMessage'>;

const failure = (index: number, errorCode: number, errorMessage: string | null = null): PartitionResult => ({
  index,
  errorCode,
  baseOffset: -1n,
  logAppendTimeMs: -1n,
  logStartOffset: -1n,
  errorMessage,
});

export const produceHandler = defineHandler(ProduceApi, { min: 3, max: 11 }, async (req, ctx) => {
  const acks = req.acks;
  const pending: { name: string; results: Promise<PartitionResult>[] }[] = [];
  for (const t of req.topicData) {
    const results = t.partitionData.map((p): Promise<PartitionResult> => {
      if (acks !== 0 && acks !== 1 && acks !== -1) return Promise.resolve(failure(p.index, ErrorCode.INVALID_REQUIRED_ACKS));
      if (req.transactionalId !== null) return Promise.resolve(failure(p.index, ErrorCode.INVALID_TXN_STATE, 'Samsa does not support transactions yet'));
      // Everything up to log.append runs synchronously, so appends keep the client's order.
      return appendPartition(ctx.broker, t.name, p, acks, ctx.apiVersion);
    });
    pending.push({ name: t.name, results });
  }
  const responses = await Promise.all(pending.map(async (t) => ({ name: t.name, partitionResponses: await Promise.all(t.results) })));
  if (acks === 0) return responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== ErrorCode.NONE)) ? 'close' : null;
  return { responses, throttleTimeMs: 0 };
});

function appendPartition(b: BrokerContext, topicName: string, p: ProduceRequestPartitionProduceData, acks: number, version: number): Promise<PartitionResult> {
  const topic = b.metadata.topic(topicName);
  if (!topic || p.index < 0 || p.index >= topic.partitions) return Promise.resolve(failure(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  if (isInternalTopic(topicName)) return Promise.resolve(failure(p.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topicName}`));
  const log = b.logs.getLog(topicName, p.index);
  if (!log) return Promise.resolve(failure(p.index, ErrorCode.NOT_LEADER_OR_FOLLOWER));
  const { policy } = b.topics.effectiveConfig(topicName);
  if (acks === -1 && policy.minInsyncReplicas > 1) {
    return Promise.resolve(failure(p.index, ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR 1 is insufficient to satisfy the min.isr requirement of ${policy.minInsyncReplicas}`));
  }
  if (p.records === null) return Promise.resolve(failure(p.index, ErrorCode.INVALID_RECORD, 'No records'));
  let batch: ValidatedBatch;
  try {
    batch = validateProduceRecords(p.records, { origin: 'client', maxBatchBytes: policy.maxMessageBytes });
  } catch (err) {
    if (err instanceof InvalidBatchError) return Promise.resolve(failure(p.index, err.errorCode, err.message));
    throw err;
  }
  if (batch.compression === CompressionType.Zstd && version < 7) return Promise.resolve(failure(p.index, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE));
  const now = b.clock.now();
  let logAppendTime: bigint | undefined;
  if (policy.timestampType === 'LogAppendTime') logAppendTime = BigInt(now);
  else {
    const h = batch.header;
    if (Number(h.maxTimestamp) - now > policy.timestampAfterMaxMs || now - Number(h.baseTimestamp) > policy.timestampBeforeMaxMs) {
      return Promise.resolve(failure(p.index, ErrorCode.INVALID_TIMESTAMP, `Timestamp of the batch is out of the range allowed by message.timestamp.before/after.max.ms`));
    }
  }
  const target = targetCompression(policy.compressionType);
  const records = target === undefined || target === batch.compression ? p.records : recompress(p.records, batch, target, policy.maxMessageBytes * 64);
  const key = partitionKey(topicName, p.index);
  const appended = b.appendSequencer.append(key, log, records, { leaderEpoch: 0, ...(logAppendTime !== undefined ? { logAppendTime } : {}) });
  return appended.then(
    (r: AppendResult): PartitionResult => {
      b.fetchWaiters.appended(key, batch.sizeInBytes);
      return { index: p.index, errorCode: ErrorCode.NONE, baseOffset: r.baseOffset, logAppendTimeMs: logAppendTime ?? -1n, logStartOffset: r.logStartOffset, errorMessage: null };
    },
    (err: unknown): PartitionResult => {
      if (err instanceof ProducerStateError) return failure(p.index, err.errorCode, err.message);
      b.log.error({ err, topic: topicName, partition: p.index }, 'append failed');
      return failure(p.index, ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
    },
  );
}

