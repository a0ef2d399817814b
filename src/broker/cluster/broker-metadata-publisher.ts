/**
 * Makes this broker's partitions follow the metadata image (Kafka's BrokerMetadataPublisher and
 * ReplicaManager.applyDelta): a partition of which this broker is a replica is opened (its log
 * found at start-up or created) with the leadership the image gives it, and takes every later
 * leadership change; a partition whose topic is removed, or of which this broker is no longer a
 * replica, is deleted; topic config changes reach the logs, and so do changes of the run-time
 * broker configs that topics default to. A broker holds a Partition for every
 * partition it is a replica of, leader or follower (the replica manager's replication hooks start
 * and move the follower's fetching, broker/replication/).
 *
 * The loader calls it synchronously after each commit; the work (creating and deleting logs)
 * queues here and runs in commit order. What each step needs is taken from the image when the
 * update arrives (partition registrations are immutable values), since the image moves on.
 * `whenPublished` waits until the work for an offset, or a condition on the image, is done.
 */
import type { Logger } from 'pino';
import type { PartitionRegistration, TopicImage } from '../../controller/image/image-types.js';
import type { MetadataImage } from '../../controller/image/metadata-image.js';
import type { MetadataPublisher, MetadataUpdate } from '../../controller/image/metadata-loader.js';
import type { LogConfig } from '../../log/index.js';
import type { LeaderAndIsr } from '../partitions/partition.js';
import type { ReplicaManager } from '../partitions/replica-manager.js';
import { tpKey } from '../partitions/topic-partition.js';

/** What the publisher needs of the broker. */
export interface PublisherTarget {
  readonly nodeId: number;
  readonly replicaManager: ReplicaManager;
  /** A topic's effective log config now (after its overrides changed). */
  logConfig(topic: string): LogConfig;
  /** A topic's overrides changed: drop what was derived from the old ones. */
  topicConfigChanged(topic: string): void;
  /** Every partition log on disk (for stray logs: partitions the metadata no longer has here). */
  allLogs(): Iterable<{ topic: string; partition: number }>;
  /**
   * The run-time broker configs in the image changed (or may have: start-up, a snapshot): apply
   * them. `topicDefaults`: every topic's effective config changed; `then`: work to queue (a
   * certificate reload), done before the update counts as published.
   */
  brokerConfigsChanged?(image: MetadataImage): { topicDefaults: boolean; then?: () => Promise<void> };
  /** This broker became or stopped being the leader of a partition (the group coordinator follows __consumer_offsets). */
  leadershipChanged?(topic: string, partition: number, isLeader: boolean): void;
  /** Topics were deleted (the group coordinator drops their offsets). */
  topicsDeleted?(names: ReadonlySet<string>): void;
}

/** One partition this broker must hold, as the image had it. */
interface Held {
  readonly topic: string;
  readonly reg: PartitionRegistration;
}

interface Waiter {
  /** `removedIds`: the topics the update just published removed. */
  readonly done: (removedIds: ReadonlySet<string>) => boolean;
  readonly resolve: () => void;
}

const NONE: ReadonlySet<string> = new Set();

const CREATE_CONCURRENCY = 16;

export class BrokerMetadataPublisher implements MetadataPublisher {
  private queue: Promise<void> = Promise.resolve();
  /** The offset whose work has been done. */
  private publishedOffset = 0;
  private waiters: Waiter[] = [];

  constructor(
    private readonly target: PublisherTarget,
    private readonly image: MetadataImage,
    private readonly log: Logger,
  ) {}

  get offset(): number {
    return this.publishedOffset;
  }

  onMetadataUpdate(u: MetadataUpdate): void {
    const work = u.fromSnapshot ? this.fullReconcile(u.image) : this.applyDelta(u);
    const offset = u.offset;
    const removedIds = u.fromSnapshot || u.delta.removedTopics.size === 0 ? NONE : new Set(u.delta.removedTopics.keys());
    this.queue = this.queue
      .then(work)
      .catch((err: unknown) => {
        this.log.error({ err, offset }, 'could not apply metadata to the partitions');
      })
      .then(() => {
        this.publishedOffset = Math.max(this.publishedOffset, offset);
        this.wake(removedIds);
      });
  }

  /** Resolves once the partitions reflect the image at `offset` (or later). */
  whenPublished(offset: number): Promise<void> {
    return this.when(() => this.publishedOffset >= offset);
  }

  /** Resolves once `condition` holds of the image and the partitions reflect it. */
  whenVisible(condition: (image: MetadataImage) => boolean): Promise<void> {
    return this.when(() => condition(this.image) && this.publishedOffset >= this.image.appliedOffset);
  }

  /**
   * Resolves once the topic `topicId` is in the image and the partitions reflect it, or once its
   * removal is published: a topic deleted as soon as it was created may never be seen in the
   * image (its deletion is applied to it before the creation's work is done).
   */
  whenTopicVisible(topicId: string): Promise<void> {
    return this.when((removedIds) => removedIds.has(topicId) || (this.image.topicById(topicId) !== undefined && this.publishedOffset >= this.image.appliedOffset));
  }

