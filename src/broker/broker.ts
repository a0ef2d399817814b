/**
 * A Samsa node: `startBroker(options)` runs a broker, a controller, or both (Kafka's
 * `process.roles`), and returns once it serves requests. Every node follows the metadata log
 * (`__cluster_metadata`, a Raft log: cluster/metadata-node.ts); a controller may lead it; a
 * broker registers with the active controller, opens the partitions the metadata gives it
 * (recovering their logs after an unclean stop) and serves clients. `close()` shuts down under
 * control: the broker tells the controller, stops accepting, answers what is in flight, flushes
 * and marks a clean shutdown; a leading controller hands over to another voter.
 *
 * Without `process.roles` the node is standalone — one combined broker and controller whose quorum
 * is itself, as `samsa broker` always was — and needs nothing configured. Several nodes can run in
 * one process on different ports and directories.
 *
 * The node takes its world as options: the clock, the disk, randomness and the network, the real
 * ones by default. `storage: 'memory'` puts the data directory on an in-memory disk, so that
 * nothing touches the file system (a broker for tests).
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../common/clock.js';
import { type Random, type RandomBytes, randomBytesFrom, systemRandom, systemRandomBytes } from '../common/random.js';
import { newUuid } from '../common/uuid.js';
import { type Network, nodeNetwork } from '../network/network.js';
import type { Disk } from '../storage/disk.js';
import { readWholeFile } from '../storage/disk-files.js';
import { MemoryDisk } from '../storage/memory-disk.js';
import { nodeDisk } from '../storage/node-disk.js';
import { type LogFormat, brokerLogger } from './broker-logger.js';
import { BrokerConfig, unknownConfigWarning } from './config/broker-config.js';
import { parseProperties } from '../common/config-def.js';
import { kraftSettings, type KRaftSettings } from './cluster/kraft-settings.js';
import { MetadataNode } from './cluster/metadata-node.js';
import { type NodeStorage, lockNodeDirectories, nodeDirectories, prepareNodeStorage } from './cluster/node-storage.js';
import { startBrokerRole } from './broker-role.js';
import type { RunningBroker, World } from './running-broker.js';
import { PhaseTimer } from '../common/phase-timer.js';

export type { RunningBroker, RunningListener, World } from './running-broker.js';

export interface BrokerOptions {
  /** Data directory (Kafka's log.dirs). Default ./data. */
  dataDir?: string;
  /** Listener address; port 0 picks an ephemeral port. Default 127.0.0.1:9092. */
  host?: string;
  port?: number;
  /** What clients are told to connect to, if not the listener address. */
  advertisedHost?: string;
  advertisedPort?: number;
  nodeId?: number;
  /** A server.properties-style file; explicit options override it. */
  configFile?: string;
  /** Settings by Kafka's names, e.g. { 'num.partitions': 3, 'log.retention.hours': 1 }. */
  config?: Record<string, string | number | boolean>;
  /** pino level for the broker's logs on stderr (default warn), or a logger to use. */
  logLevel?: string;
  /** JSON lines (default) or readable lines on stderr. */
  logFormat?: LogFormat;
  logger?: Logger;
  /** `memory`: the data directory lives in memory and is gone with the broker. Default `disk`. */
  storage?: 'disk' | 'memory';
  /** The world (defaults: the real clock, node:fs, Math.random, node:net). `disk` wins over `storage`. */
  clock?: Clock;
  disk?: Disk;
  random?: Random;
  network?: Network;
  /** Secure random bytes (SCRAM nonces); default node:crypto's, or drawn from `random` when that is given. */
  randomBytes?: RandomBytes;
  /**
   * Where files named by configs are read (the config file, keystores, truststores, a JWKS):
   * default the real file system, also with `storage: 'memory'`, since they are the host's.
   */
  configDisk?: Disk;
}

/** Merges the config file, `config`, then the explicit options, into Kafka-named settings. */
async function resolveConfig(o: BrokerOptions): Promise<BrokerConfig> {
  const props = new Map<string, string>();
  if (o.configFile) {
    const text = await readWholeFile(o.configDisk ?? nodeDisk, o.configFile);
    if (!text) throw new Error(`config file ${o.configFile} not found`);
    for (const [k, v] of parseProperties(text.toString('utf8'))) props.set(k, v);
  }
  for (const [k, v] of Object.entries(o.config ?? {})) props.set(k, String(v));
  if (o.dataDir !== undefined) props.set('log.dirs', o.dataDir);
  if (o.nodeId !== undefined) props.set('node.id', String(o.nodeId));
  if (o.host !== undefined || o.port !== undefined) props.set('listeners', withClientAddress(new BrokerConfig(props), o.host, o.port));
  if (o.advertisedHost !== undefined || o.advertisedPort !== undefined) {
    // They replace the first client listener's advertised address, keeping the others'.
    const c = new BrokerConfig(props);
    const controllers = (c.get('controller.listener.names') as string[]).map((n) => n.toUpperCase());
    const client = c.listeners.filter((l) => !controllers.includes(l.name));
    const first = client[0]?.name ?? 'PLAINTEXT';
    const others = c.listeners.filter((l) => l.name !== first).flatMap((l) => {
      const a = c.advertisedFor(l.name);
      return a ? [`${l.name}://${a.host}:${a.port}`] : [];
    });
    props.set('advertised.listeners', [`${first}://${o.advertisedHost ?? '127.0.0.1'}:${o.advertisedPort ?? 0}`, ...others].join(','));
  }
  return new BrokerConfig(props);
}

