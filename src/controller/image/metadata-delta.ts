/**
 * What one or more committed batches changed in the image (Kafka's MetadataDelta, reduced to the
 * keys that changed: the image itself holds the new values). Publishers read it to act on just
 * those changes: a broker creates the logs of new partitions, takes new leadership, deletes the
 * logs of removed topics, applies new topic configs and run-time broker configs.
 */
import type { TopicImage } from './image-types.js';

export class MetadataDelta {
  /** Topics created, by id. */
  readonly createdTopics = new Set<string>();
  /** Topics removed, as they were before removal (their partitions included). */
  readonly removedTopics = new Map<string, TopicImage>();
  /** Partitions created or changed: topic id → partition ids. */
  readonly changedPartitions = new Map<string, Set<number>>();
  /** Topics (by name) whose config overrides changed. */
  readonly changedTopicConfigs = new Set<string>();
  /** Brokers registered, unregistered, fenced, unfenced or otherwise changed. */
  readonly changedBrokers = new Set<number>();
  /** Run-time broker configs (BROKER ConfigRecords, a broker's or the cluster-wide default) changed. */
  brokerConfigsChanged = false;
  producerIdsChanged = false;
  featuresChanged = false;
  /** ACLs, SCRAM credentials or client quotas changed (security-image.ts). */
  aclsChanged = false;
  scramChanged = false;
  quotasChanged = false;

  partitionChanged(topicId: string, partitionId: number): void {
    let set = this.changedPartitions.get(topicId);
    if (!set) this.changedPartitions.set(topicId, (set = new Set()));
    set.add(partitionId);
  }

  topicRemoved(topic: TopicImage): void {
    this.createdTopics.delete(topic.id);
    this.changedPartitions.delete(topic.id);
    this.removedTopics.set(topic.id, topic);
  }

  get isEmpty(): boolean {
    return (
      this.createdTopics.size === 0 &&
      this.removedTopics.size === 0 &&
      this.changedPartitions.size === 0 &&
      this.changedTopicConfigs.size === 0 &&
      this.changedBrokers.size === 0 &&
      !this.brokerConfigsChanged &&
      !this.producerIdsChanged &&
      !this.featuresChanged &&
      !this.aclsChanged &&
      !this.scramChanged &&
      !this.quotasChanged
    );
  }
}
