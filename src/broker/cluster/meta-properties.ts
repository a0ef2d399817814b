/**
 * `meta.properties`, Kafka's marker of a formatted log directory: which cluster and node it
 * belongs to and the directory's own id (KRaft's version 1):
 *
 *   version=1
 *   cluster.id=MkU3OEVBNTcwNTJENDM2Qk
 *   node.id=1
 *   directory.id=J8aAPcfLQt2bqs1JT_rMgQ
 */
import { join } from 'node:path';
import { parseProperties } from '../../common/config-def.js';
import type { Disk } from '../../storage/disk.js';
import { readWholeFile, writeFileAtomically } from '../../storage/disk-files.js';

export const META_PROPERTIES_FILE = 'meta.properties';

export interface MetaProperties {
  readonly clusterId: string;
  readonly nodeId: number;
  readonly directoryId: string;
}

export class MetaPropertiesError extends Error {
  readonly code = 'SAMSA_META_PROPERTIES';
}

export async function readMetaProperties(disk: Disk, dir: string): Promise<MetaProperties | undefined> {
  const path = join(dir, META_PROPERTIES_FILE);
  const text = await readWholeFile(disk, path, 64 * 1024);
  if (!text) return undefined;
  const p = parseProperties(text.toString('utf8'));
  const version = p.get('version');
  const clusterId = p.get('cluster.id');
  const nodeId = Number(p.get('node.id'));
  if (version !== '1') throw new MetaPropertiesError(`${path}: version ${version ?? '(none)'} is not KRaft's 1`);
  if (!clusterId || !Number.isInteger(nodeId)) throw new MetaPropertiesError(`${path} lacks cluster.id or node.id`);
  return { clusterId, nodeId, directoryId: p.get('directory.id') ?? '' };
}

export async function writeMetaProperties(disk: Disk, dir: string, m: MetaProperties): Promise<void> {
  const text = ['#', '#Written by Samsa', `cluster.id=${m.clusterId}`, `directory.id=${m.directoryId}`, `node.id=${m.nodeId}`, 'version=1', ''].join('\n');
  await writeFileAtomically(disk, join(dir, META_PROPERTIES_FILE), Buffer.from(text));
}
