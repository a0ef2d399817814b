/**
 * The broker's configuration: Kafka's server.properties names and defaults, from a properties
 * file and/or explicit settings (CLI flags, startBroker options). Topic-config synonyms such as
 * log.retention.hours are broker configs too; they set the defaults of every topic.
 */
import { type ConfigKey, type ConfigValue, ConfigError, formatConfigValue, key, parseConfigValue } from '../../common/config-def.js';
import { GROUP_CONFIG_KEYS } from '../../group/group-config.js';
import { TXN_CONFIG_KEYS } from '../../txn/txn-config.js';
import { KRAFT_CONFIG_KEYS } from './kraft-configs.js';
import { type ListenerSpec, type SecurityProtocolName, parseListeners, parseSecurityProtocolMap } from './listeners.js';
import { SECURITY_CONFIG_KEYS, listenerPrefixedBase } from './security-configs.js';
import { type BrokerLayer, ConfigSource, type Synonym, topicSynonymKeys } from './topic-configs.js';

export const BROKER_CONFIG_KEYS: readonly ConfigKey[] = [
  key.int('node.id', 1, 'The node id of this broker.', 0),
  key.string('log.dirs', './data', 'The directory where the log data is kept.'),
  key.string('listeners', 'PLAINTEXT://127.0.0.1:9092', 'Listeners the broker binds to, comma-separated NAME://host:port (the name maps to a security protocol in listener.security.protocol.map).'),
  key.string('advertised.listeners', null, 'Listeners given to clients in metadata, by name, if different from listeners.'),
  key.int('num.partitions', 1, 'Default number of partitions of an automatically created topic.', 1),
  key.short('default.replication.factor', 1, 'Default replication factor of an automatically created topic.', 1),
  key.bool('auto.create.topics.enable', true, 'Create a topic when a client asks for metadata of, or produces to, an unknown topic.'),
  key.bool('delete.topic.enable', true, 'Allow topics to be deleted.'),
  key.int('socket.request.max.bytes', 104857600, 'Largest request frame accepted.', 1),
  key.long('connections.max.idle.ms', 600000, 'Close connections idle for this long.', 1),
  key.int('samsa.max.in.flight.requests.per.connection', 100, 'Samsa: requests read from one connection and not yet answered before reading pauses.', 1),
  key.int('samsa.max.in.flight.bytes.per.connection', 104857600, 'Samsa: bytes of request frames from one connection not yet answered before reading pauses.', 1),
  key.long('log.retention.check.interval.ms', 300000, 'How often segments are checked for deletion by retention.', 1),
  key.bool('log.cleaner.enable', true, 'Run the log cleaner that compacts topics with cleanup.policy=compact.'),
  key.long('log.cleaner.backoff.ms', 15000, 'How long the log cleaner sleeps when no log needs cleaning.', 0),
  key.long('log.cleaner.dedupe.buffer.size', 32 * 1024 * 1024, 'Bytes of the log cleaner\'s offset map (24 bytes a key, at most 2 GiB used): the keys one cleaning pass can deduplicate.', 0),
  key.int('max.incremental.fetch.session.cache.slots', 1000, 'Incremental fetch sessions (KIP-227) kept at once.', 0),
  key.long('replica.lag.time.max.ms', 30000, 'A follower that has not caught up with the leader for this long is removed from the ISR.', 1),
  key.long('replica.high.watermark.checkpoint.interval.ms', 5000, 'How often each partition\'s high watermark is written to replication-offset-checkpoint in the data directory.', 1),
  key.int('replica.fetch.wait.max.ms', 500, 'How long a follower\'s fetch waits at the leader for new data.', 0),
  key.int('replica.fetch.min.bytes', 1, 'Bytes a follower\'s fetch waits for at the leader.', 1),
  key.int('replica.fetch.max.bytes', 1048576, 'Bytes a follower fetches per partition (the first batch is returned whole).', 0),
  key.int('replica.fetch.response.max.bytes', 10485760, 'Bytes a follower fetches per request.', 0),
  key.int('replica.fetch.backoff.ms', 1000, 'How long a follower waits before fetching again after an error.', 0),
  key.int('replica.socket.timeout.ms', 30000, 'How long a follower waits for its leader to answer.', 1),
  key.long('leader.replication.throttled.rate', Number.MAX_SAFE_INTEGER, 'Bytes per second this broker serves to followers of the replicas its topics list in leader.replication.throttled.replicas (run-time config).', 0),
  key.long('follower.replication.throttled.rate', Number.MAX_SAFE_INTEGER, 'Bytes per second this broker fetches as a follower of the replicas its topics list in follower.replication.throttled.replicas (run-time config).', 0),
  key.int('replication.quota.window.num', 11, 'Samples the replication quotas measure their rates over.', 1),
  key.int('replication.quota.window.size.seconds', 1, 'Length of each sample of the replication quotas.', 1),
  // In Kafka 4's default server.properties, with nothing to set in Samsa (one event loop, no thread pools to size).
  ...(
    [
      ['num.network.threads', 3],
      ['num.io.threads', 8],
      ['num.recovery.threads.per.data.dir', 2],
      ['background.threads', 10],
    ] as const
  ).map(([name, def]) => key.int(name, def, 'Accepted for compatibility with Kafka; Samsa serves from one event loop and ignores it.', 1)),
  ...['socket.send.buffer.bytes', 'socket.receive.buffer.bytes'].map((name) => key.int(name, 102400, 'Accepted for compatibility with Kafka; Samsa leaves socket buffers to the kernel and ignores it.', -1)),
  ...(
    [
      ['share.coordinator.state.topic.replication.factor', 3],
      ['share.coordinator.state.topic.min.isr', 2],
    ] as const
  ).map(([name, def]) => key.int(name, def, 'Accepted for compatibility with Kafka; Samsa has no share groups (KIP-932) and ignores it.', 1)),
];

