/**
 * Data directories from before the metadata log kept the cluster metadata in one JSON file,
 * `<data-dir>/__samsa_metadata/cluster-metadata.json`: the cluster id, every topic with its id,
 * partition count and config overrides, and the next producer id. The first start with the
 * metadata log turns it into records (this node leads and holds every partition, at leader epoch
 * 0, as it did) that the first active controller writes, and renames the file so that it is not
 * read again.
 */
import { join } from 'node:path';
import { ConfigResourceType } from '../../controller/image/image-types.js';
import { type MetadataRecordInput, MetadataRecordType } from '../../protocol/metadata/index.js';
import type { Disk } from '../../storage/disk.js';
import { readWholeFile } from '../../storage/disk-files.js';

export const LEGACY_METADATA_DIR = '__samsa_metadata';
const FILE = 'cluster-metadata.json';
export const MIGRATED_SUFFIX = '.migrated';

interface LegacySnapshot {
  version: 1;
  clusterId: string;
  topics: { name: string; id: string; partitions: number; configs: Record<string, string> }[];
  nextProducerId?: string;
}

export interface LegacyMetadata {
  readonly path: string;
  readonly clusterId: string;
  readonly records: MetadataRecordInput[];
  readonly topics: number;
}

/** The legacy file's contents as metadata records, or undefined when there is none. */
export async function readLegacyMetadata(disk: Disk, dataDir: string, nodeId: number): Promise<LegacyMetadata | undefined> {
  const path = join(dataDir, LEGACY_METADATA_DIR, FILE);
  const text = await readWholeFile(disk, path);
  if (!text) return undefined;
  const snap = JSON.parse(text.toString('utf8')) as LegacySnapshot;
  const records: MetadataRecordInput[] = [];
  for (const t of snap.topics) {
    records.push({ apiKey: MetadataRecordType.TopicRecord, data: { name: t.name, topicId: t.id } });
    for (let p = 0; p < t.partitions; p++) {
      records.push({
        apiKey: MetadataRecordType.PartitionRecord,
        data: { partitionId: p, topicId: t.id, replicas: [nodeId], isr: [nodeId], removingReplicas: [], addingReplicas: [], leader: nodeId, leaderEpoch: 0, partitionEpoch: 0 },
      });
    }
    for (const [name, value] of Object.entries(t.configs)) {
      records.push({ apiKey: MetadataRecordType.ConfigRecord, data: { resourceType: ConfigResourceType.TOPIC, resourceName: t.name, name, value } });
    }
  }
  const next = BigInt(snap.nextProducerId ?? 0);
  if (next > 0n) records.push({ apiKey: MetadataRecordType.ProducerIdsRecord, data: { brokerId: nodeId, brokerEpoch: -1n, nextProducerId: next } });
  return { path, clusterId: snap.clusterId, records, topics: snap.topics.length };
}
