/**
 * A node's place in the cluster, read from its config with Kafka's rules (KafkaConfig's KRaft
 * validation): its roles, id, the static quorum, which listeners serve clients and which the
 * controller, and where the metadata log lives.
 *
 * Without `process.roles` the node is standalone: what `samsa broker` always was — one combined
 * broker and controller whose quorum is itself, with no controller listener (nobody needs to
 * reach it) and nothing else to configure.
 */
import { ConfigError } from '../../common/config-def.js';
import { type VoterEndpoint, parseQuorumVoters } from '../../controller/raft/quorum-config.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { type ListenerSpec, parseListeners, parseSecurityProtocolMap } from '../config/listeners.js';

export interface KRaftSettings {
  /** No `process.roles`: a single combined node, its own quorum. */
  readonly standalone: boolean;
  readonly isBroker: boolean;
  readonly isController: boolean;
  readonly nodeId: number;
  /** `controller.quorum.voters` (standalone: this node, with no address). */
  readonly voters: readonly VoterEndpoint[];
  readonly isVoter: boolean;
  /** Listeners this node binds for clients (broker role). */
  readonly clientListeners: readonly ListenerSpec[];
  /** Listeners this node binds for the controller (controller role; none when standalone). */
  readonly controllerListeners: readonly ListenerSpec[];
  /** The listener name controllers are reached on (the first of `controller.listener.names`). */
  readonly controllerListenerName: string | undefined;
  /** `advertised.listeners`, by name. */
  readonly advertised: ReadonlyMap<string, { host: string; port: number }>;
  /** The listener other brokers reach this one on. */
  readonly interBrokerListenerName: string;
  /** Where `__cluster_metadata-0` lives. */
  readonly metadataLogDir: string;
  readonly rack: string | null;
}

const fail = (name: string, message: string): never => {
  throw new ConfigError(name, message);
};

export function kraftSettings(config: BrokerConfig): KRaftSettings {
  const roles = config.get('process.roles') as string[];
  const protocols = parseSecurityProtocolMap(config.str('listener.security.protocol.map'));
  const controllerNames = (config.get('controller.listener.names') as string[]).map((n) => n.toUpperCase());
  const listeners = parseListeners('listeners', config.str('listeners'), protocols, controllerNames);
  const advertisedText = config.get('advertised.listeners') as string | null;
  const advertised = new Map((advertisedText ? parseListeners('advertised.listeners', advertisedText, protocols, controllerNames) : []).map((l) => [l.name, { host: l.host, port: l.port }]));
  const nodeId = config.nodeId;
  const base = {
    nodeId,
    advertised,
    metadataLogDir: (config.get('metadata.log.dir') as string | null) ?? config.dataDir,
    rack: config.get('broker.rack') as string | null,
  };
  if (roles.length === 0) {
    const client = listeners.filter((l) => !controllerNames.includes(l.name));
    if (client.length === 0) fail('listeners', 'listeners names no listener for clients');
    return {
      ...base,
      standalone: true,
      isBroker: true,
      isController: true,
      voters: [{ id: nodeId, host: '', port: 0 }],
      isVoter: true,
      clientListeners: client,
      controllerListeners: [],
      controllerListenerName: undefined,
      interBrokerListenerName: interBrokerListener(config, client),
    };
  }
  return clusterSettings(config, base, roles, listeners, controllerNames);
}