/** A broker config that sets a topic config's default, in its own unit (hours, minutes or the topic's); none where Kafka has none. */
function synonymKey(topic: ConfigKey, synonym: Synonym): ConfigKey {
  const { min: _min, synonyms: _s, ...rest } = topic as ConfigKey & { synonyms?: unknown };
  const scale = synonym.scale ?? 1;
  const def = typeof topic.default === 'number' && scale !== 1 ? topic.default / scale : topic.default;
  return { ...rest, name: synonym.name, default: synonym.noDefault || (typeof def === 'number' && !Number.isInteger(def)) ? null : def };
}

const KEYS = new Map<string, ConfigKey>([
  ...BROKER_CONFIG_KEYS.map((k) => [k.name, k] as const),
  ...KRAFT_CONFIG_KEYS.map((k) => [k.name, k] as const),
  ...GROUP_CONFIG_KEYS.map((k) => [k.name, k] as const),
  ...TXN_CONFIG_KEYS.map((k) => [k.name, k] as const),
  ...SECURITY_CONFIG_KEYS.map((k) => [k.name, k] as const),
  ...topicSynonymKeys().map(({ synonym, topicKey }) => [synonym.name, synonymKey(topicKey, synonym)] as const),
]);
KEYS.set('broker.id', { ...KEYS.get('node.id')!, name: 'broker.id' });
KEYS.set('log.dir', { ...KEYS.get('log.dirs')!, name: 'log.dir' });

/** The key a config name stands for: a broker config, or a listener-prefixed one (validated as its base). */
export function brokerConfigKey(name: string): ConfigKey | undefined {
  const k = KEYS.get(name);
  if (k) return k;
  const prefixed = listenerPrefixedBase(name);
  return prefixed ? { ...KEYS.get(prefixed.base)!, name } : undefined;
}

export interface ListenerAddress {
  host: string;
  port: number;
}

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = SecurityProtocolName;
export type { ListenerSpec } from './listeners.js';

/** `NAME://host:port` → name, host and port; an empty host means all interfaces. */
function parseListenerUri(text: string, config: string): { name: string; host: string; port: number } {
  const m = /^(?:([A-Za-z_][A-Za-z0-9_]*):\/\/)?(\[[^\]]*\]|[^:]*):(\d+)$/.exec(text.trim());
  if (!m) throw new ConfigError(config, `Invalid listener ${JSON.stringify(text)}: expected NAME://host:port`);
  const host = m[2]!.replace(/^\[|\]$/g, '');
  return { name: (m[1] ?? 'PLAINTEXT').toUpperCase(), host: host === '' ? '0.0.0.0' : host, port: Number(m[3]) };
}

/** `PLAINTEXT://host:port` (or `host:port`) → host and port of the first listener. */
export function parseListener(text: string): ListenerAddress {
  const { host, port } = parseListenerUri(text.split(',')[0]!, 'listeners');
  return { host, port };
}

/** What is said of a config name given that is no broker config (BrokerConfig.unknown), in Kafka's words. */
export const unknownConfigWarning = (name: string): string => `The configuration '${name}' was supplied but isn't a known config.`;

