/**
 * The broker role of a node (Kafka's BrokerServer): client listeners bound, registration with the
 * active controller and catch-up with the metadata log, then the partition logs opened (recovered
 * after an unclean stop, with each topic's config from the metadata), the partitions the metadata
 * gives this broker held, unfencing, the group coordinator, and requests served.
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { randomUuid } from '../common/random.js';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../common/topic-name.js';
import { type GroupConfig, GroupCoordinator, groupConfigFrom, logOffsetsStore, type OffsetsPartitionLog } from '../group/index.js';
import { LogManager, ReadBufferPool } from '../log/index.js';
import type { Clock } from '../common/clock.js';
import { FramePool } from '../network/frame-pool.js';
import type { Disk } from '../storage/disk.js';
import type { StandardAuthorizer } from '../security/authorizer.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { CreateTopicsApi } from '../protocol/messages/index.js';
import type { MetadataImage } from '../controller/image/metadata-image.js';
import type { BrokerContext } from './broker-context.js';
import type { RunningBroker, RunningListener, World } from './running-broker.js';
import { type BoundListener, RequestGate, bindClientListeners } from './client-listeners.js';
import { BrokerLifecycleManager } from './cluster/broker-lifecycle.js';
import { BrokerMetadataPublisher } from './cluster/broker-metadata-publisher.js';
import { Forwarder } from './cluster/forwarding.js';
import type { KRaftSettings } from './cluster/kraft-settings.js';
import { METADATA_LOG_DIR_NAME, type MetadataNode } from './cluster/metadata-node.js';
import { InternalTopicCreator, offsetsTopicSpec, transactionStateTopicSpec } from './cluster/offsets-topic.js';
import type { BrokerConfig, ListenerAddress } from './config/broker-config.js';
import { SecurityProtocol, advertisedAddress } from './config/listeners.js';
import { dynamicKind } from './config/dynamic-broker-configs.js';
import { applyDynamicBrokerConfigs, reloadTlsIfChanged } from './cluster/dynamic-config-publisher.js';
import { effectiveTopicConfig } from './config/topic-configs.js';
import { createDispatcher, supportedVersions } from './dispatcher.js';
import { Faults } from './faults/faults.js';
import { FetchSessionCache } from './fetch/fetch-sessions.js';
import { HANDLERS } from './handlers/index.js';
import { LIMITS } from './limits.js';
import { ReplicaManager } from './partitions/replica-manager.js';
import { readHighWatermarks } from './partitions/high-watermark-checkpoint.js';
import { CheckpointFormatError, type OffsetCheckpoint } from '../log/offset-checkpoint-file.js';
import { JsonSecurityStore } from './metadata/security-store.js';
import { BrokerSecurity } from './security/broker-security.js';
import { type InterBrokerClient, interBrokerClient } from './security/inter-broker-client.js';
import { migrateLegacyBrokerConfigs, migrateLegacySecurity } from './security/legacy-security-migration.js';
import { SecurityPublisher } from './security/security-publisher.js';
import { AlterPartitionManager } from './replication/alter-partition-manager.js';
import { ReplicaFetcherManager } from './replication/replica-fetcher.js';
import { type ReplicationQuotas, replicationQuotas } from './replication/replication-quotas.js';
import { NodeConnections } from '../network/node-connections.js';
import { TopicManager } from './topic-manager.js';
import { ProducerIdManager } from './txn/producer-ids.js';
import { BrokerTransactions } from './txn/broker-transactions.js';
import { type InterBrokerTxnConnections, networkInterBrokerTxn } from './txn/inter-broker-txn.js';
import { type TxnConfig, txnConfigFrom } from '../txn/index.js';
import { AllocateProducerIdsApi } from '../protocol/messages/index.js';
import { PhaseTimer } from '../common/phase-timer.js';

export interface BrokerRoleOptions {
  readonly config: BrokerConfig;
  readonly settings: KRaftSettings;
  readonly node: MetadataNode;
  readonly world: World;
  readonly log: Logger;
  readonly dataDir: string;
  readonly clusterId: string;
  readonly directoryIds: readonly string[];
  readonly incarnationId: string;
  /** Where files named by configs are read (keystores, truststores, a JWKS). */
  readonly configDisk: Disk;
  /** The start-up's phases so far (logged with the ready message). */
  readonly phases?: PhaseTimer;
}

