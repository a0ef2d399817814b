/**
 * A Samsa broker: `startBroker(options)` opens the data directory (cluster metadata and partition
 * logs, recovering them after an unclean stop), starts the listener, and returns once it serves
 * requests. `close()` stops accepting, answers what is in flight, flushes and marks a clean
 * shutdown. Several brokers can run in one process on different ports and directories.
 *
 * The broker takes its world as options: the clock, the disk, randomness and the network, the
 * real ones by default. `storage: 'memory'` puts the data directory on an in-memory disk, so that
 * nothing touches the file system (a broker for tests).
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../common/clock.js';
import { type Random, type RandomBytes, randomBytesFrom, randomUuid, systemRandom, systemRandomBytes } from '../common/random.js';
import { type GroupConfig, GroupCoordinator, groupConfigFrom, logOffsetsStore, type OffsetsPartitionLog } from '../group/index.js';
import { LogManager, ReadBufferPool } from '../log/index.js';
import { type Network, nodeNetwork } from '../network/network.js';
import { NetworkServer } from '../network/server.js';
import type { Disk } from '../storage/disk.js';
import { readWholeFile } from '../storage/disk-files.js';
import { MemoryDisk } from '../storage/memory-disk.js';
import { nodeDisk } from '../storage/node-disk.js';
import type { BrokerContext } from './broker-context.js';
import { type LogFormat, brokerLogger } from './broker-logger.js';
import { BrokerConfig, type ListenerAddress, type SecurityProtocol } from './config/broker-config.js';
import { parseProperties } from '../common/config-def.js';
import { effectiveTopicConfig } from './config/topic-configs.js';
import { createDispatcher, supportedVersions } from './dispatcher.js';
import { Faults } from './faults/faults.js';
import { FetchSessionCache } from './fetch/fetch-sessions.js';
import { HANDLERS } from './handlers/index.js';
import { LIMITS } from './limits.js';
import { ClusterMetadata, METADATA_DIR } from './metadata/cluster-metadata.js';
import { JsonSecurityStore } from './metadata/security-store.js';
import { BrokerSecurity } from './security/broker-security.js';
import { CONSUMER_OFFSETS_TOPIC } from './metadata/topic-name.js';
import { ReplicaManager } from './partitions/replica-manager.js';
import { tpKey } from './partitions/topic-partition.js';
import { TopicManager, isTopicError } from './topic-manager.js';
import { ProducerIdManager } from './txn/producer-ids.js';

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

/** One listener as it serves: its name, security protocol, bound and advertised addresses. */
export interface RunningListener {
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
  readonly host: string;
  readonly port: number;
  /** The advertised `host:port` of this listener. */
  readonly bootstrap: string;
}

export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly dataDir: string;
  /** `host:port` of the first listener, for a client's bootstrap servers. */
  readonly bootstrap: string;
  /** Every listener (the first is the one `host`, `port` and `bootstrap` describe). */
  readonly listeners: readonly RunningListener[];
  /** Reads the TLS listeners' keystores and truststores again: new connections get the new certificates. */
  reloadCertificates(): Promise<void>;
  /** Fault injection and request observation for tests (faults/faults.ts). */
  readonly faults: Faults;
  close(): Promise<void>;
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
  // host and port (and the advertised ones) replace the first listener's, keeping its name.
  if (o.host !== undefined || o.port !== undefined) {
    const [first, ...rest] = new BrokerConfig(props).listeners;
    props.set('listeners', [`${first!.name}://${o.host ?? first!.host}:${o.port ?? first!.port}`, ...rest.map((l) => `${l.name}://${l.host}:${l.port}`)].join(','));
  }
  if (o.advertisedHost !== undefined || o.advertisedPort !== undefined) {
    const c = new BrokerConfig(props);
    const first = c.listeners[0]!;
    const others = c.listeners.slice(1).flatMap((l) => {
      const a = c.advertisedFor(l.name);
      return a ? [`${l.name}://${a.host}:${a.port}`] : [];
    });
    props.set('advertised.listeners', [`${first.name}://${o.advertisedHost ?? '127.0.0.1'}:${o.advertisedPort ?? 0}`, ...others].join(','));
  }
  return new BrokerConfig(props);
}

/** The world a broker runs in: what startBroker was given, else the real one. */
interface World {
  clock: Clock;
  disk: Disk;
  random: Random;
  network: Network;
  randomBytes: RandomBytes;
}

function worldOf(o: BrokerOptions): World {
  const clock = o.clock ?? systemClock;
  const random = o.random ?? systemRandom;
  const disk = o.disk ?? (o.storage === 'memory' ? new MemoryDisk(random, () => clock.now()) : nodeDisk);
  const randomBytes = o.randomBytes ?? (o.random ? randomBytesFrom(o.random) : systemRandomBytes);
  return { clock, random, disk, network: o.network ?? nodeNetwork, randomBytes };
}

