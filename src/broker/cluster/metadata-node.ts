/**
 * What every node runs for the metadata (Kafka's SharedServer and ControllerServer): the Raft
 * client of `__cluster_metadata` (a voter on a controller, an observer on a broker-only node), the
 * loader that applies the committed log to the image, and on a controller the quorum controller
 * and the controller listener that serves the quorum's RPCs, broker registrations and forwarded
 * admin requests. The broker on the node (if any) reaches the active controller through the
 * channel made here: in-process when it is this node, else over the controller listener.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import { ConfigError } from '../../common/config-def.js';
import type { Random } from '../../common/random.js';
import { METADATA_VERSION_4_0 } from '../../controller/controller-config.js';
import { MetadataLoader } from '../../controller/image/metadata-loader.js';
import { QuorumController } from '../../controller/quorum-controller.js';
import { RaftClient } from '../../controller/raft/raft-client.js';
import { quorumConfig } from '../../controller/raft/quorum-config.js';
import type { LeaderAndEpoch } from '../../controller/raft/offset-and-epoch.js';
import type { MetadataRecordInput } from '../../protocol/metadata/index.js';
import type { Network } from '../../network/network.js';
import { NodeConnections } from '../../network/node-connections.js';
import { NetworkServer } from '../../network/server.js';
import type { DirectoryLock, Disk } from '../../storage/disk.js';
import { type BrokerConfig, brokerConfigKey } from '../config/broker-config.js';
import { brokerConfigChangeError } from '../config/dynamic-broker-configs.js';
import { parseTopicOverrides, topicConfigKey } from '../config/topic-configs.js';
import { CONTROLLER_HANDLERS, FORWARDABLE_HANDLERS } from '../controller-apis/index.js';
import type { ControllerNode, ControllerRequestContext } from '../controller-apis/controller-context.js';
import { createListenerDispatcher, supportedVersions } from '../dispatcher.js';
import { Faults } from '../faults/faults.js';
import type { Handler } from '../handler.js';
import { LIMITS } from '../limits.js';
import { type ListenerSpec, parseSecurityProtocolMap } from '../config/listeners.js';
import { configuredAuthorizer, listenerSecuritySetup } from '../security/broker-security.js';
import { ListenerTlsSet } from '../security/listener-tls-set.js';
import { controllerConfigPublisher } from './dynamic-config-publisher.js';
import { type ControllerAdmission, controllerAdmission } from './controller-admission.js';
import { maxConnectionsOf } from '../security/connection-admission.js';
import { AuthorizerPublisher } from '../security/authorizer-publisher.js';
import { type InterBrokerClient, controllerClient } from '../security/inter-broker-client.js';
import type { RandomBytes } from '../../common/random.js';
import type { MetadataImage } from '../../controller/image/metadata-image.js';
import { SCRAM_MECHANISM_CODES, type ScramCredential, type ScramMechanism } from '../../protocol/sasl/scram.js';
import type { StandardAuthorizer } from '../../security/authorizer.js';
import { ControllerChannel } from './controller-channel.js';
import type { KRaftSettings } from './kraft-settings.js';
import { NO_PEERS, networkRaftTransport } from './raft-transport.js';

export const METADATA_LOG_DIR_NAME = '__cluster_metadata-0';

export interface MetadataNodeOptions {
  readonly settings: KRaftSettings;
  readonly config: BrokerConfig;
  readonly clusterId: string;
  readonly bootstrapRecords: readonly MetadataRecordInput[];
  readonly clock: Clock;
  readonly random: Random;
  readonly disk: Disk;
  readonly network: Network;
  /** Secure randomness (SCRAM nonces on the controller listener and in logins to it). */
  readonly randomBytes: RandomBytes;
  /** Where keystores and truststores of the controller listener are read. */
  readonly configDisk: Disk;
  readonly log: Logger;
  /** The node's directories, locked for it (node-storage.ts); released once it is closed. */
  readonly directories?: DirectoryLock;
}

/** How this node connects to the controllers' listener: TLS and a SASL login as that listener's protocol asks (security/inter-broker-client.ts). */
type ControllerClient = InterBrokerClient;