/** Where a broker kept ACLs, SCRAM credentials and quotas before the metadata log carried them (migrated once): `<data-dir>/__samsa_metadata/security.json`. */
const SECURITY_METADATA_DIR = '__samsa_metadata';

class Broker implements BrokerContext, RunningBroker {
  advertised: ListenerAddress = { host: '127.0.0.1', port: 0 };
  readonly apiVersions = supportedVersions(HANDLERS);
  readonly fetchSessions: FetchSessionCache;
  readonly replicationQuotas: ReplicationQuotas;
  readonly fetchBuffers = new ReadBufferPool(LIMITS.fetchBufferPoolIdleBytes);
  readonly replicaManager: ReplicaManager;
  readonly topics: TopicManager;
  readonly producerIds: ProducerIdManager;
  readonly publisher: BrokerMetadataPublisher;
  readonly forwarder: Forwarder;
  readonly offsetsTopic: InternalTopicCreator;
  readonly transactionStateTopic: InternalTopicCreator;
  readonly transactions: BrokerTransactions;
  readonly fetchers: ReplicaFetcherManager;
  readonly alterPartitions: AlterPartitionManager;
  /** Connections to the other brokers' inter-broker listeners for followers fetching from leaders. */
  readonly brokerConnections: NodeConnections;
  /** Connections of their own for transaction markers and KIP-890 verification (inter-broker-txn.ts says why). */
  readonly txnConnections: InterBrokerTxnConnections;
  readonly clock: Clock;
  readonly disk: Disk;
  readonly faults: Faults;
  readonly metadata: MetadataImage;
  readonly roles: readonly ('broker' | 'controller')[];
  bound: BoundListener[] = [];
  groups!: GroupCoordinator;
  private closing: Promise<void> | undefined;

