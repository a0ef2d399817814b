/**
 * What a client's produce data must be before a leader appends it (the part of Kafka's
 * LogValidator that applies to v2 batches): exactly one valid batch (CRC, sizes, counts checked
 * without decoding records: CORRUPT_MESSAGE / INVALID_RECORD), no larger than the topic's
 * `max.message.bytes` (MESSAGE_TOO_LARGE), zstd only from Produce v7 (UNSUPPORTED_COMPRESSION_TYPE),
 * CreateTime timestamps within `message.timestamp.before/after.max.ms` of now (INVALID_TIMESTAMP,
 * checked on the oldest and largest record timestamps of an uncompressed batch, on the base and
 * max timestamps of a compressed one; the max made the largest record's first) or
 * stamped with the append time for `message.timestamp.type=LogAppendTime`; every record with a key
 * in a compacted topic (INVALID_RECORD with the keyless records' indexes, decompressing a compressed
 * batch to see them); recompressed when the topic's `compression.type` asks.
 */
import { CompressionType } from '../../protocol/compression/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { InvalidBatchError, RECORDS_OFFSET, type RecordFactory, TimestampType, type ValidatedBatch, decodeRecordBatchWith, isTransactional, setMaxTimestamp, timestampDeltaRange, validateProduceRecords } from '../../protocol/records/index.js';
import type { TopicPolicy } from '../config/topic-configs.js';
import { PartitionError } from '../partitions/partition-error.js';
import { recompress, targetCompression, targetLevel } from './recompress.js';

export interface PreparedRecords {
  /** The bytes to append: as sent, or (later) recompressed. */
  records: Buffer | Promise<Buffer>;
  /** For LogAppendTime topics, the time stamped on the batch. */
  logAppendTime?: bigint;
  /** The batch's producer fields (transactions need them before the append). */
  producer: { producerId: bigint; producerEpoch: number; isTransactional: boolean };
}

export function prepareProduceRecords(entry: { topic: string; partition: number; records: Buffer | null }, policy: TopicPolicy, apiVersion: number, nowMs: number): PreparedRecords | PartitionError {
  const records = entry.records;
  if (records === null) return new PartitionError(ErrorCode.INVALID_RECORD, 'No records');
  let batch: ValidatedBatch;
  try {
    batch = validateProduceRecords(records, { origin: 'client', maxBatchBytes: policy.maxMessageBytes });
  } catch (err) {
    if (err instanceof InvalidBatchError) return new PartitionError(err.errorCode, err.message);
    throw err;
  }
  if (batch.compression === CompressionType.Zstd && apiVersion < 7) return new PartitionError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd needs Produce v7 or later');
  let logAppendTime: bigint | undefined;
  if (policy.timestampType === 'LogAppendTime') logAppendTime = BigInt(nowMs);
  else {
    const h = batch.header;
    const oldest = batch.compression === CompressionType.None && h.recordCount > 1 ? measureRecordTimestamps(records, batch) : h.baseTimestamp;
    if (Number(h.maxTimestamp) - nowMs > policy.timestampAfterMaxMs || nowMs - Number(oldest) > policy.timestampBeforeMaxMs) {
      return new PartitionError(ErrorCode.INVALID_TIMESTAMP, 'Timestamp of the batch is out of the range allowed by message.timestamp.before/after.max.ms');
    }
  }
  const keyed = policy.compacted ? withKeysRequired(records, batch, policy.maxMessageBytes * 64, `${entry.topic}-${entry.partition}`) : records;
  const target = targetCompression(policy.compressionType);
  let prepared = keyed;
  if (target !== undefined && target !== batch.compression) {
    const recompressed = (r: Buffer) => recompress(r, batch, target, targetLevel(target, policy.compressionLevels), policy.maxMessageBytes * 64);
    prepared = keyed instanceof Promise ? keyed.then(recompressed) : recompressed(keyed);
  }
  const producer = { producerId: batch.header.producerId, producerEpoch: batch.header.producerEpoch, isTransactional: isTransactional(batch.header.attributes) };
  return logAppendTime === undefined ? { records: prepared, producer } : { records: prepared, logAppendTime, producer };
}

/**
 * The oldest record's timestamp of an uncompressed CreateTime batch, its maxTimestamp made its
 * largest record's first, as Kafka's LogValidator does (it checks every record's timestamp against
 * message.timestamp.before/after.max.ms, and sets maxTimestamp from them). kafkajs 2.2.4 writes
 * maxTimestamp from the timestamps its caller gave, sorted as strings, leaving out the records it
 * stamps itself: a batch mixing both says less than its largest record, and the time index,
 * ListOffsets by time and time-based retention would then trust a time too early. The base
 * timestamp is the first record's, not the oldest's, when the records are out of order (librdkafka
 * batches them as produced). Only the records' timestamp deltas are read, not their keys or values;
 * a batch whose records are not framed as their lengths say is left as it is (decoding refuses it).
 * Compressed batches keep what they say (Samsa decompresses on produce only to recompress, or to
 * see a compacted topic's keys).
 */
function measureRecordTimestamps(records: Buffer, batch: ValidatedBatch): bigint {
  const h = batch.header;
  const range = timestampDeltaRange(records, batch.position + RECORDS_OFFSET, batch.position + batch.sizeInBytes, h.recordCount);
  if (range === undefined) return h.baseTimestamp;
  const max = h.baseTimestamp + BigInt(range.max);
  if (max !== h.maxTimestamp) {
    h.maxTimestamp = max;
    setMaxTimestamp(records, batch.position, TimestampType.CreateTime, max);
  }
  return h.baseTimestamp + BigInt(range.min);
}

const hasNoKey: RecordFactory<boolean> = (_context, _attributes, _timestampDelta, _offsetDelta, key) => key === null;

/**
 * The batch, once every record in it is seen to have a key; else rejected with INVALID_RECORD
 * naming each keyless record's index in the batch (Produce v8+'s record_errors), as Kafka's
 * LogValidator answers for a compacted topic: compaction keeps the latest record of each key, and a
 * record without one could never be kept or replaced. A compressed batch is decompressed to see
 * its records (within `maxUncompressedBytes`), as Kafka does.
 */
async function withKeysRequired(records: Buffer, batch: ValidatedBatch, maxUncompressedBytes: number, topicPartition: string): Promise<Buffer> {
  let noKey: boolean[];
  try {
    noKey = (await decodeRecordBatchWith(records, batch.position, { maxUncompressedBytes, verifyCrc: false }, hasNoKey)).records;
  } catch (err) {
    if (err instanceof InvalidBatchError) throw new PartitionError(err.errorCode, err.message);
    throw err;
  }
  const errors = noKey.flatMap((keyless, batchIndex) => (keyless ? [{ batchIndex, batchIndexErrorMessage: `Compacted topic cannot accept message without key in topic partition ${topicPartition}.` }] : []));
  if (errors.length === 0) return records;
  const shown = errors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.batchIndexErrorMessage}')`);
  throw new PartitionError(ErrorCode.INVALID_RECORD, `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`, errors);
}