export class MetadataNode {
  readonly loader: MetadataLoader;
  readonly raft: RaftClient;
  readonly controller: QuorumController | undefined;
  readonly controllerNode: ControllerNode | undefined;
  readonly connections: NodeConnections | undefined;
  readonly channel: ControllerChannel;
  readonly controllerFaults: Faults;
  /** The TLS contexts of the node's listeners: the controller listener's, joined by the client listeners' on a node with the broker role. */
  readonly tls = new ListenerTlsSet();
  /** Connection quotas of the controller listener (a controller in a cluster). */
  private readonly admission: ControllerAdmission | undefined;
  private controllerServers: NetworkServer[] = [];
  private leaderWaiters: (() => void)[] = [];
  private offsetWaiters: { offset: number; resolve: () => void }[] = [];

  private constructor(
    private readonly o: MetadataNodeOptions,
    client: ControllerClient,
  ) {
    const { settings, config, clock, log } = o;
    this.loader = new MetadataLoader({ onBadRecord: (offset, err) => log.error({ offset, err }, 'skipping a metadata record that does not decode') });
    const requestTimeoutMs = config.num('controller.quorum.request.timeout.ms');
    const voters = new Map(settings.voters.map((v) => [v.id, v]));
    this.connections = settings.standalone
      ? undefined
      : new NodeConnections({ address: (id) => voters.get(id), clock, network: o.network, clientId: `samsa-node-${settings.nodeId}`, requestTimeoutMs, connectTimeoutMs: requestTimeoutMs, tls: client.tls, authenticate: client.authenticate, onRefused: (nodeId, err) => log.warn({ nodeId, err: err.message }, 'a controller refused this node\'s connection; retrying') });
    this.raft = new RaftClient({
      nodeId: settings.nodeId,
      config: quorumConfig(settings.voters.map((v) => v.id), {
        electionTimeoutMs: config.num('controller.quorum.election.timeout.ms'),
        fetchTimeoutMs: config.num('controller.quorum.fetch.timeout.ms'),
        electionBackoffMaxMs: config.num('controller.quorum.election.backoff.max.ms'),
        requestTimeoutMs,
        retryBackoffMs: config.num('controller.quorum.retry.backoff.ms'),
        maxBytesBetweenSnapshots: config.num('metadata.log.max.record.bytes.between.snapshots'),
        maxSnapshotIntervalMs: config.num('metadata.log.max.snapshot.interval.ms'),
        segmentBytes: config.num('metadata.log.segment.bytes'),
      }),
      logDir: join(settings.metadataLogDir, METADATA_LOG_DIR_NAME),
      disk: o.disk,
      clock,
      random: o.random,
      transport: this.connections ? networkRaftTransport(this.connections, requestTimeoutMs) : NO_PEERS,
      listener: this.loader,
      clusterId: o.clusterId,
      onFatal: (err) => log.error({ err }, 'the metadata quorum client stopped on an error'),
      logger: log.child({ component: 'raft' }),
    });
    this.controllerFaults = new Faults(clock, (id) => this.loader.image.topicById(id)?.name);
    this.controller = settings.isController ? this.makeController() : undefined;
    const authorizer = settings.isController ? configuredAuthorizer(config) : undefined;
    this.controllerNode = this.controller ? this.makeControllerNode(this.controller, authorizer) : undefined;
    if (authorizer) this.loader.installPublisher(new AuthorizerPublisher(authorizer));
    if (this.controller) this.loader.installPublisher(this.controller);
    this.admission = this.controller && !settings.standalone ? controllerAdmission(config, clock) : undefined;
    if (this.admission) this.loader.installPublisher(this.admission.publisher);
    // On a node with the broker role, the broker applies the run-time configs (and reloads this set); a controller-only node does it here.
    if (settings.isController && !settings.isBroker) this.loader.installPublisher(controllerConfigPublisher(config, settings.nodeId, this.tls, log));
    this.loader.installPublisher({ onMetadataUpdate: (u) => this.applied(u.offset), onLeaderChange: (le) => this.leaderChanged(le) });
    this.channel = new ControllerChannel({
      nodeId: settings.nodeId,
      activeController: () => this.activeControllerId,
      whenControllerKnown: () => this.whenLeaderKnown(),
      ...(this.controllerNode ? { local: { node: this.controllerNode, handlers: new Map(CONTROLLER_HANDLERS.map((h) => [h.api.apiKey, h as Handler<unknown, unknown, ControllerRequestContext>])) } } : {}),
      ...(this.connections ? { connections: this.connections } : {}),
      clock,
      retryBackoffMs: Math.max(20, config.num('controller.quorum.retry.backoff.ms')),
      logger: log,
    });
  }

