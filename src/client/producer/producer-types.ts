/** What a producer is given and answers: records to send, and where each one landed. */
import type { Bytes } from '../serde.js';

export interface ProducerRecord<K = Bytes, V = Bytes> {
  key?: K;
  value: V;
  headers?: Record<string, Bytes> | readonly { key: string; value: Bytes }[];
  /** Milliseconds since the epoch (default now). */
  timestamp?: number | bigint;
  partition?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** The record's offset; -1 with acks=0, and for a retry the broker knew as a duplicate without its offset. */
  offset: bigint;
  /** LogAppendTime when the topic uses it, else -1 (the record keeps its own). */
  logAppendTime: bigint;
}
