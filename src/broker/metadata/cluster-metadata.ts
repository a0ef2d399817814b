/**
 * The cluster's metadata on a single node: the cluster id, and every topic with its id,
 * partition count and config overrides. Kept in memory, persisted as one JSON snapshot written
 * atomically (temp file, fsync, rename, fsync of the directory) on every change. The Raft
 * metadata quorum of the roadmap replaces this file with a replicated log.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ZERO_UUID } from '../../protocol/primitives/codec-support.js';
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
export const METADATA_DIR = '__samsa_metadata';

export function newUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
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
    private readonly dir: string,
    readonly clusterId: string,
    topics: TopicMetadata[],
    private nextProducerId: bigint,
  ) {
    for (const t of topics) this.index(t);
  }

  /** Loads the snapshot from `<dataDir>/__samsa_metadata/`, or starts a new cluster. */
  static async open(dataDir: string): Promise<ClusterMetadata> {
    const dir = join(dataDir, METADATA_DIR);
    await mkdir(dir, { recursive: true });
    let snap: Snapshot;
    try {
      snap = JSON.parse(await readFile(join(dir, FILE), 'utf8')) as Snapshot;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      snap = { version: 1, clusterId: randomBytes(16).toString('base64url'), topics: [] };
    }
    const m = new ClusterMetadata(dir, snap.clusterId, snap.topics, BigInt(snap.nextProducerId ?? 0));
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

  async createTopic(t: Omit<TopicMetadata, 'id'>): Promise<TopicMetadata> {
    const topic = { ...t, id: newUuid() };
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
    this.writing = this.writing.catch(() => {}).then(() => writeAtomically(this.dir, FILE, text));
    return this.writing;
  }
}

async function writeAtomically(dir: string, file: string, text: string): Promise<void> {
  const tmp = join(dir, `${file}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, file));
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