class Broker implements BrokerContext, RunningBroker {
  advertised: ListenerAddress = { host: '127.0.0.1', port: 0 };
  /** Advertised addresses by listener name. */
  private readonly advertisedByListener = new Map<string, ListenerAddress>();
  listeners: RunningListener[] = [];
  readonly apiVersions = supportedVersions(HANDLERS);
  readonly fetchSessions: FetchSessionCache;
  readonly fetchBuffers = new ReadBufferPool(LIMITS.fetchBufferPoolIdleBytes);
  readonly replicaManager: ReplicaManager;
  readonly topics: TopicManager;
  readonly producerIds: ProducerIdManager;
  readonly clock: Clock;
  readonly disk: Disk;
  readonly faults: Faults;
  servers: NetworkServer[] = [];
  groups!: GroupCoordinator;
  private closing: Promise<void> | undefined;

  constructor(
    readonly config: BrokerConfig,
    readonly metadata: ClusterMetadata,
    readonly logs: LogManager,
    readonly world: World,
    readonly log: Logger,
    readonly security: BrokerSecurity,
  ) {
    this.clock = world.clock;
    this.disk = world.disk;
    this.fetchSessions = new FetchSessionCache({ maxSessions: config.num('max.incremental.fetch.session.cache.slots'), evictionAgeMs: LIMITS.fetchSessionEvictionAgeMs });
    this.replicaManager = new ReplicaManager({
      nodeId: config.nodeId,
      logs,
      metadata,
      policyOf: (topic) => this.topics.effectiveConfig(topic).policy,
      clock: world.clock,
      logger: log,
      maxDelayedOperations: LIMITS.maxDelayedOperations,
    });
    this.topics = new TopicManager(metadata, config, this.replicaManager, log, [config.nodeId]);
    this.producerIds = new ProducerIdManager((size) => metadata.allocateProducerIds(size));
    this.faults = new Faults(world.clock, (id) => metadata.topicById(id)?.name);
  }

  get nodeId(): number {
    return this.config.nodeId;
  }
  get clusterId(): string {
    return this.metadata.clusterId;
  }
  get dataDir(): string {
    return this.logs.dataDir;
  }
  get authorizer() {
    return this.security.authorizer;
  }
  get host(): string {
    return this.servers[0]!.address.host;
  }
  get port(): number {
    return this.servers[0]!.address.port;
  }
  advertisedFor(listenerName: string): ListenerAddress {
    return this.advertisedByListener.get(listenerName) ?? this.advertised;
  }
  setAdvertised(listenerName: string, a: ListenerAddress): void {
    this.advertisedByListener.set(listenerName, a);
  }
  reloadCertificates(): Promise<void> {
    return this.security.reloadTls();
  }
  get bootstrap(): string {
    return `${this.advertised.host}:${this.advertised.port}`;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.servers.map((s) => s.close()));
      this.replicaManager.close();
      await this.groups?.close();
      await this.logs.close();
      this.log.info({ node: this.nodeId }, 'broker stopped');
    })();
    return this.closing;
  }
}

/** Starts a broker and resolves once it accepts connections. */
export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const config = await resolveConfig(options);
  // Logs go to stderr, leaving stdout to whoever embeds the broker (the CLI's ready line).
  const log = options.logger ?? brokerLogger(options.logLevel ?? 'warn', options.logFormat ?? 'json');
  const world = worldOf(options);
  const dataDir = resolve(config.dataDir);
  await world.disk.mkdir(dataDir);
  const metadata = await ClusterMetadata.open(dataDir, { disk: world.disk, random: world.random, nodeId: config.nodeId });
  const logs = await LogManager.open({
    dataDir,
    clock: world.clock,
    disk: world.disk,
    random: world.random,
    logger: log.child({ component: 'log' }),
    defaults: effectiveTopicConfig(new Map(), config.props).log,
    configFor: (topic) => (metadata.topic(topic) ? effectiveTopicConfig(new Map(Object.entries(metadata.topic(topic)!.configs)), config.props).log : undefined),
    retentionCheckIntervalMs: config.num('log.retention.check.interval.ms'),
    maxDecodeBytes: LIMITS.maxDecodeBytes,
    ...(config.bool('log.cleaner.enable') ? {} : { cleaner: false as const }),
  });
  let security: BrokerSecurity;
  try {
    security = await BrokerSecurity.open({ config, disk: options.configDisk ?? nodeDisk, clock: world.clock, randomBytes: world.randomBytes, log }, new JsonSecurityStore(world.disk, resolve(dataDir, METADATA_DIR)));
  } catch (err) {
    await logs.close();
    throw err;
  }
  const broker = new Broker(config, metadata, logs, world, log, security);
  try {
    await reconcileLogs(broker);
    broker.groups = await openGroupCoordinator(broker);
    const dispatcher = createDispatcher(broker, HANDLERS, log);
    for (const spec of config.listeners) {
      const setup = await security.listenerSetup(spec, dispatcher);
      const server = await NetworkServer.listen(
        {
          host: spec.host,
          port: spec.port,
          maxFrameBytes: config.num('socket.request.max.bytes'),
          maxInFlightRequests: config.num('samsa.max.in.flight.requests.per.connection'),
          maxInFlightBytes: config.num('samsa.max.in.flight.bytes.per.connection'),
          idleTimeoutMs: config.num('connections.max.idle.ms'),
          maxConnections: Math.min(config.num('max.connections'), config.listenerGet(spec.name, 'max.connections') as number),
          network: world.network,
          clock: world.clock,
          listenerName: spec.name,
          securityProtocol: spec.securityProtocol,
          admission: security.admission,
          ...(setup.tls ? { tls: setup.tls } : {}),
          ...(setup.authentication ? { authentication: setup.authentication } : {}),
          ...(setup.onConnection ? { onConnection: setup.onConnection } : {}),
        },
        setup.handler,
        log,
      );
      broker.servers.push(server);
      const advertised = advertisedAddress(config, spec.name, server.address);
      broker.setAdvertised(spec.name, advertised);
      broker.listeners.push({ name: spec.name, securityProtocol: spec.securityProtocol, host: server.address.host, port: server.address.port, bootstrap: `${advertised.host}:${advertised.port}` });
    }
  } catch (err) {
    await Promise.all(broker.servers.map((s) => s.close()));
    broker.replicaManager.close();
    await broker.groups?.close();
    await logs.close();
    throw err;
  }
  broker.advertised = broker.advertisedFor(config.listeners[0]!.name);
  log.info({ node: broker.nodeId, cluster: broker.clusterId, listeners: broker.listeners.map((l) => `${l.name}://${l.host}:${l.port}`), advertised: broker.bootstrap, dataDir }, 'broker ready');
  return broker;
}

