/**
 * Formatting a node's storage, Kafka's `kafka-storage.sh format` (StorageTool): every log
 * directory gets a meta.properties with the cluster id, the node id and its own directory id, and
 * a controller's metadata log directory gets `bootstrap.checkpoint`, the records a new cluster's
 * first active controller writes (the metadata.version feature level, and what a migration
 * brings). `samsa storage format` does it explicitly; a node whose directories are not formatted
 * formats them at its first start.
 *
 * The cluster id, when not given: a standalone node's is random (or the one of the legacy JSON
 * metadata it migrates); a cluster node's is derived from `controller.quorum.voters`, so that the
 * nodes of one cluster, each formatting itself, agree on it without a separate step.
 */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Random } from '../../common/random.js';
import { newUuid } from '../../common/uuid.js';
import { decodeSnapshot, encodeSnapshot } from '../../controller/raft/snapshots.js';
import type { VoterEndpoint } from '../../controller/raft/quorum-config.js';
import { type MetadataRecordInput, MetadataRecordType } from '../../protocol/metadata/index.js';
import { decodeMetadataRecord, encodeMetadataRecord } from '../../protocol/metadata-record-serde.js';
import type { Disk } from '../../storage/disk.js';
import { readWholeFile, writeFileAtomically } from '../../storage/disk-files.js';
import { type MetaProperties, MetaPropertiesError, readMetaProperties, writeMetaProperties } from './meta-properties.js';

export const BOOTSTRAP_CHECKPOINT_FILE = 'bootstrap.checkpoint';
const BOOTSTRAP_ID = { offset: 0, epoch: 0 };

export interface FormatOptions {
  readonly nodeId: number;
  /** Every log directory (`log.dirs`) and the metadata log directory. */
  readonly dirs: readonly string[];
  readonly metadataLogDir: string;
  readonly clusterId: string;
  /** Records for bootstrap.checkpoint (controllers), after the metadata.version feature level. */
  readonly bootstrapRecords: readonly MetadataRecordInput[];
  readonly metadataVersion: number;
  readonly writeBootstrap: boolean;
}

/** The state of a node's directories: formatted (all for one cluster and this node), or not at all. */
export async function readFormat(disk: Disk, dirs: readonly string[], nodeId: number): Promise<{ formatted: MetaProperties[]; missing: string[] }> {
  const formatted: MetaProperties[] = [];
  const missing: string[] = [];
  for (const dir of dirs) {
    const m = await readMetaProperties(disk, dir);
    if (!m) {
      missing.push(dir);
      continue;
    }
    if (m.nodeId !== nodeId) throw new MetaPropertiesError(`Stored node id ${m.nodeId} in ${dir} doesn't match the configured node.id ${nodeId}`);
    if (formatted.length > 0 && formatted[0]!.clusterId !== m.clusterId) {
      throw new MetaPropertiesError(`${dir} belongs to cluster ${m.clusterId}, ${formatted[0]!.clusterId} is stored elsewhere`);
    }
    formatted.push(m);
  }
  return { formatted, missing };
}

/** Formats the directories not formatted yet (all of `o.dirs` when none is); returns what it wrote. */
export async function formatDirectories(disk: Disk, random: Random, o: FormatOptions, only: readonly string[] = o.dirs): Promise<MetaProperties[]> {
  const written: MetaProperties[] = [];
  for (const dir of only) {
    const parent = dirname(dir);
    if (!(await disk.stat(dir))) {
      await disk.mkdir(dir);
      await disk.syncDir(parent);
    }
    const m = { clusterId: o.clusterId, nodeId: o.nodeId, directoryId: newUuid(random) };
    await writeMetaProperties(disk, dir, m);
    written.push(m);
  }
  if (o.writeBootstrap && only.includes(o.metadataLogDir)) {
    const records = [{ apiKey: MetadataRecordType.FeatureLevelRecord, data: { name: 'metadata.version', featureLevel: o.metadataVersion } } as MetadataRecordInput, ...o.bootstrapRecords];
    await writeFileAtomically(disk, join(o.metadataLogDir, BOOTSTRAP_CHECKPOINT_FILE), encodeSnapshot(BOOTSTRAP_ID, records.map(encodeMetadataRecord), 0, 0));
  }
  return written;
}

/** The records of `<metadata log dir>/bootstrap.checkpoint`, or undefined when there is none. */
export async function readBootstrapRecords(disk: Disk, metadataLogDir: string): Promise<MetadataRecordInput[] | undefined> {
  const bytes = await readWholeFile(disk, join(metadataLogDir, BOOTSTRAP_CHECKPOINT_FILE));
  if (!bytes) return undefined;
  return decodeSnapshot(BOOTSTRAP_ID, bytes).records.map((r) => decodeMetadataRecord(r) as MetadataRecordInput);
}

/** A cluster id all nodes with the same `controller.quorum.voters` derive alike. */
export function clusterIdFromVoters(voters: readonly VoterEndpoint[]): string {
  const text = [...voters].sort((a, b) => a.id - b.id).map((v) => `${v.id}@${v.host.toLowerCase()}:${v.port}`).join(',');
  for (let salt = 0; ; salt++) {
    const id = createHash('sha256').update(`samsa-cluster:${salt}:${text}`).digest().subarray(0, 16).toString('base64url');
    if (!id.startsWith('-') && !/^A{21}[AQ]$/.test(id)) return id;
  }
}
