/**
 * The cluster metadata as of an offset of the metadata log (Kafka's MetadataImage with its
 * MetadataDelta replay): topics and their partitions, registered brokers, config overrides,
 * the producer id high-water mark, feature levels, and ACLs, SCRAM credentials and client quotas
 * (`security`: security-image.ts). It is built only by replaying committed
 * records (or a snapshot, which is the image written as records: `image-records.ts`), so every
 * node that has applied the log to the same offset holds the same image.
 *
 * Kafka keeps immutable images and builds a new one per delta; Samsa's image is mutable and each
 * replay notes what it changed in a MetadataDelta, which publishers (the broker's partitions, the
 * controller) read. Queries are what the request handlers and the controller ask.
 */
import { collisionKey } from '../../common/topic-name.js';
import { type MetadataRecord, MetadataRecordType } from '../../protocol/metadata/index.js';
import type { BrokerRegistration, PartitionRegistration, TopicImage } from './image-types.js';
import { ConfigResourceType } from './image-types.js';
import { MetadataDelta } from './metadata-delta.js';
import { applyPartitionChange, partitionFromRecord } from './partition-change.js';
import { registrationFromRecord, withRegistrationChange } from './broker-registrations.js';
import { SecurityImage } from './security-image.js';

interface MutableTopic {
  name: string;
  id: string;
  partitions: PartitionRegistration[];
}

/** A topic with its partition count, replication factor and config overrides, as the request handlers use it. */
export interface TopicView extends TopicImage {
  readonly partitionCount: number;
  readonly replicationFactor: number;
}

export class MetadataImage {
  private readonly byName = new Map<string, MutableTopic>();
  private readonly byId = new Map<string, MutableTopic>();
  private readonly byCollisionKey = new Map<string, string>();
  private readonly brokerMap = new Map<number, BrokerRegistration>();
  /** Config overrides by resource (`type:name`), each name → value. */
  private readonly configMap = new Map<string, Map<string, string>>();
  private readonly featureMap = new Map<string, number>();
  private nextPid = 0n;
  private securityImage = new SecurityImage();
  /** The offset after the last record applied (0: nothing applied). */
  appliedOffset = 0;
  /** Partitions across all topics. */
  private partitionTotal = 0;

  // ---- replay ----

  /** Applies one committed record, noting what changed in `delta`. Records Samsa does not use (delegation tokens, transactions, ZooKeeper migration) change nothing. */
  apply(record: MetadataRecord, delta: MetadataDelta = new MetadataDelta()): void {
    switch (record.apiKey) {
      case MetadataRecordType.TopicRecord:
        return this.addTopic(record.data.name, record.data.topicId, delta);
      case MetadataRecordType.PartitionRecord:
        return this.putPartition(partitionFromRecord(record.data), delta);
      case MetadataRecordType.PartitionChangeRecord: {
        const p = this.partitionById(record.data.topicId, record.data.partitionId);
        if (p) this.putPartition(applyPartitionChange(p, record.data), delta);
        return;
      }
      case MetadataRecordType.RemoveTopicRecord:
        return this.removeTopic(record.data.topicId, delta);
      case MetadataRecordType.ConfigRecord:
        return this.setConfig(record.data.resourceType, record.data.resourceName, record.data.name, record.data.value, delta);
      case MetadataRecordType.RegisterBrokerRecord:
        this.brokerMap.set(record.data.brokerId, registrationFromRecord(record.data));
        delta.changedBrokers.add(record.data.brokerId);
        return;
      case MetadataRecordType.UnregisterBrokerRecord:
        if (this.brokerMap.get(record.data.brokerId)?.epoch === record.data.brokerEpoch) this.brokerMap.delete(record.data.brokerId);
        delta.changedBrokers.add(record.data.brokerId);
        return;
      case MetadataRecordType.FenceBrokerRecord:
        return this.changeBroker(record.data.id, record.data.epoch, { fenced: 1, inControlledShutdown: 0 }, delta);
      case MetadataRecordType.UnfenceBrokerRecord:
        return this.changeBroker(record.data.id, record.data.epoch, { fenced: -1, inControlledShutdown: 0 }, delta);
      case MetadataRecordType.BrokerRegistrationChangeRecord:
        return this.changeBroker(record.data.brokerId, record.data.brokerEpoch, record.data, delta);
      case MetadataRecordType.ProducerIdsRecord:
        if (record.data.nextProducerId > this.nextPid) this.nextPid = record.data.nextProducerId;
        delta.producerIdsChanged = true;
        return;
      case MetadataRecordType.FeatureLevelRecord:
        if (record.data.featureLevel === 0) this.featureMap.delete(record.data.name);
        else this.featureMap.set(record.data.name, record.data.featureLevel);
        delta.featuresChanged = true;
        return;
      default:
        this.securityImage.apply(record, delta);
        return;
    }
  }

  private addTopic(name: string, id: string, delta: MetadataDelta): void {
    if (this.byId.has(id)) return;
    const t: MutableTopic = { name, id, partitions: [] };
    this.byName.set(name, t);
    this.byId.set(id, t);
    this.byCollisionKey.set(collisionKey(name), name);
    delta.createdTopics.add(id);
  }

  private putPartition(p: PartitionRegistration, delta: MetadataDelta): void {
    const t = this.byId.get(p.topicId);
    if (!t) return;
    if (t.partitions[p.partitionId] === undefined) this.partitionTotal++;
    t.partitions[p.partitionId] = p;
    delta.partitionChanged(p.topicId, p.partitionId);
  }

