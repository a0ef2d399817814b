/**
 * A node's storage at start: its directories formatted (the first start formats them, as
 * `samsa storage format` would), the cluster id they belong to, the directory ids brokers
 * register, and on a controller the bootstrap records of `bootstrap.checkpoint`. A data directory
 * from before the metadata log (with `__samsa_metadata/cluster-metadata.json`) keeps its cluster
 * id, topics, configs and producer ids: the first start migrates them into the bootstrap records.
 */
import type { Logger } from 'pino';
import type { Random } from '../../common/random.js';
import { newUuid } from '../../common/uuid.js';
import { METADATA_VERSION_4_0 } from '../../controller/controller-config.js';
import type { MetadataRecordInput } from '../../protocol/metadata/index.js';
import type { Disk } from '../../storage/disk.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { MIGRATED_SUFFIX, readLegacyMetadata } from './json-metadata-migration.js';
import type { KRaftSettings } from './kraft-settings.js';
import { clusterIdFromVoters, formatDirectories, readBootstrapRecords, readFormat } from './storage-format.js';

export interface NodeStorage {
  readonly clusterId: string;
  /** Directory ids of the log directories (what a broker registers). */
  readonly directoryIds: readonly string[];
  /** What a new cluster's first active controller writes (controllers only). */
  readonly bootstrapRecords: readonly MetadataRecordInput[];
}

/** Every directory the node writes to: `log.dirs` and the metadata log directory. */
export function nodeDirectories(config: BrokerConfig, settings: KRaftSettings): string[] {
  const logDirs = config.str('log.dirs').split(',').map((d) => d.trim()).filter((d) => d !== '');
  return [...new Set([...logDirs, settings.metadataLogDir])];
}

export async function prepareNodeStorage(disk: Disk, random: Random, config: BrokerConfig, settings: KRaftSettings, dirs: readonly string[], log: Logger): Promise<NodeStorage> {
  const { formatted, missing } = await readFormat(disk, dirs, settings.nodeId);
  let clusterId = formatted[0]?.clusterId;
  const legacy = formatted.length === 0 && settings.isController ? await readLegacyMetadata(disk, config.dataDir, settings.nodeId) : undefined;
  clusterId ??= legacy?.clusterId ?? (settings.standalone ? newUuid(random) : clusterIdFromVoters(settings.voters));
  const written = missing.length === 0 ? [] : await formatDirectories(
    disk,
    random,
    { nodeId: settings.nodeId, dirs, metadataLogDir: settings.metadataLogDir, clusterId, bootstrapRecords: legacy?.records ?? [], metadataVersion: METADATA_VERSION_4_0, writeBootstrap: settings.isController && formatted.length === 0 },
    missing,
  );
  if (missing.length > 0) log.info({ clusterId, dirs: missing }, 'formatted storage');
  if (legacy) {
    // The bootstrap records now hold it all; the file is kept, renamed, for whoever wants to look.
    await disk.rename(legacy.path, legacy.path + MIGRATED_SUFFIX);
    log.info({ topics: legacy.topics, from: legacy.path }, 'migrating the cluster metadata into the metadata log');
  }
  return {
    clusterId,
    directoryIds: [...formatted, ...written].map((m) => m.directoryId),
    bootstrapRecords: settings.isController ? ((await readBootstrapRecords(disk, settings.metadataLogDir)) ?? []).filter((r) => !(r.apiKey === 12 && r.data.name === 'metadata.version')) : [],
  };
}