/** A listener's advertised address, defaulting to its bound address (loopback for a wildcard bind). */
function advertisedAddress(config: BrokerConfig, listenerName: string, bound: { host: string; port: number }): ListenerAddress {
  const a = config.advertisedFor(listenerName);
  if (a) return { host: a.host, port: a.port === 0 ? bound.port : a.port };
  const wildcard = bound.host === '0.0.0.0' || bound.host === '::';
  return { host: wildcard ? '127.0.0.1' : bound.host, port: bound.port };
}

/** Opens the group coordinator over __consumer_offsets, creating that topic on first start. */
async function openGroupCoordinator(b: Broker): Promise<GroupCoordinator> {
  const groupConfig: GroupConfig = groupConfigFrom((name) => b.config.num(name));
  if (!b.metadata.topic(CONSUMER_OFFSETS_TOPIC)) {
    const created = await b.topics.create({
      name: CONSUMER_OFFSETS_TOPIC,
      numPartitions: groupConfig['offsets.topic.num.partitions'],
      replicationFactor: 1,
      assignments: [],
      configs: [
        ['cleanup.policy', 'compact'],
        ['segment.bytes', String(groupConfig['offsets.topic.segment.bytes'])],
        ['compression.type', 'producer'],
      ],
    });
    if (isTopicError(created)) throw new Error(`cannot create ${CONSUMER_OFFSETS_TOPIC}: ${created.errorMessage}`);
  }
  const commitTimeoutMs = groupConfig['offsets.commit.timeout.ms'];
  const partitionLog = (p: number): OffsetsPartitionLog | undefined => {
    const partition = b.replicaManager.getPartition(CONSUMER_OFFSETS_TOPIC, p);
    if (!partition) return undefined;
    return {
      get logStartOffset() {
        return partition.logStartOffset;
      },
      get logEndOffset() {
        return partition.logEndOffset;
      },
      // Coordinator records are committed once the high watermark covers them (acks=all).
      append: (batch) => b.replicaManager.appendInternal(CONSUMER_OFFSETS_TOPIC, p, batch, commitTimeoutMs),
      read: (offset, maxBytes, opts) => partition.log.read(offset, maxBytes, opts),
    };
  };
  const store = logOffsetsStore(partitionLog, groupConfig['offsets.load.buffer.size']);
  return GroupCoordinator.open({ clock: b.clock, logger: b.log, store, config: groupConfig, randomUuid: () => randomUuid(b.world.random) });
}

/** Makes the partitions match the metadata: open those found on disk, create missing ones, drop those of deleted topics. */
async function reconcileLogs(b: Broker): Promise<void> {
  const wanted = new Set<string>();
  for (const t of b.metadata.topics()) {
    const config = b.topics.effectiveConfig(t.name).log;
    for (let p = 0; p < t.partitions; p++) {
      wanted.add(tpKey(t.name, p));
      const log = b.logs.getLog(t.name, p);
      if (log) {
        b.logs.updateConfig(t.name, config);
        b.replicaManager.open(t.name, p, log);
      } else await b.replicaManager.createLog(t.name, p, config);
    }
  }
  for (const { topic, partition } of [...b.logs.allLogs()]) {
    if (!wanted.has(tpKey(topic, partition))) await b.logs.deleteLog(topic, partition);
  }
}
