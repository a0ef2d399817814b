/**
 * The cluster's metadata on a single node: the cluster id, and every topic with its id,
 * partition count and config overrides. Kept in memory, persisted through the Disk as one JSON
 * snapshot written atomically (temp file, fsync, rename, fsync of the directory) on every change.
 * The Raft metadata quorum of the roadmap replaces this file with a replicated log.
 */
import { join } from 'node:path';
import type { Random } from '../../common/random.js';
import { ZERO_UUID } from '../../protocol/primitives/codec-support.js';
import type { Disk } from '../../storage/disk.js';
import { readWholeFile, writeFileAtomically } from '../../storage/disk-files.js';
import type { LeaderAndIsr } from '../partitions/partition.js';
import { collisionKey } from './topic-name.js';

export interface TopicMetadata {
  name: string;
  /** Kafka's topic id: 16 random bytes in URL-safe base64. */
  id: string;
  partitions: number;
  replicationFactor: number;
  /** Config overrides in Kafka's string form (topic-level configs only). */
  configs: Record<string, string>;
}

interface Snapshot {
  version: 1;
  clusterId: string;
  topics: TopicMetadata[];
  /** The first producer id not yet handed out in a block (absent before Samsa had producer ids). */
  nextProducerId?: string;
}

const FILE = 'cluster-metadata.json';

/** What the metadata takes from the broker's world. */
export interface MetadataWorld {
  disk: Disk;
  random: Random;
  /** This node's id (the leader of every partition on a single node). */
  nodeId: number;
}
export const METADATA_DIR = '__samsa_metadata';

/** 16 random bytes in URL-safe base64, never the zero UUID (Kafka's Uuid.randomUuid). */
export function newUuid(random: Random): string {
  for (;;) {
    const bytes = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) bytes[i] = Math.floor(random() * 256);
    const id = bytes.toString('base64url');
    if (id !== ZERO_UUID) return id;
  }
}

export class ClusterMetadata {
  private readonly byName = new Map<string, TopicMetadata>();
  private readonly byId = new Map<string, TopicMetadata>();
  private readonly byCollisionKey = new Map<string, string>();
  /** Serialises snapshot writes so the file always ends with the newest state. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly world: MetadataWorld,
    private readonly dir: string,
    readonly clusterId: string,
    topics: TopicMetadata[],
    private nextProducerId: bigint,
  ) {
    for (const t of topics) this.index(t);
  }

  /** Loads the snapshot from `<dataDir>/__samsa_metadata/`, or starts a new cluster. */
  static async open(dataDir: string, world: MetadataWorld): Promise<ClusterMetadata> {
    const dir = join(dataDir, METADATA_DIR);
    await world.disk.mkdir(dir);
    const text = await readWholeFile(world.disk, join(dir, FILE));
    const snap: Snapshot = text ? (JSON.parse(text.toString('utf8')) as Snapshot) : { version: 1, clusterId: newUuid(world.random), topics: [] };
    const m = new ClusterMetadata(world, dir, snap.clusterId, snap.topics, BigInt(snap.nextProducerId ?? 0));
    await m.persist();
    return m;
  }

  private index(t: TopicMetadata): void {
    this.byName.set(t.name, t);
    this.byId.set(t.id, t);
    this.byCollisionKey.set(collisionKey(t.name), t.name);
  }

  topic(name: string): TopicMetadata | undefined {
    return this.byName.get(name);
  }

  topicById(id: string): TopicMetadata | undefined {
    return this.byId.get(id);
  }

  topics(): IterableIterator<TopicMetadata> {
    return this.byName.values();
  }

  /** The existing topic whose name collides with `name` ('.' vs '_'), if any. */
  collidingTopic(name: string): string | undefined {
    const other = this.byCollisionKey.get(collisionKey(name));
    return other !== undefined && other !== name ? other : undefined;
  }

  /** Who leads a partition: on a single node, this node, at leader epoch 0, as the only replica. */
  leaderAndIsr(_topic: string, _partition: number): LeaderAndIsr {
    const id = this.world.nodeId;
    return { leader: id, leaderEpoch: 0, replicas: [id], isr: [id] };
  }

  async createTopic(t: Omit<TopicMetadata, 'id'>): Promise<TopicMetadata> {
    const topic = { ...t, id: newUuid(this.world.random) };
    this.index(topic);
    await this.persist();
    return topic;
  }

  async deleteTopic(name: string): Promise<void> {
    const t = this.byName.get(name);
    if (!t) return;
    this.byName.delete(name);
    this.byId.delete(t.id);
    this.byCollisionKey.delete(collisionKey(name));
    await this.persist();
  }

  /** Reserves `size` producer ids (KRaft's ProducerIdsRecord); resolves with the first once persisted. */
  async allocateProducerIds(size: number): Promise<bigint> {
    const first = this.nextProducerId;
    this.nextProducerId += BigInt(size);
    await this.persist();
    return first;
  }

  async updateTopic(name: string, change: Partial<Pick<TopicMetadata, 'partitions' | 'configs'>>): Promise<void> {
    const t = this.byName.get(name);
    if (!t) return;
    Object.assign(t, change);
    await this.persist();
  }

  private persist(): Promise<void> {
    const snap: Snapshot = { version: 1, clusterId: this.clusterId, topics: [...this.byName.values()], nextProducerId: String(this.nextProducerId) };
    const text = JSON.stringify(snap, null, 1);
    // A failed write must not poison the ones after it: each waits for the previous to settle.
    this.writing = this.writing.catch(() => {}).then(() => writeFileAtomically(this.world.disk, join(this.dir, FILE), Buffer.from(text)));
    return this.writing;
  }
}