/** A broker's settings: what was set explicitly, validated, with typed access to the rest. */
export class BrokerConfig {
  /** Explicitly set values in Kafka's string form (the STATIC_BROKER_CONFIG source). */
  readonly props: ReadonlyMap<string, string>;
  /**
   * Values set at run time (AlterConfigs / IncrementalAlterConfigs on a broker resource, kept in the
   * metadata log as BROKER ConfigRecords and applied from the image: dynamic-broker-configs.ts):
   * this broker's own (DYNAMIC_BROKER_CONFIG), over the cluster-wide defaults (resource "",
   * DYNAMIC_DEFAULT_BROKER_CONFIG), over the static ones.
   */
  private readonly perBroker = new Map<string, string>();
  private readonly clusterDefault = new Map<string, string>();

  /**
   * Names given that are no broker config: left out, as Kafka leaves them (it logs each at start
   * and carries on, so that a server.properties with keys of another version or distribution
   * still starts; the broker logs these).
   */
  readonly unknown: readonly string[];

  constructor(props: Iterable<[string, string]> = []) {
    const m = new Map<string, string>();
    const unknown: string[] = [];
    for (const [name, text] of props) {
      const k = brokerConfigKey(name);
      if (!k) {
        unknown.push(name);
        continue;
      }
      parseConfigValue(k, text);
      m.set(name === 'broker.id' ? 'node.id' : name === 'log.dir' ? 'log.dirs' : name, text);
    }
    this.props = m;
    this.unknown = unknown;
    this.checkListeners();
  }

  /** The value of a broker config: as set (at run time, else statically), else its default. */
  get(name: string): ConfigValue | null {
    const k = brokerConfigKey(name);
    if (!k) throw new ConfigError(name, `Unknown broker config: ${name}`);
    const text = this.perBroker.get(name) ?? this.clusterDefault.get(name) ?? this.props.get(name);
    return text === undefined ? k.default : parseConfigValue(k, text);
  }

  /** Whether a config was set (statically or at run time). */
  isSet(name: string): boolean {
    return this.perBroker.has(name) || this.clusterDefault.has(name) || this.props.has(name);
  }

  /** This broker's run-time value of a config, if any. */
  dynamicValue(name: string): string | undefined {
    return this.perBroker.get(name);
  }

  /** Sets (or with null, removes) one run-time value of this broker; validated first. */
  setDynamic(name: string, value: string | null): void {
    const k = brokerConfigKey(name);
    if (!k) throw new ConfigError(name, `Unknown broker config: ${name}`);
    if (value === null) this.perBroker.delete(name);
    else {
      parseConfigValue(k, value);
      this.perBroker.set(name, value);
    }
  }

  /**
   * Replaces the run-time values with the metadata image's (this broker's and the cluster-wide
   * defaults) and returns the names whose value changed. Names Samsa does not know are kept out
   * (Kafka stores them too, unused); a value that does not parse is left out and reported.
   */
  applyDynamic(perBroker: Readonly<Record<string, string>>, clusterDefault: Readonly<Record<string, string>>, invalid: (name: string, err: Error) => void = () => undefined): string[] {
    const before = new Map([...new Set([...this.perBroker.keys(), ...this.clusterDefault.keys()])].map((n) => [n, this.perBroker.get(n) ?? this.clusterDefault.get(n)]));
    const fill = (target: Map<string, string>, from: Readonly<Record<string, string>>) => {
      target.clear();
      for (const [name, value] of Object.entries(from)) {
        const k = brokerConfigKey(name);
        if (!k) continue;
        try {
          parseConfigValue(k, value);
          target.set(name, value);
        } catch (err) {
          invalid(name, err as Error);
        }
      }
    };
    fill(this.perBroker, perBroker);
    fill(this.clusterDefault, clusterDefault);
    const names = new Set([...before.keys(), ...this.perBroker.keys(), ...this.clusterDefault.keys()]);
    return [...names].filter((n) => before.get(n) !== (this.perBroker.get(n) ?? this.clusterDefault.get(n)));
  }

  /** The layers topic configs default to, most specific first (topic-configs.ts). */
  get topicDefaults(): readonly BrokerLayer[] {
    return [
      { source: ConfigSource.DYNAMIC_BROKER_CONFIG, values: this.perBroker },
      { source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, values: this.clusterDefault },
      { source: ConfigSource.STATIC_BROKER_CONFIG, values: this.props },
    ];
  }