  constructor(
    readonly o: BrokerRoleOptions,
    readonly logs: LogManager,
    readonly lifecycle: BrokerLifecycleManager,
    readonly security: BrokerSecurity,
    interBroker: InterBrokerClient,
    checkpointedHighWatermarks: OffsetCheckpoint,
  ) {
    const { config, world, log, node } = o;
    this.clock = world.clock;
    this.disk = world.disk;
    this.metadata = node.loader.image;
    this.roles = o.settings.isController ? ['broker', 'controller'] : ['broker'];
    this.fetchSessions = new FetchSessionCache({ maxSessions: config.num('max.incremental.fetch.session.cache.slots'), evictionAgeMs: LIMITS.fetchSessionEvictionAgeMs });
    this.topics = new TopicManager(this.metadata, config, (name) => this.autoCreateTopic(name));
    this.replicationQuotas = replicationQuotas({ nodeId: this.nodeId, config, clock: world.clock, throttledReplicas: (topic) => this.topics.effectiveConfig(topic).throttledReplicas });
    this.replicaManager = new ReplicaManager({
      nodeId: this.nodeId,
      logs,
      image: this.metadata,
      policyOf: (topic) => this.topics.effectiveConfig(topic).policy,
      clock: world.clock,
      logger: log,
      maxDelayedOperations: LIMITS.maxDelayedOperations,
      txnVerifier: () => (this.transactions.coordinator.config['transaction.partition.verification.enable'] ? this.transactions : undefined),
      replicaLagTimeMaxMs: config.num('replica.lag.time.max.ms'),
      highWatermarks: { checkpointed: checkpointedHighWatermarks, disk: world.disk, dataDir: o.dataDir, intervalMs: config.num('replica.high.watermark.checkpoint.interval.ms') },
    });
    const socketTimeoutMs = config.num('replica.socket.timeout.ms');
    const interBrokerConnections = (purpose: string) =>
      new NodeConnections({
        address: (id) => {
          const e = this.metadata.broker(id)?.endpoints.find((x) => x.name === o.settings.interBrokerListenerName);
          return e ? { host: e.host, port: e.port } : undefined;
        },
        clock: world.clock,
        network: world.network,
        clientId: `samsa-${purpose}-${this.nodeId}`,
        requestTimeoutMs: socketTimeoutMs,
        connectTimeoutMs: Math.min(socketTimeoutMs, 10_000),
        tls: interBroker.tls,
        authenticate: interBroker.authenticate,
        onRefused: (nodeId, err) => log.warn({ nodeId, err: err.message }, 'a broker refused this node\'s inter-broker connection; retrying'),
      });
    this.brokerConnections = interBrokerConnections('replica-fetcher');
    this.txnConnections = { markers: interBrokerConnections('txn-markers'), verification: interBrokerConnections('txn-verification') };
    this.fetchers = new ReplicaFetcherManager({
      nodeId: this.nodeId,
      brokerEpoch: () => this.lifecycle.brokerEpoch,
      connections: this.brokerConnections,
      clock: world.clock,
      logger: log.child({ component: 'replica-fetcher' }),
      waitMaxMs: config.num('replica.fetch.wait.max.ms'),
      minBytes: config.num('replica.fetch.min.bytes'),
      maxBytes: config.num('replica.fetch.max.bytes'),
      responseMaxBytes: config.num('replica.fetch.response.max.bytes'),
      backoffMs: config.num('replica.fetch.backoff.ms'),
      socketTimeoutMs,
      quota: this.replicationQuotas.follower,
    });
    this.alterPartitions = new AlterPartitionManager({
      brokerId: this.nodeId,
      brokerEpoch: () => this.lifecycle.brokerEpoch,
      channel: node.channel,
      timeoutMs: config.num('controller.socket.timeout.ms'),
      logger: log.child({ component: 'alter-partition' }),
      clock: world.clock,
      // An unanswered change is sent again as soon as a follower's failed fetch would be.
      retryBackoffMs: config.num('replica.fetch.backoff.ms'),
    });
    this.replicaManager.startReplication({
      leadershipApplied: (p) => this.fetchers.apply(p),
      removed: (p) => this.fetchers.unfollow(p),
      alterIsr: (p, isr) => this.alterPartitions.submit(p, isr),
    });
    this.publisher = new BrokerMetadataPublisher(
      {
        nodeId: this.nodeId,
        replicaManager: this.replicaManager,
        logConfig: (topic) => this.topics.effectiveConfig(topic).log,
        topicConfigChanged: (topic) => this.topics.invalidate(topic),
        brokerConfigsChanged: (image) => this.applyDynamicConfigs(image),
        allLogs: () => logs.allLogs(),
        leadershipChanged: (topic, partition, isLeader) => {
          if (topic === TRANSACTION_STATE_TOPIC && this.transactionsStarted) this.transactions.onLeadershipChange(partition, isLeader);
          if (topic !== CONSUMER_OFFSETS_TOPIC || !this.groups) return;
          if (isLeader) void this.groups.onElection(partition);
          else this.groups.onResignation(partition);
        },
        topicsDeleted: (names) => void this.groups?.topicsDeleted(names),
      },
      this.metadata,
      log.child({ component: 'metadata' }),
    );
    const timeoutMs = config.num('controller.socket.timeout.ms');
    this.forwarder = new Forwarder(node.channel, this.publisher, world.clock, timeoutMs);
    this.producerIds = new ProducerIdManager((size) => this.allocateProducerIds(size));
    this.faults = new Faults(world.clock, (id) => this.metadata.topicById(id)?.name);
    const creator = (name: string) => ({
      channel: node.channel,
      image: this.metadata,
      timeoutMs,
      whenVisible: () => this.publisher.whenVisible((image) => image.topic(name) !== undefined),
      log,
    });
    this.offsetsTopic = new InternalTopicCreator(offsetsTopicSpec(this.groupConfig, internalReplicationFactor(config, o.settings, 'offsets.topic.replication.factor')), creator(CONSUMER_OFFSETS_TOPIC));
    const txnConfig: TxnConfig = txnConfigFrom((name) => config.get(name));
    this.transactionStateTopic = new InternalTopicCreator(
      transactionStateTopicSpec(txnConfig, internalReplicationFactor(config, o.settings, 'transaction.state.log.replication.factor')),
      creator(TRANSACTION_STATE_TOPIC),
    );
    this.transactions = new BrokerTransactions({
      nodeId: this.nodeId,
      config: txnConfig,
      clock: world.clock,
      log,
      image: this.metadata,
      createTopic: () => this.transactionStateTopic.ensure(),
      replicaManager: this.replicaManager,
      groups: () => this.groups,
      generateProducerId: () => this.producerIds.generate(),
      interBroker: networkInterBrokerTxn(this.txnConnections, timeoutMs),
    });
  }

