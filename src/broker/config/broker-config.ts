/**
 * The broker's configuration: Kafka's server.properties names and defaults, from a properties
 * file and/or explicit settings (CLI flags, startBroker options). Topic-config synonyms such as
 * log.retention.hours are broker configs too; they set the defaults of every topic.
 */
import { type ConfigKey, type ConfigValue, ConfigError, formatConfigValue, key, parseConfigValue } from '../../common/config-def.js';
import { GROUP_CONFIG_KEYS } from '../../group/group-config.js';
import { TXN_CONFIG_KEYS } from '../../txn/txn-config.js';
import { KRAFT_CONFIG_KEYS } from './kraft-configs.js';
import { ConfigSource, type Synonym, topicSynonymKeys } from './topic-configs.js';

export const BROKER_CONFIG_KEYS: readonly ConfigKey[] = [
  key.int('node.id', 1, 'The node id of this broker.', 0),
  key.string('log.dirs', './data', 'The directory where the log data is kept.'),
  key.string('listeners', 'PLAINTEXT://127.0.0.1:9092', 'Listener URI the broker binds to (one PLAINTEXT listener).'),
  key.string('advertised.listeners', null, 'Listener URI given to clients in metadata, if different from listeners.'),
  key.int('num.partitions', 1, 'Default number of partitions of an automatically created topic.', 1),
  key.short('default.replication.factor', 1, 'Default replication factor of an automatically created topic.', 1),
  key.bool('auto.create.topics.enable', true, 'Create a topic when a client asks for metadata of, or produces to, an unknown topic.'),
  key.bool('delete.topic.enable', true, 'Allow topics to be deleted.'),
  key.int('socket.request.max.bytes', 104857600, 'Largest request frame accepted.', 1),
  key.long('connections.max.idle.ms', 600000, 'Close connections idle for this long.', 1),
  key.int('max.connections', 2147483647, 'Largest number of client connections.', 0),
  key.int('samsa.max.in.flight.requests.per.connection', 100, 'Samsa: requests read from one connection and not yet answered before reading pauses.', 1),
  key.int('samsa.max.in.flight.bytes.per.connection', 104857600, 'Samsa: bytes of request frames from one connection not yet answered before reading pauses.', 1),
  key.long('log.retention.check.interval.ms', 300000, 'How often segments are checked for deletion by retention.', 1),
  key.bool('log.cleaner.enable', true, 'Run the log cleaner that compacts topics with cleanup.policy=compact.'),
  key.int('max.incremental.fetch.session.cache.slots', 1000, 'Incremental fetch sessions (KIP-227) kept at once.', 0),
  key.long('replica.lag.time.max.ms', 30000, 'A follower that has not caught up with the leader for this long is removed from the ISR.', 1),
  key.int('replica.fetch.wait.max.ms', 500, 'How long a follower\'s fetch waits at the leader for new data.', 0),
  key.int('replica.fetch.min.bytes', 1, 'Bytes a follower\'s fetch waits for at the leader.', 1),
  key.int('replica.fetch.max.bytes', 1048576, 'Bytes a follower fetches per partition (the first batch is returned whole).', 0),
  key.int('replica.fetch.response.max.bytes', 10485760, 'Bytes a follower fetches per request.', 0),
  key.int('replica.fetch.backoff.ms', 1000, 'How long a follower waits before fetching again after an error.', 0),
  key.int('replica.socket.timeout.ms', 30000, 'How long a follower waits for its leader to answer.', 1),
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
  ...topicSynonymKeys().map(({ synonym, topicKey }) => [synonym.name, synonymKey(topicKey, synonym)] as const),
]);
KEYS.set('broker.id', { ...KEYS.get('node.id')!, name: 'broker.id' });
KEYS.set('log.dir', { ...KEYS.get('log.dirs')!, name: 'log.dir' });

export function brokerConfigKey(name: string): ConfigKey | undefined {
  return KEYS.get(name);
}

export interface ListenerAddress {
  host: string;
  port: number;
}

/** `PLAINTEXT://host:port` (or `host:port`) → host and port; an empty host means all interfaces. */
export function parseListener(text: string): ListenerAddress {
  const first = text.split(',')[0]!.trim();
  const m = /^(?:[A-Za-z_]+:\/\/)?(\[[^\]]*\]|[^:]*):(\d+)$/.exec(first);
  if (!m) throw new ConfigError('listeners', `Invalid listener ${JSON.stringify(text)}: expected PLAINTEXT://host:port`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(m[2]) };
}

/** A broker's settings: what was set explicitly, validated, with typed access to the rest. */
export class BrokerConfig {
  /** Explicitly set values in Kafka's string form (the STATIC_BROKER_CONFIG source). */
  readonly props: ReadonlyMap<string, string>;

  constructor(props: Iterable<[string, string]> = []) {
    const m = new Map<string, string>();
    for (const [name, text] of props) {
      const k = KEYS.get(name);
      if (!k) throw new ConfigError(name, `Unknown broker config: ${name}`);
      parseConfigValue(k, text);
      m.set(name === 'broker.id' ? 'node.id' : name === 'log.dir' ? 'log.dirs' : name, text);
    }
    this.props = m;
  }

  /** The value of a broker config: as set, else its default. */
  get(name: string): ConfigValue | null {
    const k = KEYS.get(name);
    if (!k) throw new ConfigError(name, `Unknown broker config: ${name}`);
    const text = this.props.get(name);
    return text === undefined ? k.default : parseConfigValue(k, text);
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

  get listener(): ListenerAddress {
    return parseListener(this.str('listeners'));
  }

  /** What clients are told to connect to. */
  get advertised(): ListenerAddress {
    const a = this.get('advertised.listeners') as string | null;
    return a ? parseListener(a) : this.listener;
  }

  /** Every broker config with its value and source, as DescribeConfigs on a broker reports. */
  describe(): { key: ConfigKey; value: string | null; source: ConfigSource }[] {
    return [...KEYS.values()]
      .filter((k) => k.name !== 'broker.id' && k.name !== 'log.dir')
      .map((k) => {
        const text = this.props.get(k.name);
        return text === undefined
          ? { key: k, value: formatConfigValue(k, k.default), source: ConfigSource.DEFAULT_CONFIG }
          : { key: k, value: text, source: ConfigSource.STATIC_BROKER_CONFIG };
      });
  }
}
