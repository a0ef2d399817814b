/**
 * Metadata images for tests, built the way every node builds its own: by replaying records.
 * `imageOf` registers brokers (unfenced, one PLAINTEXT endpoint each) and creates topics whose
 * partitions are led by the given broker (or spread round-robin over the brokers).
 */
import { MetadataImage } from '../../src/controller/image/metadata-image.js';
import { MetadataRecordType, type MetadataRecordInput } from '../../src/protocol/metadata/index.js';
import { decodeMetadataRecord, encodeMetadataRecord } from '../../src/protocol/metadata-record-serde.js';

export interface ImageSpec {
  brokers: { id: number; host?: string; port?: number; rack?: string | null; fenced?: boolean }[];
  topics: { name: string; id?: string; partitions: number; leader?: number; replicationFactor?: number }[];
}

let idSeq = 0;
const topicId = () => Buffer.from(`topic-id-${String(++idSeq).padStart(7, '0')}`).toString('base64url').slice(0, 22);

export function imageRecords(spec: ImageSpec): MetadataRecordInput[] {
  const out: MetadataRecordInput[] = [];
  for (const b of spec.brokers) {
    out.push({
      apiKey: MetadataRecordType.RegisterBrokerRecord,
      data: { brokerId: b.id, incarnationId: topicId(), brokerEpoch: BigInt(b.id), endPoints: [{ name: 'PLAINTEXT', host: b.host ?? '127.0.0.1', port: b.port ?? 9092, securityProtocol: 0 }], features: [], rack: b.rack ?? null, fenced: b.fenced ?? false },
    });
  }
  const ids = spec.brokers.map((b) => b.id);
  for (const t of spec.topics) {
    const id = t.id ?? topicId();
    out.push({ apiKey: MetadataRecordType.TopicRecord, data: { name: t.name, topicId: id } });
    for (let p = 0; p < t.partitions; p++) {
      const leader = t.leader ?? ids[p % ids.length]!;
      const rf = t.replicationFactor ?? 1;
      const replicas = [leader, ...ids.filter((x) => x !== leader)].slice(0, rf);
      out.push({ apiKey: MetadataRecordType.PartitionRecord, data: { partitionId: p, topicId: id, replicas, isr: replicas, removingReplicas: [], addingReplicas: [], leader, leaderEpoch: 0, partitionEpoch: 0 } });
    }
  }
  return out;
}

export function imageOf(spec: ImageSpec): MetadataImage {
  const image = new MetadataImage();
  for (const r of imageRecords(spec)) image.apply(decodeMetadataRecord(encodeMetadataRecord(r)));
  return image;
}