  /**
   * Takes the run-time broker configs of the image (this broker's and the cluster-wide defaults:
   * dynamic-broker-configs.ts): listeners reload their certificates when a keystore or truststore
   * config changed; `topicDefaults` when topic defaults changed (the publisher then updates every
   * topic's logs).
   */
  private applyDynamicConfigs(image: MetadataImage): { topicDefaults: boolean; then?: () => Promise<void> } {
    const changed = applyDynamicBrokerConfigs(this.config, image, this.nodeId, this.log);
    const topicDefaults = changed.some((n) => dynamicKind(n) === 'topic-default');
    if (!changed.some((n) => dynamicKind(n) === 'ssl')) return { topicDefaults };
    return { topicDefaults, then: () => reloadTlsIfChanged(changed, this.security.tls, this.log) };
  }

  /** Whether the transaction coordinator follows leadership yet (from its start on). */
  transactionsStarted = false;

  get config(): BrokerConfig {
    return this.o.config;
  }
  get log(): Logger {
    return this.o.log;
  }
  get nodeId(): number {
    return this.o.settings.nodeId;
  }
  get clusterId(): string {
    return this.o.clusterId;
  }
  get dataDir(): string {
    return this.o.dataDir;
  }
  get host(): string {
    return this.bound[0]!.server.address.host;
  }
  get port(): number {
    return this.bound[0]!.server.address.port;
  }
  get authorizer(): StandardAuthorizer | undefined {
    return this.security.authorizer;
  }
  get listeners(): RunningListener[] {
    return this.bound.map(({ spec, server }) => {
      const a = advertisedAddress(this.o.settings.advertised.get(spec.name), server.address);
      return { name: spec.name, securityProtocol: spec.securityProtocol, host: server.address.host, port: server.address.port, bootstrap: `${a.host}:${a.port}` };
    });
  }
  reloadCertificates(): Promise<void> {
    return this.security.reloadTls();
  }
  get bootstrap(): string {
    return `${this.advertised.host}:${this.advertised.port}`;
  }
  get activeControllerId(): number {
    return this.o.node.activeControllerId;
  }
  get controllerAddress(): { host: string; port: number } | undefined {
    return this.o.node.controllerAddress;
  }
  get controllerFaults(): Faults | undefined {
    return this.o.node.controllerNode ? this.o.node.controllerFaults : undefined;
  }
  get groupConfig(): GroupConfig {
    return groupConfigFrom((name) => this.o.config.get(name));
  }

  quorum() {
    return this.o.node.raft.inspect();
  }

  controllerEndpoints(): { id: number; host: string; port: number }[] {
    if (this.o.settings.standalone) return [{ id: this.nodeId, host: this.advertised.host, port: this.advertised.port }];
    return this.o.settings.voters.map((v) => ({ id: v.id, host: v.host, port: v.port }));
  }