  /** Starts the controller listener (a controller in a cluster), then the Raft client. */
  static async start(o: MetadataNodeOptions): Promise<MetadataNode> {
    const node = new MetadataNode(o, o.settings.standalone ? {} : await controllerClient(o.config, controllerListenerOf(o.settings, o.config), o.configDisk, o.randomBytes));
    try {
      await node.listen();
      await node.raft.start();
    } catch (err) {
      await node.close();
      throw err;
    }
    return node;
  }

  private makeController(): QuorumController {
    const { settings, config, clock, random, log } = this.o;
    return new QuorumController({
      nodeId: settings.nodeId,
      clusterId: this.o.clusterId,
      raft: {
        append: (records, epoch) => this.raft.append(records, epoch),
        nextOffset: () => this.raft.log.endOffset,
        isLeader: (epoch) => this.raft.quorum.state.name === 'Leader' && this.raft.quorum.epoch === epoch,
        lastLeaderContact: () => this.raft.lastLeaderContact,
      },
      committedImage: () => this.loader.image,
      config: {
        numPartitions: config.num('num.partitions'),
        defaultReplicationFactor: config.num('default.replication.factor'),
        deleteTopicEnable: config.bool('delete.topic.enable'),
        maxPartitionsPerTopic: LIMITS.maxPartitionsPerTopic,
        brokerSessionTimeoutMs: config.num('broker.session.timeout.ms'),
        sessionGraceMs: 2 * config.num('broker.heartbeat.interval.ms'),
        ...(config.bool('auto.leader.rebalance.enable')
          ? { leaderBalance: { checkIntervalMs: config.num('leader.imbalance.check.interval.seconds') * 1000, imbalancePerBrokerPercentage: config.num('leader.imbalance.per.broker.percentage') } }
          : {}),
        uncleanLeaderElectionEnable: config.bool('unclean.leader.election.enable'),
        metadataVersion: METADATA_VERSION_4_0,
        validateTopicConfigs: (configs) => {
          try {
            parseTopicOverrides(configs);
            return undefined;
          } catch (e) {
            if (e instanceof ConfigError) return e.message;
            throw e;
          }
        },
        topicConfigKey,
        validateBrokerConfigs: brokerConfigChangeError,
        controllerIds: settings.voters.map((v) => v.id),
        brokerConfigKey,
      },
      clock,
      random,
      logger: log.child({ component: 'controller' }),
      bootstrapRecords: () => this.o.bootstrapRecords,
      ...(settings.isBroker ? { localBrokerId: settings.nodeId } : {}),
    });
  }

  private makeControllerNode(controller: QuorumController, authorizer: StandardAuthorizer | undefined): ControllerNode {
    const node: ControllerNode = {
      nodeId: this.o.settings.nodeId,
      clusterId: this.o.clusterId,
      raft: this.raft,
      controller,
      image: this.loader.image,
      voters: this.o.settings.voters,
      config: this.o.config,
      faults: this.controllerFaults,
      log: this.o.log,
      authorizer,
      apiVersions: supportedVersions(CONTROLLER_HANDLERS),
      forwardable: new Map(FORWARDABLE_HANDLERS.map((h) => [h.api.apiKey, h as Handler<unknown, unknown, ControllerRequestContext>])),
      committedOffset: () => this.loader.image.appliedOffset,
      validateTlsChange: (changes) => this.tls.validateChange(this.o.config, changes),
    };
    return node;
  }