function clusterSettings(
  config: BrokerConfig,
  base: Pick<KRaftSettings, 'nodeId' | 'advertised' | 'metadataLogDir' | 'rack'>,
  roles: readonly string[],
  listeners: readonly ListenerSpec[],
  controllerNames: readonly string[],
): KRaftSettings {
  const isBroker = roles.includes('broker');
  const isController = roles.includes('controller');
  const votersText = config.get('controller.quorum.voters') as string | null;
  const voters = votersText ? parseQuorumVoters(votersText) : quorumOfItself(config, base, isController, listeners.filter((l) => controllerNames.includes(l.name)));
  const isVoter = voters.some((v) => v.id === base.nodeId);
  if (controllerNames.length === 0) fail('controller.listener.names', 'controller.listener.names must be set when process.roles is');
  if (isController && !isVoter) fail('controller.quorum.voters', `node.id ${base.nodeId} must be one of the controller.quorum.voters of a node with the controller role`);
  if (!isController && isVoter) fail('controller.quorum.voters', `node.id ${base.nodeId} is a voter in controller.quorum.voters but process.roles does not include controller`);
  const controllerListeners = listeners.filter((l) => controllerNames.includes(l.name));
  const clientListeners = listeners.filter((l) => !controllerNames.includes(l.name));
  if (isController && !controllerListeners.some((l) => l.name === controllerNames[0])) {
    fail('listeners', `The listeners config must contain the controller listener ${controllerNames[0]} on a node with the controller role`);
  }
  if (!isController && controllerListeners.length > 0) fail('listeners', `The listeners config must not contain a controller listener (${controllerListeners[0]!.name}) on a broker-only node`);
  if (isBroker && clientListeners.length === 0) fail('listeners', 'The listeners config must contain a listener for clients on a node with the broker role');
  return {
    ...base,
    standalone: false,
    isBroker,
    isController,
    voters,
    isVoter,
    clientListeners: isBroker ? clientListeners : [],
    controllerListeners: isController ? controllerListeners : [],
    controllerListenerName: controllerNames[0],
    interBrokerListenerName: interBrokerListener(config, clientListeners),
  };
}

/**
 * The quorum of a controller whose `controller.quorum.bootstrap.servers` (KIP-853's dynamic quorum)
 * names only itself, as Kafka 4's default server.properties does for a node formatted with
 * `kafka-storage format --standalone`: a quorum of one voter, this node at that address. Samsa's
 * quorums are static: anything else needs `controller.quorum.voters`.
 */
function quorumOfItself(config: BrokerConfig, base: Pick<KRaftSettings, 'nodeId' | 'advertised'>, isController: boolean, controllerListeners: readonly ListenerSpec[]): VoterEndpoint[] {
  const bootstrap = ((config.get('controller.quorum.bootstrap.servers') as string | null) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const staticOnly = 'Samsa supports static quorums (controller.quorum.voters), and a dynamic one only of a single controller whose controller.quorum.bootstrap.servers names itself';
  if (bootstrap.length === 0) return fail('controller.quorum.voters', `controller.quorum.voters must be set when process.roles is (${staticOnly})`);
  const m = bootstrap.length === 1 ? /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(bootstrap[0]!) : null;
  const host = m?.[1]!.replace(/^\[|\]$/g, '');
  const port = Number(m?.[2]);
  const own = isController && m !== null && controllerListeners.some((l) => l.port === port && isOwnHost(host!, l.host, base.advertised.get(l.name)?.host));
  if (!own) return fail('controller.quorum.bootstrap.servers', `controller.quorum.bootstrap.servers ${bootstrap.join(',')} is not this controller alone: set controller.quorum.voters (${staticOnly})`);
  return [{ id: base.nodeId, host: host!, port }];
}

/** Whether `host` reaches a listener bound to `bound` (empty or a wildcard: every local address) and advertised as `advertised`. */
function isOwnHost(host: string, bound: string, advertised: string | undefined): boolean {
  const local = ['localhost', '127.0.0.1', '::1'];
  return host === bound || host === advertised || (local.includes(host) && (local.includes(bound) || ['', '0.0.0.0', '::'].includes(bound)));
}

/** `inter.broker.listener.name`, else the PLAINTEXT listener (Kafka's default), else the first client listener. */
function interBrokerListener(config: BrokerConfig, client: readonly ListenerSpec[]): string {
  const named = (config.get('inter.broker.listener.name') as string | null)?.toUpperCase();
  if (named) {
    if (client.length > 0 && !client.some((l) => l.name === named)) fail('inter.broker.listener.name', `inter.broker.listener.name ${named} is not one of the listeners`);
    return named;
  }
  return client.find((l) => l.name === 'PLAINTEXT')?.name ?? client[0]?.name ?? 'PLAINTEXT';
}
