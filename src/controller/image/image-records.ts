/**
 * The image written as metadata records (what a snapshot of `__cluster_metadata` holds, as Kafka's
 * image writers emit it): feature levels, broker registrations, topics with their partitions,
 * config overrides, the producer id high-water mark, and ACLs, SCRAM credentials and client quotas. Replaying these records into an empty
 * image gives an equal image. The order is canonical (sorted), so equal images give equal records:
 * `imageDigest` hashes them, which is how the simulator compares images.
 */
import { createHash } from 'node:crypto';
import { type MetadataRecordInput, MetadataRecordType } from '../../protocol/metadata/index.js';
import { encodeMetadataRecord } from '../../protocol/metadata-record-serde.js';
import type { BrokerRegistration, PartitionRegistration } from './image-types.js';
import type { MetadataImage } from './metadata-image.js';

export function brokerRecord(b: BrokerRegistration): MetadataRecordInput {
  return {
    apiKey: MetadataRecordType.RegisterBrokerRecord,
    data: {
      brokerId: b.id,
      incarnationId: b.incarnationId,
      brokerEpoch: b.epoch,
      endPoints: b.endpoints,
      features: b.features,
      rack: b.rack,
      fenced: b.fenced,
      inControlledShutdown: b.inControlledShutdown,
      logDirs: b.logDirs,
    },
  };
}

export function partitionRecord(p: PartitionRegistration): MetadataRecordInput {
  return {
    apiKey: MetadataRecordType.PartitionRecord,
    data: {
      partitionId: p.partitionId,
      topicId: p.topicId,
      replicas: p.replicas,
      isr: p.isr,
      removingReplicas: p.removingReplicas,
      addingReplicas: p.addingReplicas,
      leader: p.leader,
      leaderRecoveryState: p.leaderRecoveryState,
      leaderEpoch: p.leaderEpoch,
      partitionEpoch: p.partitionEpoch,
      directories: p.directories,
      eligibleLeaderReplicas: p.eligibleLeaderReplicas,
      lastKnownElr: p.lastKnownElr,
    },
  };
}

/** The image as records, in canonical order. */
export function* imageRecords(image: MetadataImage): Generator<MetadataRecordInput> {
  for (const [name, featureLevel] of [...image.features()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    yield { apiKey: MetadataRecordType.FeatureLevelRecord, data: { name, featureLevel } };
  }
  for (const b of image.brokers()) yield brokerRecord(b);
  for (const t of [...image.topics()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    yield { apiKey: MetadataRecordType.TopicRecord, data: { name: t.name, topicId: t.id } };
    for (const p of t.partitions) yield partitionRecord(p);
  }
  const resources = [...image.configResources()].sort(([ta, na], [tb, nb]) => ta - tb || (na < nb ? -1 : na > nb ? 1 : 0));
  for (const [resourceType, resourceName, configs] of resources) {
    for (const [name, value] of [...configs].sort(([a], [b]) => (a < b ? -1 : 1))) {
      yield { apiKey: MetadataRecordType.ConfigRecord, data: { resourceType, resourceName, name, value } };
    }
  }
  if (image.nextProducerId > 0n) {
    yield { apiKey: MetadataRecordType.ProducerIdsRecord, data: { brokerId: -1, brokerEpoch: -1n, nextProducerId: image.nextProducerId } };
  }
  yield* image.security.records();
}

/** The image's records, encoded (a snapshot's contents). */
export function encodeImage(image: MetadataImage): Buffer[] {
  const out: Buffer[] = [];
  for (const r of imageRecords(image)) out.push(encodeMetadataRecord(r));
  return out;
}

/** A digest of the image's contents: equal images, equal digests. */
export function imageDigest(image: MetadataImage): string {
  const h = createHash('sha256');
  for (const r of encodeImage(image)) h.update(r);
  return h.digest('hex').slice(0, 16);
}