  private removeTopic(id: string, delta: MetadataDelta): void {
    const t = this.byId.get(id);
    if (!t) return;
    this.byId.delete(id);
    this.byName.delete(t.name);
    if (this.byCollisionKey.get(collisionKey(t.name)) === t.name) this.byCollisionKey.delete(collisionKey(t.name));
    this.partitionTotal -= t.partitions.length;
    // As Kafka's ConfigurationsDelta does: a removed topic's config overrides go with it.
    if (this.configMap.delete(resourceKey(ConfigResourceType.TOPIC, t.name))) delta.changedTopicConfigs.add(t.name);
    delta.topicRemoved(t);
  }

  private setConfig(type: number, name: string, key: string, value: string | null, delta: MetadataDelta): void {
    const rk = resourceKey(type, name);
    let m = this.configMap.get(rk);
    if (value === null) {
      if (!m?.delete(key)) return;
      if (m.size === 0) this.configMap.delete(rk);
    } else {
      if (!m) this.configMap.set(rk, (m = new Map()));
      m.set(key, value);
    }
    if (type === ConfigResourceType.TOPIC) delta.changedTopicConfigs.add(name);
    else if (type === ConfigResourceType.BROKER) delta.brokerConfigsChanged = true;
  }

  private changeBroker(id: number, epoch: bigint, change: { fenced: number; inControlledShutdown: number; logDirs?: readonly string[] }, delta: MetadataDelta): void {
    const b = this.brokerMap.get(id);
    if (!b || b.epoch !== epoch) return;
    this.brokerMap.set(id, withRegistrationChange(b, change));
    delta.changedBrokers.add(id);
  }

  // ---- topics ----

  topic(name: string): TopicView | undefined {
    const t = this.byName.get(name);
    return t && view(t);
  }

  topicById(id: string): TopicView | undefined {
    const t = this.byId.get(id);
    return t && view(t);
  }

  /** Every topic, in creation order. */
  *topics(): IterableIterator<TopicView> {
    for (const t of this.byName.values()) yield view(t);
  }

  get topicCount(): number {
    return this.byName.size;
  }

  get partitionCount(): number {
    return this.partitionTotal;
  }

  /** The existing topic whose name collides with `name` ('.' vs '_'), if any. */
  collidingTopic(name: string): string | undefined {
    const other = this.byCollisionKey.get(collisionKey(name));
    return other !== undefined && other !== name ? other : undefined;
  }

  partition(topic: string, partitionId: number): PartitionRegistration | undefined {
    return this.byName.get(topic)?.partitions[partitionId];
  }

  partitionById(topicId: string, partitionId: number): PartitionRegistration | undefined {
    return this.byId.get(topicId)?.partitions[partitionId];
  }

  // ---- configs ----

  /** A resource's config overrides, name → value (a copy). */
  configs(type: number, name: string): Record<string, string> {
    return Object.fromEntries(this.configMap.get(resourceKey(type, name)) ?? []);
  }

  topicConfigs(name: string): Record<string, string> {
    return this.configs(ConfigResourceType.TOPIC, name);
  }

  /** Every resource with overrides: [type, name, overrides]. */
  *configResources(): IterableIterator<[number, string, ReadonlyMap<string, string>]> {
    for (const [rk, m] of this.configMap) {
      const colon = rk.indexOf(':');
      yield [Number(rk.slice(0, colon)), rk.slice(colon + 1), m];
    }
  }

  // ---- brokers, producer ids, features ----

  broker(id: number): BrokerRegistration | undefined {
    return this.brokerMap.get(id);
  }

  /** Every registered broker, by id. */
  brokers(): BrokerRegistration[] {
    return [...this.brokerMap.values()].sort((a, b) => a.id - b.id);
  }

  /** Registered brokers that are not fenced (Kafka's alive brokers), by id. */
  unfencedBrokers(): BrokerRegistration[] {
    return this.brokers().filter((b) => !b.fenced);
  }

  /** The first producer id not yet handed out in a block. */
  get nextProducerId(): bigint {
    return this.nextPid;
  }

  feature(name: string): number | undefined {
    return this.featureMap.get(name);
  }

  features(): ReadonlyMap<string, number> {
    return this.featureMap;
  }

  /** Empties the image (before a snapshot is loaded into it). */
  reset(): void {
    this.byName.clear();
    this.byId.clear();
    this.byCollisionKey.clear();
    this.brokerMap.clear();
    this.configMap.clear();
    this.featureMap.clear();
    this.nextPid = 0n;
    this.appliedOffset = 0;
    this.partitionTotal = 0;
  }

  /** A copy that shares nothing mutable (the controller's working image starts as a copy of the committed one). */
  /** ACLs, SCRAM credentials and client quotas. */
  get security(): SecurityImage {
    return this.securityImage;
  }

  clone(): MetadataImage {
    const c = new MetadataImage();
    for (const t of this.byName.values()) {
      const copy: MutableTopic = { name: t.name, id: t.id, partitions: [...t.partitions] };
      c.byName.set(t.name, copy);
      c.byId.set(t.id, copy);
    }
    for (const [k, v] of this.byCollisionKey) c.byCollisionKey.set(k, v);
    for (const [k, v] of this.brokerMap) c.brokerMap.set(k, v);
    for (const [k, v] of this.configMap) c.configMap.set(k, new Map(v));
    for (const [k, v] of this.featureMap) c.featureMap.set(k, v);
    c.nextPid = this.nextPid;
    c.appliedOffset = this.appliedOffset;
    c.partitionTotal = this.partitionTotal;
    c.securityImage = this.securityImage.clone();
    return c;
  }
}

function resourceKey(type: number, name: string): string {
  return `${type}:${name}`;
}

function view(t: MutableTopic): TopicView {
  return { name: t.name, id: t.id, partitions: t.partitions, partitionCount: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0 };
}