  /** Binds the controller listeners of a controller in a cluster (a standalone node has none). */
  private async listen(): Promise<void> {
    const node = this.controllerNode;
    if (!node) return;
    const { config, clock, log } = this.o;
    const dispatcher = createListenerDispatcher<ControllerRequestContext>(
      { handlers: CONTROLLER_HANDLERS, faults: this.controllerFaults, context: (b) => ({ ...b, node, identity: { principal: b.connection.channel.principal, clientHost: b.connection.channel.clientHost } }) },
      log,
    );
    const world = { config, disk: this.o.configDisk, clock, randomBytes: this.o.randomBytes, log };
    for (const l of this.o.settings.controllerListeners) {
      // TLS and SASL as on a client listener; SCRAM logins against the credentials of the committed metadata.
      const setup = await listenerSecuritySetup(world, l, dispatcher, (user, mechanism) => scramCredentialOf(this.loader.image, user, mechanism));
      if (setup.tlsContext) this.tls.add(setup.tlsContext);
      const server = await NetworkServer.listen(
        {
          host: l.host,
          port: l.port,
          maxFrameBytes: config.num('socket.request.max.bytes'),
          maxInFlightRequests: config.num('samsa.max.in.flight.requests.per.connection'),
          maxInFlightBytes: config.num('samsa.max.in.flight.bytes.per.connection'),
          idleTimeoutMs: config.num('connections.max.idle.ms'),
          maxConnections: () => maxConnectionsOf(config, l.name),
          ...(this.admission ? { admission: this.admission.admission } : {}),
          network: this.o.network,
          clock,
          listenerName: l.name,
          securityProtocol: l.securityProtocol,
          ...(setup.tls ? { tls: setup.tls } : {}),
          ...(setup.authentication ? { authentication: setup.authentication } : {}),
          ...(setup.onConnection ? { onConnection: setup.onConnection } : {}),
        },
        setup.handler,
        log,
      );
      this.controllerServers.push(server);
    }
  }

  /** The controller listener's bound address, if this node has one. */
  get controllerAddress(): { host: string; port: number } | undefined {
    return this.controllerServers[0]?.address;
  }

  /** The controller this node knows leads the quorum, -1 for none. */
  get activeControllerId(): number {
    return this.raft.isRunning ? this.raft.leaderAndEpoch().leaderId : -1;
  }

  /** Resolves once the image holds the metadata up to `offset` (exclusive). */
  whenApplied(offset: number): Promise<void> {
    if (this.loader.image.appliedOffset >= offset) return Promise.resolve();
    return new Promise((resolve) => this.offsetWaiters.push({ offset, resolve }));
  }

  private applied(offset: number): void {
    if (this.offsetWaiters.length === 0) return;
    const done = this.offsetWaiters.filter((w) => w.offset <= offset);
    this.offsetWaiters = this.offsetWaiters.filter((w) => w.offset > offset);
    for (const w of done) w.resolve();
  }

  private whenLeaderKnown(): Promise<void> {
    if (this.activeControllerId >= 0) return Promise.resolve();
    return new Promise((resolve) => this.leaderWaiters.push(resolve));
  }

  private leaderChanged(le: LeaderAndEpoch): void {
    if (le.leaderId < 0 || this.leaderWaiters.length === 0) return;
    const waiters = this.leaderWaiters;
    this.leaderWaiters = [];
    for (const w of waiters) w();
  }

  /** Stops: a leading controller hands over to another voter first when `graceful` (within its time). */
  async close(graceful = false): Promise<void> {
    this.channel.close();
    this.controller?.close();
    if (graceful && this.raft.isRunning && this.o.settings.voters.length > 1) await this.raft.shutdown(this.o.config.num('controller.quorum.request.timeout.ms'));
    else await this.raft.close();
    await Promise.all(this.controllerServers.map((s) => s.close(1000)));
    this.connections?.close();
    for (const w of this.leaderWaiters) w();
    this.leaderWaiters = [];
    await this.o.directories?.release();
  }
}

/** The listener this node reaches the controllers on: its own controller listener, or (a broker-only node) the first of `controller.listener.names` with its protocol from the map. */
function controllerListenerOf(settings: KRaftSettings, config: BrokerConfig): Pick<ListenerSpec, 'name' | 'securityProtocol'> | undefined {
  const name = settings.controllerListenerName;
  if (name === undefined) return undefined;
  const own = settings.controllerListeners.find((l) => l.name === name);
  if (own) return own;
  return { name, securityProtocol: parseSecurityProtocolMap(config.str('listener.security.protocol.map')).get(name) ?? 'PLAINTEXT' };
}

/** A SCRAM credential of the image, as a SCRAM login checks it. */
function scramCredentialOf(image: MetadataImage, user: string, mechanism: ScramMechanism): ScramCredential | undefined {
  const e = image.security.scramCredential(user, SCRAM_MECHANISM_CODES[mechanism]);
  return e && { salt: e.salt, storedKey: e.storedKey, serverKey: e.serverKey, iterations: e.iterations };
}