  ensureOffsetsTopic(): void {
    this.offsetsTopic.ensure().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, `${CONSUMER_OFFSETS_TOPIC} not created yet`));
  }

  private async autoCreateTopic(name: string) {
    const c = this.o.config;
    const res = await this.o.node.channel.send(
      CreateTopicsApi,
      { topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false },
      { version: 7, timeoutMs: c.num('controller.socket.timeout.ms') },
    );
    const t = res.topics[0]!;
    if (t.errorCode === ErrorCode.NONE) await this.publisher.whenTopicVisible(t.topicId);
    return t;
  }

  private async allocateProducerIds(size: number): Promise<bigint> {
    const res = await this.o.node.channel.send(AllocateProducerIdsApi, { brokerId: this.nodeId, brokerEpoch: this.lifecycle.brokerEpoch }, { version: 0, timeoutMs: this.o.config.num('controller.socket.timeout.ms') });
    if (res.errorCode !== ErrorCode.NONE || res.producerIdLen < size) throw new Error(`the controller gave no producer ids: error ${res.errorCode}`);
    return res.producerIdStart;
  }

  /**
   * Controlled shutdown, then stop accepting, answer what is in flight, close the partitions and
   * logs, and leave the quorum. Every step runs even if one before it failed (a disk gone bad);
   * the first failure is what `close` rejects with.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      let failure: unknown;
      const step = async (fn: () => unknown) => {
        try {
          await fn();
        } catch (err) {
          failure ??= err;
        }
      };
      await step(() => this.lifecycle.controlledShutdown(Math.min(5000, this.o.config.num('broker.session.timeout.ms'))));
      this.lifecycle.close();
      await step(() => this.fetchers.close());
      this.alterPartitions.close();
      this.brokerConnections.close();
      this.txnConnections.markers.close();
      this.txnConnections.verification.close();
      await step(() => Promise.all(this.bound.map((l) => l.server.close())));
      this.transactions.close();
      // Fetchers and listeners are closed: these high watermarks are the last (Kafka's checkpoint at shutdown).
      await step(() => this.replicaManager.checkpointHighWatermarks());
      await step(() => this.replicaManager.close());
      await step(() => this.groups?.close());
      await step(() => this.logs.close());
      await step(() => this.o.node.close(true));
      this.log.info({ node: this.nodeId }, 'broker stopped');
      if (failure !== undefined) throw failure;
    })();
    return this.closing;
  }
}

/** `offsets.topic.replication.factor` / `transaction.state.log.replication.factor`: Kafka's default 3, except on a standalone node, which has one broker, unless set. */
function internalReplicationFactor(config: BrokerConfig, settings: KRaftSettings, name: string): number {
  return settings.standalone && !config.props.has(name) ? 1 : config.num(name);
}