  /** Resolves once all queued work is done. */
  idle(): Promise<void> {
    return this.queue;
  }

  private when(done: (removedIds: ReadonlySet<string>) => boolean): Promise<void> {
    if (done(NONE)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ done, resolve }));
  }

  private wake(removedIds: ReadonlySet<string>): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.done(removedIds));
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** Everything may have changed (start-up, a snapshot): hold what the image says, drop the rest. */
  private fullReconcile(image: MetadataImage): () => Promise<void> {
    const me = this.target.nodeId;
    const dynamic = this.target.brokerConfigsChanged?.(image);
    if (dynamic?.topicDefaults) for (const t of image.topics()) this.target.topicConfigChanged(t.name);
    const held: Held[] = [];
    const topics = new Map<string, string>();
    for (const t of image.topics()) {
      topics.set(t.name, t.id);
      for (const reg of t.partitions) if (reg.replicas.includes(me)) held.push({ topic: t.name, reg });
    }
    return async () => {
      await dynamic?.then?.();
      for (const name of new Set(held.map((h) => h.topic))) this.target.replicaManager.updateConfig(name, this.target.logConfig(name));
      await this.hold(held);
      const wanted = new Set(held.map((h) => tpKey(h.topic, h.reg.partitionId)));
      const rm = this.target.replicaManager;
      for (const p of [...rm.allPartitions()]) {
        if (!wanted.has(p.key) || topics.get(p.topic) !== p.topicId) await this.remove(p.topic, p.partition);
      }
      for (const { topic, partition } of [...this.target.allLogs()]) {
        if (!wanted.has(tpKey(topic, partition))) await rm.deleteStrayLog(topic, partition);
      }
    };
  }

  /** Just what one commit changed. */
  private applyDelta(u: MetadataUpdate): () => Promise<void> {
    const me = this.target.nodeId;
    const removed: TopicImage[] = [...u.delta.removedTopics.values()];
    const held: Held[] = [];
    const dropped: { topic: string; partition: number }[] = [];
    for (const [topicId, ids] of u.delta.changedPartitions) {
      const t = u.image.topicById(topicId);
      if (!t) continue;
      for (const id of ids) {
        const reg = t.partitions[id]!;
        if (reg.replicas.includes(me)) held.push({ topic: t.name, reg });
        else dropped.push({ topic: t.name, partition: id });
      }
    }
    const dynamic = u.delta.brokerConfigsChanged ? this.target.brokerConfigsChanged?.(u.image) : undefined;
    const configs = new Set([...u.delta.changedTopicConfigs, ...removed.map((t) => t.name), ...(dynamic?.topicDefaults ? [...u.image.topics()].map((t) => t.name) : [])]);
    // Invalidated at once: requests answered from now on must not use a removed topic's overrides.
    for (const name of configs) this.target.topicConfigChanged(name);
    if (removed.length === 0 && held.length === 0 && dropped.length === 0 && configs.size === 0 && !dynamic?.then) return async () => undefined;
    return async () => {
      await dynamic?.then?.();
      const rm = this.target.replicaManager;
      for (const t of removed) for (const p of t.partitions) if (rm.getPartition(t.name, p.partitionId)?.topicId === t.id) await this.remove(t.name, p.partitionId);
      // Not a name created again meanwhile: its offsets are the new topic's.
      const deleted = new Set(removed.map((t) => t.name).filter((name) => !this.image.topic(name)));
      if (deleted.size > 0) this.target.topicsDeleted?.(deleted);
      for (const name of configs) if (this.image.topic(name)) rm.updateConfig(name, this.target.logConfig(name));
      await this.hold(held);
      for (const d of dropped) if (rm.getPartition(d.topic, d.partition)) await this.remove(d.topic, d.partition);
    };
  }

  private async remove(topic: string, partition: number): Promise<void> {
    const rm = this.target.replicaManager;
    if (rm.getPartition(topic, partition)?.isLeader) this.target.leadershipChanged?.(topic, partition, false);
    await rm.removePartition(topic, partition);
  }

  /** Opens (or creates) and updates the partitions, a few logs at a time. */
  private async hold(held: readonly Held[]): Promise<void> {
    const rm = this.target.replicaManager;
    const configs = new Map<string, LogConfig>();
    let next = 0;
    const worker = async () => {
      while (next < held.length) {
        const { topic, reg } = held[next++]!;
        let config = configs.get(topic);
        if (!config) configs.set(topic, (config = this.target.logConfig(topic)));
        const before = rm.getPartition(topic, reg.partitionId);
        const wasLeader = before?.topicId === reg.topicId && before.isLeader;
        const p = await rm.makePartition(topic, reg.topicId, reg.partitionId, leaderAndIsr(reg), config);
        if (p.isLeader !== wasLeader || before !== p) this.target.leadershipChanged?.(topic, reg.partitionId, p.isLeader);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CREATE_CONCURRENCY, held.length) }, worker));
  }
}

export function leaderAndIsr(reg: PartitionRegistration): LeaderAndIsr {
  return { leader: reg.leader, leaderEpoch: reg.leaderEpoch, replicas: reg.replicas, isr: reg.isr, partitionEpoch: reg.partitionEpoch };
}