/** `listeners` with the first client listener moved to `host`/`port` (the controller's left as configured). */
function withClientAddress(config: BrokerConfig, host: string | undefined, port: number | undefined): string {
  const controllers = (config.get('controller.listener.names') as string[]).map((n) => n.toUpperCase());
  const entries = config.str('listeners').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const i = entries.findIndex((e) => !controllers.includes((/^([A-Za-z0-9_]+):\/\//.exec(e)?.[1] ?? 'PLAINTEXT').toUpperCase()));
  const current = config.listener;
  const name = i >= 0 ? (/^([A-Za-z0-9_]+):\/\//.exec(entries[i]!)?.[1] ?? 'PLAINTEXT') : 'PLAINTEXT';
  const first = i >= 0 ? /^(?:[A-Za-z0-9_]+:\/\/)?(\[[^\]]*\]|[^:]*):(\d+)$/.exec(entries[i]!) : null;
  const h = host ?? (first ? first[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0' : current.host);
  const p = port ?? (first ? Number(first[2]) : current.port);
  const entry = `${name}://${h.includes(':') ? `[${h}]` : h}:${p}`;
  if (i >= 0) entries[i] = entry;
  else entries.unshift(entry);
  return entries.join(',');
}

function worldOf(o: BrokerOptions): World {
  const clock = o.clock ?? systemClock;
  const random = o.random ?? systemRandom;
  const disk = o.disk ?? (o.storage === 'memory' ? new MemoryDisk(random, () => clock.now()) : nodeDisk);
  const randomBytes = o.randomBytes ?? (o.random ? randomBytesFrom(o.random) : systemRandomBytes);
  return { clock, random, disk, network: o.network ?? nodeNetwork, randomBytes };
}

/** Starts a node and resolves once it serves requests. */
export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const world = worldOf(options);
  const phases = new PhaseTimer(world.clock);
  const config = await resolveConfig(options);
  // Logs go to stderr, leaving stdout to whoever embeds the broker (the CLI's ready line).
  const log = options.logger ?? brokerLogger(options.logLevel ?? 'warn', options.logFormat ?? 'json');
  for (const name of config.unknown) log.warn({ config: name }, unknownConfigWarning(name));
  phases.mark('config');
  const raw = kraftSettings(config);
  const settings: KRaftSettings = { ...raw, metadataLogDir: resolve(raw.metadataLogDir) };
  const dataDir = resolve(config.dataDir);
  // Before anything in them is read or written: another broker may be using them. The node holds them until it is closed.
  const directories = await lockNodeDirectories(world.disk, nodeDirectories(config, settings));
  let storage: NodeStorage;
  let node: MetadataNode;
  try {
    storage = await prepareNodeStorage(world.disk, world.random, config, settings, log);
    phases.mark('storage');
    node = await MetadataNode.start({ settings, config, clusterId: storage.clusterId, bootstrapRecords: storage.bootstrapRecords, ...world, configDisk: options.configDisk ?? nodeDisk, log, directories });
  } catch (err) {
    await directories.release();
    throw err;
  }
  phases.mark('metadataQuorum');
  if (!settings.isBroker) return controllerOnly(node, settings, storage.clusterId, dataDir, log);
  try {
    return await startBrokerRole({ config, settings, node, world, log, configDisk: options.configDisk ?? nodeDisk, dataDir, clusterId: storage.clusterId, directoryIds: storage.directoryIds, incarnationId: newUuid(world.random), phases });
  } catch (err) {
    await node.close();
    throw err;
  }
}

/** A node with the controller role only: the metadata quorum and the controller listener. */
function controllerOnly(node: MetadataNode, settings: KRaftSettings, clusterId: string, dataDir: string, log: Logger): RunningBroker {
  const address = node.controllerAddress!;
  let closing: Promise<void> | undefined;
  log.info({ node: settings.nodeId, cluster: clusterId, listener: `${address.host}:${address.port}` }, 'controller ready');
  return {
    host: address.host,
    port: address.port,
    nodeId: settings.nodeId,
    clusterId,
    dataDir,
    bootstrap: `${address.host}:${address.port}`,
    faults: node.controllerFaults,
    controllerFaults: node.controllerFaults,
    roles: ['controller'],
    controllerAddress: address,
    listeners: [],
    reloadCertificates: () => Promise.resolve(),
    metadata: node.loader.image,
    get activeControllerId() {
      return node.activeControllerId;
    },
    quorum: () => node.raft.inspect(),
    close: () => (closing ??= node.close(true).then(() => log.info({ node: settings.nodeId }, 'controller stopped'))),
  };
}