export async function startBrokerRole(o: BrokerRoleOptions): Promise<RunningBroker> {
  const { config, settings, node, world, log } = o;
  const gate = new RequestGate();
  let broker: Broker | undefined;
  // The run-time configs the local metadata log has so far (certificates, connection quotas) before the client listeners bind; the publisher applies later ones.
  // The controller listener, bound already, reloads its certificates if they changed.
  await reloadTlsIfChanged(applyDynamicBrokerConfigs(config, node.loader.image, settings.nodeId, log), node.tls, log);
  const securityStore = new JsonSecurityStore(world.disk, resolve(o.dataDir, SECURITY_METADATA_DIR));
  const phases = o.phases ?? new PhaseTimer(world.clock);
  const security = await BrokerSecurity.open({ config, disk: o.configDisk, clock: world.clock, randomBytes: world.randomBytes, log }, securityStore, node.tls);
  // ACLs, SCRAM credentials and quotas follow the metadata log, ahead of the partitions' publisher.
  node.loader.installPublisher(new SecurityPublisher(security.metadata));
  // Followers, transaction markers and verification reach the other brokers over the inter-broker listener, with its TLS and SASL.
  // A standalone node has no other broker to reach.
  const interListener = settings.standalone ? undefined : settings.clientListeners.find((l) => l.name === settings.interBrokerListenerName);
  const interBroker = await interBrokerClient(config, interListener, o.configDisk, world.randomBytes);
  const frames = new FramePool(LIMITS.requestFramePoolIdleBytes);
  const listeners = await bindClientListeners(settings.clientListeners, config, world, log, (name) => gate.wrap(() => createDispatcher(broker!, HANDLERS, log, broker!.faults, name, frames)), {
    admission: security.admission,
    setup: (spec, handler) => security.listenerSetup(spec, handler),
    frames,
  });
  phases.mark('security+listeners');
  // What this broker registers and tells clients: each client listener's advertised address.
  const endpoints = () => listeners.map(({ spec, server }) => ({ name: spec.name, ...advertisedAddress(settings.advertised.get(spec.name), server.address), securityProtocol: SecurityProtocol[spec.securityProtocol] }));
  const lifecycle = new BrokerLifecycleManager({
    nodeId: settings.nodeId,
    clusterId: o.clusterId,
    incarnationId: o.incarnationId,
    rack: settings.rack,
    endpoints,
    logDirs: o.directoryIds,
    channel: node.channel,
    clock: world.clock,
    heartbeatIntervalMs: config.num('broker.heartbeat.interval.ms'),
    // A heartbeat stuck longer than half a session would let the session expire unnoticed.
    requestTimeoutMs: Math.min(config.num('controller.socket.timeout.ms'), Math.floor(config.num('broker.session.timeout.ms') / 2)),
    metadataOffset: () => node.loader.image.appliedOffset,
    whenMetadataAt: (offset) => node.whenApplied(offset),
    logger: log,
  });
  let logs: LogManager | undefined;
  try {
    await lifecycle.start();
    phases.mark('registration');
    logs = await openLogs(o, node.loader.image);
    phases.mark('logs');
    broker = new Broker(o, logs, lifecycle, security, interBroker, await readCheckpointedHighWatermarks(o));
    broker.bound = listeners;
    broker.advertised = endpoints()[0]!;
    node.loader.installPublisher(broker.publisher);
    await broker.publisher.idle();
    phases.mark('partitions');
    const b = broker;
    await migrateLegacySecurity({
      legacy: security.metadata.legacy,
      store: securityStore,
      channel: node.channel,
      controller: node.controller,
      image: node.loader.image,
      whenVisible: (condition) => b.publisher.whenVisible(condition),
      clock: world.clock,
      timeoutMs: config.num('controller.socket.timeout.ms'),
      log,
    });
    await migrateLegacyBrokerConfigs({
      brokerId: settings.nodeId,
      store: securityStore,
      channel: node.channel,
      image: node.loader.image,
      whenVisible: (condition) => b.publisher.whenVisible(condition),
      clock: world.clock,
      timeoutMs: config.num('controller.socket.timeout.ms'),
      log,
    });
    phases.mark('migrations');
    await lifecycle.unfence();
    phases.mark('unfence');
    broker.groups = await openGroupCoordinator(broker);
    broker.transactionsStarted = true;
    await broker.transactions.start();
    phases.mark('coordinators');
  } catch (err) {
    gate.fail(err);
    lifecycle.close();
    broker?.transactions.close();
    await broker?.fetchers.close();
    broker?.brokerConnections.close();
    broker?.txnConnections.markers.close();
    broker?.txnConnections.verification.close();
    broker?.replicaManager.close();
    await broker?.groups?.close();
    await Promise.all(listeners.map((l) => l.server.close(0)));
    await logs?.close();
    throw err;
  }
  gate.open();
  log.info({ node: broker.nodeId, cluster: broker.clusterId, listeners: broker.listeners.map((l) => `${l.name}://${l.host}:${l.port}`), advertised: broker.bootstrap, dataDir: o.dataDir, startMs: phases.ms }, 'broker ready');
  return broker;
}

