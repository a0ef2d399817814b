/**
 * What the client knows of a cluster and its connections to it:
 * - `metadata(topics)`: brokers and each topic's partitions with their leaders, refreshed from a
 *   Metadata request (all topics with `null`), cached until `refresh` or `maxAgeMs`;
 * - `connectionTo(nodeId)` / `leaderFor(topic, partition)`: one pipelined BrokerConnection per
 *   broker, opened on first use and reopened after it is lost;
 * - `coordinator(key, type)`: the group (or transaction) coordinator from FindCoordinator, cached
 *   until `forgetCoordinator`;
 * - `any()`: a connection to any broker (a bootstrap server until metadata names the brokers).
 *
 * Not done yet: rack awareness, reading from followers.
 */
import { systemClock } from '../common/clock.js';
import { systemRandom } from '../common/random.js';
import { nodeNetwork } from '../network/network.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { FindCoordinatorApi, MetadataApi } from '../protocol/messages/index.js';
import { BrokerConnection } from './broker-connection.js';
import { KafkaProtocolError, SamsaClientError, isRetriable, throwIfError } from './errors.js';
import { type RetryOptions, type RetryPolicy, withRetries } from './retry.js';
import type { Clock, Network, Random } from './world.js';
import type { SaslOptions, TlsOptions } from './security.js';
import { type RandomBytes, randomBytesFrom, systemRandomBytes } from '../common/random.js';

export interface ClusterOptions {
  /** `host:port` of one or more brokers to start from. */
  bootstrapServers: readonly string[];
  clientId?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Metadata older than this is refreshed before use (Kafka's metadata.max.age.ms, default 5 min). */
  metadataMaxAgeMs?: number;
  retry?: RetryOptions;
  /**
   * Time and timers: timeouts, metadata age, lingers, backoffs, heartbeats, auto-commits and
   * record timestamps (default: the system clock; a ManualClock in tests).
   */
  clock?: Clock;
  /** The jitter of retry backoffs and the sticky partition of unkeyed records (default Math.random). */
  random?: Random;
  /** How connections to brokers are opened (default node:net). */
  network?: Network;
  /** TLS to every broker (Kafka's security.protocol SSL or SASL_SSL): node:tls options, or true for the system's CAs. */
  ssl?: TlsOptions | true;
  /** SASL login on every connection (Kafka's SASL_PLAINTEXT or SASL_SSL with sasl.mechanism). */
  sasl?: SaslOptions;
  /** Secure random bytes for SCRAM nonces (default node:crypto's; drawn from `random` when only that is given). */
  randomBytes?: RandomBytes;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** Replicas on brokers that are down (fenced or unregistered). */
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionInfo[];
}

/** What a coordinator coordinates: a consumer group, or a transactional id. */
export type CoordinatorType = 'group' | 'transaction';

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

const NO_NODE = -1;

export class Cluster {
  readonly clientId: string;
  readonly brokers = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, { info: TopicInfo; fetchedAt: number }>();
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private readonly coordinators = new Map<string, number>();
  private readonly opened = new Set<BrokerConnection>();
  private bootstrap: Promise<BrokerConnection> | undefined;
  clusterId: string | null = null;
  controllerId = NO_NODE;
  private closed = false;
  readonly clock: Clock;
  readonly random: Random;
  readonly network: Network;
  readonly randomBytes: RandomBytes;
  /** Topics the broker refused to describe (TOPIC_AUTHORIZATION_FAILED), so `topic()` says so. */
  private readonly topicErrors = new Map<string, number>();
  /** The retry options with this cluster's clock and random. */
  readonly retry: RetryPolicy;

  constructor(readonly options: ClusterOptions) {
    if (options.bootstrapServers.length === 0) throw new SamsaClientError('SAMSA_CONFIG', 'bootstrapServers is empty: give at least one host:port');
    this.clientId = options.clientId ?? 'samsa';
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.network = options.network ?? nodeNetwork;
    this.randomBytes = options.randomBytes ?? (options.random ? randomBytesFrom(options.random) : systemRandomBytes);
    this.retry = { ...options.retry, clock: this.clock, random: this.random };
  }

  /** Metadata for these topics (from the cache when fresh); unknown topics are left out. */
  async metadata(topics: readonly string[], opts: { refresh?: boolean; allowAutoCreate?: boolean } = {}): Promise<Map<string, TopicInfo>> {
    const maxAge = this.options.metadataMaxAgeMs ?? 300_000;
    const now = this.clock.now();
    const stale = opts.refresh ? topics : topics.filter((t) => (this.topics.get(t)?.fetchedAt ?? -Infinity) < now - maxAge);
    if (stale.length > 0) await this.refresh(stale, opts.allowAutoCreate ?? false);
    const out = new Map<string, TopicInfo>();
    for (const t of topics) {
      const entry = this.topics.get(t);
      if (entry) out.set(t, entry.info);
    }
    return out;
  }

