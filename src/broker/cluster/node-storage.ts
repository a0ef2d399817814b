/**
 * A node's storage: its directories formatted (the first start formats them, as `samsa storage
 * format` would), the cluster id they belong to, the directory ids brokers register, and on a
 * controller the bootstrap records of `bootstrap.checkpoint`. A data directory from before the
 * metadata log (with `__samsa_metadata/cluster-metadata.json`) keeps its cluster id, topics,
 * configs and producer ids: formatting it migrates them into the bootstrap records.
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Random } from '../../common/random.js';
import { newUuid } from '../../common/uuid.js';
import { METADATA_VERSION_4_0 } from '../../controller/controller-config.js';
import type { MetadataRecordInput } from '../../protocol/metadata/index.js';
import type { DirectoryLock, Disk } from '../../storage/disk.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { MIGRATED_SUFFIX, readLegacyMetadata } from './json-metadata-migration.js';
import type { KRaftSettings } from './kraft-settings.js';
import { MetaPropertiesError } from './meta-properties.js';
import { clusterIdFromVoters, formatDirectories, readBootstrapRecords, readFormat } from './storage-format.js';

export interface NodeStorage {
  readonly clusterId: string;
  /** Directory ids of the log directories (what a broker registers). */
  readonly directoryIds: readonly string[];
  /** What a new cluster's first active controller writes (controllers only). */
  readonly bootstrapRecords: readonly MetadataRecordInput[];
}

/** Every directory the node writes to, absolute: `log.dirs` and the metadata log directory. */
export function nodeDirectories(config: BrokerConfig, settings: KRaftSettings): string[] {
  const logDirs = config.str('log.dirs').split(',').map((d) => d.trim()).filter((d) => d !== '');
  return [...new Set([...logDirs, settings.metadataLogDir].map((d) => resolve(d)))];
}

export interface FormatResult {
  readonly clusterId: string;
  readonly formatted: readonly string[];
  /** Directories formatted before, left as they were. */
  readonly alreadyFormatted: readonly string[];
  readonly directoryIds: readonly string[];
  readonly migratedTopics: number;
}

/**
 * Formats the directories that are not (Kafka's StorageTool): with `explicit`, a directory
 * formatted already is an error unless `ignoreFormatted`, and `clusterId` must match it.
 */
export async function formatStorage(
  disk: Disk,
  random: Random,
  config: BrokerConfig,
  settings: KRaftSettings,
  opts: { clusterId?: string; explicit?: boolean; ignoreFormatted?: boolean; log?: Logger } = {},
): Promise<FormatResult> {
  const dirs = nodeDirectories(config, settings);
  const { formatted, missing } = await readFormat(disk, dirs, settings.nodeId);
  const already = dirs.filter((d) => !missing.includes(d));
  if (opts.explicit && already.length > 0 && !opts.ignoreFormatted) {
    throw new MetaPropertiesError(`Log directory ${already[0]} is already formatted. Use --ignore-formatted to ignore this directory and format the others.`);
  }
  const stored = formatted[0]?.clusterId;
  if (opts.clusterId && stored && opts.clusterId !== stored) throw new MetaPropertiesError(`the directories belong to cluster ${stored}, not ${opts.clusterId}`);
  const legacy = formatted.length === 0 && settings.isController ? await readLegacyMetadata(disk, config.dataDir, settings.nodeId) : undefined;
  const clusterId = stored ?? opts.clusterId ?? legacy?.clusterId ?? (settings.standalone ? newUuid(random) : clusterIdFromVoters(settings.voters));
  const written =
    missing.length === 0
      ? []
      : await formatDirectories(
          disk,
          random,
          { nodeId: settings.nodeId, dirs, metadataLogDir: resolve(settings.metadataLogDir), clusterId, bootstrapRecords: legacy?.records ?? [], metadataVersion: METADATA_VERSION_4_0, writeBootstrap: settings.isController && formatted.length === 0 },
          missing,
        );
  if (missing.length > 0) opts.log?.info({ clusterId, dirs: missing }, 'formatted storage');
  if (legacy) {
    // The bootstrap records now hold it all; the file is kept, renamed, for whoever wants to look.
    await disk.rename(legacy.path, legacy.path + MIGRATED_SUFFIX);
    opts.log?.info({ topics: legacy.topics, from: legacy.path }, 'migrating the cluster metadata into the metadata log');
  }
  return { clusterId, formatted: missing, alreadyFormatted: already, directoryIds: [...formatted, ...written].map((m) => m.directoryId), migratedTopics: legacy?.topics ?? 0 };
}

/**
 * Creates and locks every directory in `dirs` (Disk.lockDirectory), in one order whoever asks, so
 * two nodes given overlapping directories cannot each hold one the other waits for: all of them,
 * or none and the reason.
 */
export async function lockNodeDirectories(disk: Disk, dirs: readonly string[]): Promise<DirectoryLock> {
  const held: DirectoryLock[] = [];
  const release = async () => {
    await Promise.all(held.map((l) => l.release()));
  };
  try {
    for (const dir of [...dirs].sort()) {
      await disk.mkdir(dir);
      held.push(await disk.lockDirectory(dir));
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { release };
}

/** A node's storage at start: formatted now if it was not. */
export async function prepareNodeStorage(disk: Disk, random: Random, config: BrokerConfig, settings: KRaftSettings, log: Logger): Promise<NodeStorage> {
  const f = await formatStorage(disk, random, config, settings, { log });
  const bootstrap = settings.isController ? ((await readBootstrapRecords(disk, resolve(settings.metadataLogDir))) ?? []) : [];
  return {
    clusterId: f.clusterId,
    directoryIds: f.directoryIds,
    bootstrapRecords: bootstrap.filter((r) => !(r.apiKey === 12 && r.data.name === 'metadata.version')),
  };
}