  /**
   * A listener's value of a config: `listener.name.<l>.<mechanism>.<name>` (when a mechanism is
   * given), then `listener.name.<l>.<name>`, then the broker-wide `<name>`.
   */
  listenerGet(listener: string, name: string, mechanism?: string): ConfigValue | null {
    const prefix = `listener.name.${listener.toLowerCase()}.`;
    if (mechanism !== undefined) {
      const withMech = `${prefix}${mechanism.toLowerCase()}.${name}`;
      if (this.isSet(withMech)) return this.get(withMech);
    }
    if (this.isSet(prefix + name)) return this.get(prefix + name);
    return this.get(name);
  }

  num(name: string): number {
    return this.get(name) as number;
  }

  bool(name: string): boolean {
    return this.get(name) as boolean;
  }

  str(name: string): string {
    return this.get(name) as string;
  }

  get nodeId(): number {
    return this.num('node.id');
  }

  get dataDir(): string {
    return this.str('log.dirs').split(',')[0]!.trim();
  }

  /** Every listener (the controller's too) with its security protocol (config/listeners.ts). */
  get listeners(): ListenerSpec[] {
    const controllerNames = (this.get('controller.listener.names') as string[]).map((n) => n.toUpperCase());
    return parseListeners('listeners', this.str('listeners'), parseSecurityProtocolMap(this.str('listener.security.protocol.map')), controllerNames);
  }

  /** The first listener's address. */
  get listener(): ListenerAddress {
    const first = this.listeners[0]!;
    return { host: first.host, port: first.port };
  }

  /** What clients of a listener are told to connect to, when advertised.listeners names it. */
  advertisedFor(listenerName: string): ListenerAddress | undefined {
    const a = this.get('advertised.listeners') as string | null;
    if (!a) return undefined;
    const all = a.split(',').filter((s) => s.trim() !== '').map((t) => parseListenerUri(t, 'advertised.listeners'));
    const found = all.find((l) => l.name === listenerName.toUpperCase());
    return found ? { host: found.host, port: found.port } : undefined;
  }

  /** What clients are told to connect to (the first listener's). */
  get advertised(): ListenerAddress {
    return this.advertisedFor(this.listeners[0]!.name) ?? this.listener;
  }

  private checkListeners(): void {
    const listeners = this.listeners;
    if (listeners.length === 0) throw new ConfigError('listeners', 'listeners must name at least one listener');
    const names = new Set<string>();
    for (const l of listeners) {
      if (names.has(l.name)) throw new ConfigError('listeners', `Each listener must have a different name, ${l.name} appears twice`);
      names.add(l.name);
    }
    const ports = listeners.filter((l) => l.port !== 0).map((l) => `${l.host}:${l.port}`);
    if (new Set(ports).size !== ports.length) throw new ConfigError('listeners', 'Each listener must have a different port');
    const inter = this.get('inter.broker.listener.name') as string | null;
    if (inter !== null && this.props.has('security.inter.broker.protocol')) throw new ConfigError('inter.broker.listener.name', 'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.');
    const a = this.get('advertised.listeners') as string | null;
    for (const adv of (a ?? '').split(',').filter((s) => s.trim() !== '')) {
      const l = parseListenerUri(adv, 'advertised.listeners');
      if (!names.has(l.name)) throw new ConfigError('advertised.listeners', `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners: ${l.name}`);
    }
  }

  /**
   * Every broker config with its value, source and synonyms, as DescribeConfigs on a broker
   * reports (Kafka's order of synonyms: run-time per-broker, run-time default, static, default).
   */
  describe(): { key: ConfigKey; value: string | null; source: ConfigSource; synonyms: { name: string; value: string | null; source: ConfigSource }[] }[] {
    const prefixed = [...new Set([...this.props.keys(), ...this.perBroker.keys(), ...this.clusterDefault.keys()])].filter((n) => !KEYS.has(n)).sort();
    return [...[...KEYS.values()].filter((k) => k.name !== 'broker.id' && k.name !== 'log.dir'), ...prefixed.map((n) => brokerConfigKey(n)!)].map((k) => {
      const synonyms: { name: string; value: string | null; source: ConfigSource }[] = [];
      for (const layer of this.topicDefaults) {
        const v = layer.values.get(k.name);
        if (v !== undefined) synonyms.push({ name: k.name, value: v, source: layer.source });
      }
      const def = formatConfigValue(k, k.default);
      if (k.default !== null) synonyms.push({ name: k.name, value: def, source: ConfigSource.DEFAULT_CONFIG });
      const first = synonyms[0];
      return first ? { key: k, value: first.value, source: first.source, synonyms } : { key: k, value: def, source: ConfigSource.DEFAULT_CONFIG, synonyms };
    });
  }
}