  /** One topic's metadata; throws UNKNOWN_TOPIC_OR_PARTITION when the cluster does not have it. */
  async topic(name: string, opts: { refresh?: boolean; allowAutoCreate?: boolean } = {}): Promise<TopicInfo> {
    const info = (await this.metadata([name], opts)).get(name);
    if (!info) throw new KafkaProtocolError(this.topicErrors.get(name) ?? 3, `topic ${name}`);
    return info;
  }

  /** Every topic's metadata, fetched now. */
  async allTopics(): Promise<TopicInfo[]> {
    return this.refresh(null, false);
  }

  /** Fetches metadata for `topics` (all with null) and updates the cache. */
  async refresh(topics: readonly string[] | null, allowAutoCreate: boolean): Promise<TopicInfo[]> {
    return withRetries(async () => {
      const conn = await this.any();
      const res = await conn.send(MetadataApi, { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation: allowAutoCreate });
      for (const b of res.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
      this.clusterId = res.clusterId;
      this.controllerId = res.controllerId;
      const now = this.clock.now();
      const infos: TopicInfo[] = [];
      let retriable: KafkaProtocolError | undefined;
      for (const t of res.topics) {
        if (t.name === null) continue;
        if (t.errorCode !== 0) {
          this.topics.delete(t.name);
          if (t.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED) this.topicErrors.set(t.name, t.errorCode);
          const err = new KafkaProtocolError(t.errorCode, `topic ${t.name}`);
          // Being created, or its leader being elected: worth asking again.
          if (err.retriable && t.errorCode !== 3) retriable = err;
          continue;
        }
        const info: TopicInfo = {
          name: t.name,
          topicId: t.topicId,
          isInternal: t.isInternal,
          partitions: t.partitions
            .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offlineReplicas: p.offlineReplicas, errorCode: p.errorCode }))
            .sort((a, b) => a.partition - b.partition),
        };
        this.topics.set(t.name, { info, fetchedAt: now });
        this.topicErrors.delete(t.name);
        infos.push(info);
      }
      if (retriable) throw retriable;
      return infos;
    }, this.retry);
  }

  /** Forgets a topic's metadata, so the next use fetches it (after NOT_LEADER_OR_FOLLOWER, say). */
  invalidate(topic: string): void {
    this.topics.delete(topic);
  }

  /** The connection to a broker by node id. */
  connectionTo(nodeId: number): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new SamsaClientError('SAMSA_CLOSED', 'the client is closed'));
    const existing = this.connections.get(nodeId);
    if (!existing) return this.reconnect(nodeId);
    // Of several callers finding the connection lost, only the first opens a new one.
    const again = () => (this.connections.get(nodeId) === existing ? this.reconnect(nodeId) : this.connectionTo(nodeId));
    return existing.then((c) => (c.isOpen ? c : again()), again);
  }

  /** The connection to a broker named by a caller, its address learned from metadata first when not known yet. */
  async brokerConnection(nodeId: number): Promise<BrokerConnection> {
    if (!this.brokers.has(nodeId)) await this.refresh([], false);
    return this.connectionTo(nodeId);
  }

  /** The connection to a partition's leader (fetching metadata when unknown). */
  async leaderFor(topic: string, partition: number): Promise<BrokerConnection> {
    const info = await this.topic(topic);
    const p = info.partitions[partition];
    if (!p) throw new KafkaProtocolError(3, `${topic} has no partition ${partition}`);
    if (p.leader === NO_NODE) {
      this.invalidate(topic);
      throw new KafkaProtocolError(5, `${topic}-${partition}`);
    }
    return this.connectionTo(p.leader);
  }

  /** A connection to any broker: a known one if there is one, else a bootstrap server. */
  async any(): Promise<BrokerConnection> {
    for (const [nodeId, c] of this.connections) {
      const conn = await c.catch(() => undefined);
      if (conn?.isOpen) return conn;
      this.connections.delete(nodeId);
    }
    if (this.brokers.size > 0) {
      for (const nodeId of this.brokers.keys()) {
        const conn = await this.connectionTo(nodeId).catch(() => undefined);
        if (conn) return conn;
      }
    }
    return this.bootstrapConnection();
  }

  /** The coordinator of a group (or a transactional id), found with FindCoordinator and cached. */
  async coordinator(key: string, keyType: CoordinatorType = 'group'): Promise<BrokerConnection> {
    return this.connectionTo(await this.coordinatorId(key, keyType));
  }

  /** The node id of the coordinator of a group (or a transactional id), found with FindCoordinator and cached. */
  async coordinatorId(key: string, keyType: CoordinatorType = 'group'): Promise<number> {
    const cacheKey = `${keyType}\u0000${key}`;
    const known = this.coordinators.get(cacheKey);
    if (known !== undefined) return known;
    const type = keyType === 'group' ? 0 : 1;
    const nodeId = await withRetries(async () => {
      const conn = await this.any();
      const batched = (conn.versionFor(FindCoordinatorApi as never) ?? 0) >= 4;
      const res = await conn.send(FindCoordinatorApi, batched ? { keyType: type, coordinatorKeys: [key] } : { key, keyType: type });
      const c = batched ? res.coordinators[0] : { errorCode: res.errorCode, errorMessage: res.errorMessage, nodeId: res.nodeId, host: res.host, port: res.port };
      if (!c) throw new SamsaClientError('SAMSA_PROTOCOL', 'FindCoordinator answered no coordinator');
      throwIfError(c.errorCode, c.errorMessage);
      this.brokers.set(c.nodeId, { nodeId: c.nodeId, host: c.host, port: c.port, rack: this.brokers.get(c.nodeId)?.rack ?? null });
      return c.nodeId;
    }, this.retry);
    this.coordinators.set(cacheKey, nodeId);
    return nodeId;
  }

  /**
   * Runs `fn` with the connection to the coordinator of `key`, as Kafka's admin client does: when
   * the call fails with a retriable error (the coordinator moved, is loading, or its connection was
   * lost), the coordinator is forgotten and looked up again before the next try, with backoff.
   */
  withCoordinator<T>(key: string, keyType: CoordinatorType, fn: (conn: BrokerConnection, nodeId: number) => Promise<T>): Promise<T> {
    return withRetries(
      async () => {
        const nodeId = await this.coordinatorId(key, keyType);
        return fn(await this.connectionTo(nodeId), nodeId);
      },
      this.retry,
      () => this.forgetCoordinator(key, keyType),
    );
  }

  /** Forgets a coordinator (after NOT_COORDINATOR or a lost connection). */
  forgetCoordinator(key: string, keyType: CoordinatorType = 'group'): void {
    this.coordinators.delete(`${keyType}\u0000${key}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    const opening = [...this.connections.values(), ...(this.bootstrap ? [this.bootstrap] : [])];
    this.connections.clear();
    this.bootstrap = undefined;
    await Promise.all(opening.map((p) => p.catch(() => undefined)));
    for (const c of this.opened) c.close();
    this.opened.clear();
  }

  private reconnect(nodeId: number): Promise<BrokerConnection> {
    const broker = this.brokers.get(nodeId);
    if (!broker) return Promise.reject(new SamsaClientError('SAMSA_CONNECTION', `no address known for broker ${nodeId}`));
    const p = this.open(broker.host, broker.port);
    this.connections.set(nodeId, p);
    p.catch(() => this.connections.delete(nodeId));
    return p;
  }

  private bootstrapConnection(): Promise<BrokerConnection> {
    const current = this.bootstrap;
    if (!current) return this.openBootstrap();
    const again = () => (this.bootstrap === current ? this.openBootstrap() : this.bootstrapConnection());
    return current.then((c) => (c.isOpen ? c : again()), again);
  }

  private openBootstrap(): Promise<BrokerConnection> {
    this.bootstrap = (async () => {
      let last: unknown;
      for (const server of this.options.bootstrapServers) {
        const [host, port] = splitHostPort(server);
        try {
          return await this.open(host, port);
        } catch (err) {
          // A refused login or certificate is not a broker that is down: say so, and do not retry.
          if (!isRetriable(err)) throw err;
          last = err;
        }
      }
      throw new SamsaClientError('SAMSA_CONNECTION', `cannot reach any bootstrap server (${this.options.bootstrapServers.join(', ')}): is a broker running there? (${(last as Error).message})`, { cause: last });
    })();
    return this.bootstrap;
  }

  private async open(host: string, port: number): Promise<BrokerConnection> {
    if (this.closed) throw new SamsaClientError('SAMSA_CLOSED', 'the client is closed');
    const conn = await BrokerConnection.connect({
      host,
      port,
      clientId: this.clientId,
      clock: this.clock,
      network: this.network,
      random: this.random,
      randomBytes: this.randomBytes,
      ...(this.options.ssl !== undefined ? { tls: this.options.ssl } : {}),
      ...(this.options.sasl !== undefined ? { sasl: this.options.sasl } : {}),
      ...(this.options.requestTimeoutMs !== undefined ? { requestTimeoutMs: this.options.requestTimeoutMs } : {}),
      ...(this.options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.options.connectTimeoutMs } : {}),
    });
    if (this.closed) {
      conn.close();
      throw new SamsaClientError('SAMSA_CLOSED', 'the client is closed');
    }
    // Every connection is closed with the cluster, whatever map it ended up in.
    this.opened.add(conn);
    void conn.closed.then(() => this.opened.delete(conn));
    return conn;
  }
}

/** `host:port`, `[v6addr]:port`; the port defaults to 9092. */
export function splitHostPort(s: string): [string, number] {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new SamsaClientError('SAMSA_CONFIG', `not a host:port: ${s}`);
  const port = m[2] === undefined ? 9092 : Number(m[2]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new SamsaClientError('SAMSA_CONFIG', `bad port in ${s}`);
  return [m[1]!, port];
}
