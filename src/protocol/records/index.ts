/** Kafka record batches (magic v2): framing, validation and in-place patches for the broker, full codec for clients. */
export * from './batch-header.js';
export { TRUNCATED, batchSizeAt, computeBatchCrc } from './batch-frame.js';
export * from './batch-iterator.js';
export * from './batch-patch.js';
export * from './control-record.js';
export * from './invalid-batch-error.js';
export { KafkaRecord, MIN_RECORD_BYTES, type RecordBatchContext, type RecordFactory, type RecordHeader, type RecordHeaderInput, type RecordInput, decodeRecords, decodeRecordsWith, kafkaRecord, timestampDeltaRange } from './record.js';
export * from './record-batch.js';
export * from './validate-batch.js';