/** replication-offset-checkpoint as the last run left it; an unreadable one is ignored (every partition then starts from its log start). */
async function readCheckpointedHighWatermarks(o: BrokerRoleOptions): Promise<OffsetCheckpoint> {
  try {
    return await readHighWatermarks(o.world.disk, o.dataDir);
  } catch (err) {
    if (!(err instanceof CheckpointFormatError)) throw err;
    o.log.warn({ err, dataDir: o.dataDir }, 'ignoring an unreadable replication-offset-checkpoint');
    return new Map();
  }
}

/** Opens the partition logs found in the data directory, each with its topic's config from the metadata. */
function openLogs(o: BrokerRoleOptions, image: MetadataImage): Promise<LogManager> {
  const { config, world, log } = o;
  const configFor = (topic: string) => (image.topic(topic) ? effectiveTopicConfig(new Map(Object.entries(image.topicConfigs(topic))), config.topicDefaults).log : undefined);
  return LogManager.open({
    dataDir: o.dataDir,
    clock: world.clock,
    disk: world.disk,
    random: world.random,
    logger: log.child({ component: 'log' }),
    defaults: effectiveTopicConfig(new Map(), config.topicDefaults).log,
    configFor: (topic) => {
      const c = configFor(topic);
      return c === undefined ? undefined : { ...c };
    },
    retentionCheckIntervalMs: config.num('log.retention.check.interval.ms'),
    maxDecodeBytes: LIMITS.maxDecodeBytes,
    excludeDirs: [METADATA_LOG_DIR_NAME],
    cleaner: config.bool('log.cleaner.enable') ? { backoffMs: config.num('log.cleaner.backoff.ms'), dedupeBufferBytes: Math.min(config.num('log.cleaner.dedupe.buffer.size'), 0x7fffffff), waitForHighWatermark: true } : false,
  });
}

/** The partitions of __consumer_offsets this broker leads now. */
function ledOffsetsPartitions(b: Broker): number[] {
  return (b.metadata.topic(CONSUMER_OFFSETS_TOPIC)?.partitions ?? []).filter((p) => p.leader === b.nodeId).map((p) => p.partitionId);
}

/**
 * Opens the group coordinator over the partitions of __consumer_offsets this broker leads, if the
 * topic exists: like Kafka, every node (a standalone one too) creates it only when a client first
 * looks for a group coordinator (FindCoordinator), which spares a fresh node the 50 partitions'
 * directories, segments and fsyncs at start. Leadership that moved while it loaded is caught up
 * with at once, later moves (the topic's creation among them) reach it through the metadata
 * publisher.
 */
async function openGroupCoordinator(b: Broker): Promise<GroupCoordinator> {
  const groupConfig = b.groupConfig;
  const coordinator = await openCoordinatorOver(b, groupConfig, ledOffsetsPartitions(b));
  const led = new Set(ledOffsetsPartitions(b));
  for (const p of led) void coordinator.onElection(p);
  for (const p of [...coordinator.ownedPartitions]) if (!led.has(p)) coordinator.onResignation(p);
  return coordinator;
}

function openCoordinatorOver(b: Broker, groupConfig: GroupConfig, partitions: readonly number[]): Promise<GroupCoordinator> {
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
      append: (batch, opts) => b.replicaManager.appendInternal(CONSUMER_OFFSETS_TOPIC, p, batch, commitTimeoutMs, opts?.verification),
      read: (offset, maxBytes, opts) => partition.log.read(offset, maxBytes, opts),
    };
  };
  const store = logOffsetsStore(partitionLog, groupConfig['offsets.load.buffer.size']);
  // Led here by the metadata but not yet loaded (the publisher is still opening the partitions): COORDINATOR_LOAD_IN_PROGRESS, not NOT_COORDINATOR.
  const ledHere = (p: number) => b.metadata.topic(CONSUMER_OFFSETS_TOPIC)?.partitions[p]?.leader === b.nodeId;
  const topics = {
    byName: (name: string) => b.metadata.topic(name),
    byId: (id: string) => b.metadata.topicById(id),
  };
  return GroupCoordinator.open({ clock: b.clock, logger: b.log, store, config: groupConfig, randomUuid: () => randomUuid(b.o.world.random), partitions, ledHere, topics });
}
