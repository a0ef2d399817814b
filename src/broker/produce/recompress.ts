/**
 * Rewrites a batch in the topic's `compression.type` when it differs from the producer's, as
 * Kafka's broker does, at the topic's `compression.<codec>.level` (KIP-390; a batch already in the
 * topic's codec is kept whatever its level, as Kafka keeps it). One of the two paths where the
 * broker decodes records on produce (the other: a compacted topic's keys, validate-produce.ts);
 * everything about the batch but its compression (producer id and
 * sequence, timestamps, offsets deltas, headers, transactional flag) is kept, except that the max
 * timestamp is made the largest record's, as Kafka's LogValidator makes it when it rebuilds a
 * batch (kafkajs's can say less: validate-produce.ts).
 */
import { CompressionType } from '../../protocol/compression/index.js';
import { type ValidatedBatch, decodeRecordBatch, encodeRecordBatch } from '../../protocol/records/index.js';
import type { CompressionLevels } from '../config/topic-configs.js';

const TARGETS: Record<string, CompressionType | undefined> = {
  uncompressed: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

/** The codec a topic's `compression.type` asks for, or undefined for `producer` (keep as sent). */
export function targetCompression(compressionType: string): CompressionType | undefined {
  return TARGETS[compressionType];
}

/** The level of `target` a policy gives (KIP-390's `compression.<codec>.level`), undefined for codecs without one. */
export function targetLevel(target: CompressionType, levels: CompressionLevels): number | undefined {
  return target === CompressionType.Gzip ? levels.gzip : target === CompressionType.Zstd ? levels.zstd : target === CompressionType.Lz4 ? levels.lz4 : undefined;
}

export async function recompress(records: Buffer, batch: ValidatedBatch, target: CompressionType, level: number | undefined, maxUncompressedBytes: number): Promise<Buffer> {
  const d = await decodeRecordBatch(records, batch.position, { maxUncompressedBytes, verifyCrc: false });
  const h = d.header;
  return encodeRecordBatch({
    compression: target,
    ...(level !== undefined ? { compressionLevel: level } : {}),
    timestampType: d.timestampType,
    isTransactional: d.isTransactional,
    baseTimestamp: h.baseTimestamp,
    lastOffsetDelta: h.lastOffsetDelta,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    records: d.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offsetDelta, attributes: r.attributes })),
  });
}
