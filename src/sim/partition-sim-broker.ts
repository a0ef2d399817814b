/**
 * One broker of the partition simulation, made of the real parts a broker's partition layer is
 * made of (broker-role.ts wires the same ones): a LogManager over a SimDisk (its MemoryDisk
 * outlives the broker's incarnations, and a crash drops its unsynced writes per the power-loss
 * model, or keeps them for kill -9), a MetadataLoader and the BrokerMetadataPublisher making its
 * Partitions follow the committed metadata, the ReplicaManager (produce and DelayedProduce
 * purgatory, fetch, the ISR shrink timer), the ReplicaFetcherManager (OffsetForLeaderEpoch
 * truncation, follower fetch), the AlterPartitionManager and the BrokerLifecycleManager
 * (registration, heartbeats). Requests are served by the real Produce, Fetch and
 * OffsetForLeaderEpoch handlers, given the part of the broker context they use (no authorizer,
 * no quotas). Everything runs on the broker's own SimClock, which may be skewed and drift.
 *
 * What it models rather than runs: the metadata log is read by polling the controller
 * (METADATA_LOG_FETCH) instead of being a Raft observer; the socket layer (framing, connection
 * ordering) is the simulated network.
 */
import pino from 'pino';
import { produceHandler } from '../broker/handlers/00-produce.js';
import { fetchHandler } from '../broker/handlers/01-fetch.js';
import { offsetForLeaderEpochHandler } from '../broker/handlers/23-offset-for-leader-epoch.js';
import type { AnyHandler, RequestContext } from '../broker/handler.js';
import type { BrokerContext } from '../broker/broker-context.js';
import { BrokerLifecycleManager } from '../broker/cluster/broker-lifecycle.js';
import { ControllerChannel } from '../broker/cluster/controller-channel.js';
import { BrokerMetadataPublisher } from '../broker/cluster/broker-metadata-publisher.js';
import type { TopicPolicy } from '../broker/config/topic-configs.js';
import { FetchSessionCache } from '../broker/fetch/fetch-sessions.js';
import { ReplicaManager } from '../broker/partitions/replica-manager.js';
import { AlterPartitionManager } from '../broker/replication/alter-partition-manager.js';
import { BrokerConfig } from '../broker/config/broker-config.js';
import { replicationQuotas } from '../broker/replication/replication-quotas.js';
import { ReplicaFetcherManager } from '../broker/replication/replica-fetcher.js';
import { readHighWatermarks } from '../broker/partitions/high-watermark-checkpoint.js';
import { CheckpointFormatError, type OffsetCheckpoint } from '../log/offset-checkpoint-file.js';
import { LogManager } from '../log/log-manager.js';
import type { LogConfig } from '../log/log-config.js';
import { ReadBufferPool } from '../log/read-buffer-pool.js';
import { MemoryDisk } from '../storage/memory-disk.js';
import { MetadataLoader } from '../controller/image/metadata-loader.js';
import type { ProduceRequest, ProduceResponseInput } from '../protocol/messages/index.js';
import { CONTROLLER_NODE_ID, METADATA_LOG_FETCH, PSIM_CLUSTER_ID } from './partition-sim-controller.js';
import type { SeededRandom } from './seeded-random.js';
import { SimClock } from './sim-clock.js';
import { SimDisk } from './sim-disk.js';
import { type RpcConnections, type SimRpcNetwork, decodeWith, encodeWith } from './sim-rpc-network.js';
import type { SimWorld } from './sim-world.js';

const SILENT = pino({ level: 'silent' });
const DATA_ROOT = '/data';

/** The broker settings of the simulation (Kafka's names), in the broker's own milliseconds. */
export interface PsimBrokerSettings {
  /** replica.lag.time.max.ms */
  readonly replicaLagTimeMaxMs: number;
  /** replica.high.watermark.checkpoint.interval.ms */
  readonly hwCheckpointIntervalMs: number;
  /** broker.heartbeat.interval.ms */
  readonly heartbeatIntervalMs: number;
  /** broker.session.timeout.ms (the controller's) */
  readonly sessionTimeoutMs: number;
  /** replica.fetch.wait.max.ms */
  readonly fetchWaitMaxMs: number;
  /** replica.fetch.backoff.ms */
  readonly fetchBackoffMs: number;
  /** replica.socket.timeout.ms */
  readonly socketTimeoutMs: number;
  /** How often the broker reads the metadata log. */
  readonly metadataPollMs: number;
  /** The most simulated ms a disk operation takes. */
  readonly diskLatencyMs: number;
  readonly log: LogConfig;
  readonly policy: TopicPolicy;
  /** The deliberate defect of the controls (see ReplicaManagerOptions). */
  readonly unsafeAcksAllWithoutIsr?: boolean;
}

export class PsimBroker {
  incarnation = 0;
  alive = false;
  /** Registered and unfenced at least once in this incarnation. */
  ready = false;
  readonly disk: MemoryDisk;
  clock: SimClock;
  private simDisk: SimDisk | undefined;
  replicaManager: ReplicaManager | undefined;
  private lifecycle: BrokerLifecycleManager | undefined;
  private channel: ControllerChannel | undefined;
  private fetchers: ReplicaFetcherManager | undefined;
  /** The fetch-session counts of this broker's fetchers in earlier incarnations. */
  private readonly pastFetches = { full: 0, incremental: 0, sessionErrors: 0 };
  loader: MetadataLoader | undefined;
  private readonly handlers = new Map<number, AnyHandler>([produceHandler, fetchHandler, offsetForLeaderEpochHandler].map((h) => [h.api.apiKey, h as AnyHandler]));
  /** The leader epochs in which this broker answered an acks=all produce successfully (any incarnation), per partition: `partition:epoch`. */
  readonly ackedAllByEpoch = new Set<string>();
  /** The leader epoch in which this broker acknowledged the acks=all batch at `partition:baseOffset` (the latest, if several). */
  readonly ackedAllEpochAt = new Map<string, number>();
  /** Errors that stopped an incarnation (start-up failures); a run reports them. */
  readonly errors: string[] = [];

  constructor(
    readonly id: number,
    private readonly world: SimWorld,
    private readonly network: SimRpcNetwork,
    private readonly random: SeededRandom,
    private readonly settings: PsimBrokerSettings,
    clockOffsetMs: number,
  ) {
    const r = random.fork(`disk-${id}`);
    this.disk = new MemoryDisk(() => r.next(), () => world.now);
    // The machine's /data exists, durably, before the broker first starts (as an administrator's
    // mount point would); the log manager makes its own directory in it durable.
    void this.disk.mkdir(DATA_ROOT).then(() => this.disk.syncDir('/'));
    this.clock = new SimClock(world, clockOffsetMs);
  }

  /** Starts a new incarnation from what the disk holds. */
  async start(): Promise<void> {
    const s = this.settings;
    const world = this.world;
    const incarnation = ++this.incarnation;
    this.alive = true;
    this.ready = false;
    const rate = this.clock.rate;
    this.clock = new SimClock(world, this.clock.now() - world.now);
    this.clock.setRate(rate);
    const clock = this.clock;
    const live = () => this.alive && this.incarnation === incarnation;
    this.simDisk = new SimDisk(world, this.disk, { maxLatencyMs: s.diskLatencyMs });
    const conns: RpcConnections = this.network.connections(this.id, clock, live, s.socketTimeoutMs);
    const channel = new ControllerChannel({ nodeId: this.id, activeController: () => CONTROLLER_NODE_ID, whenControllerKnown: () => Promise.resolve(), connections: conns, clock, retryBackoffMs: 50, logger: SILENT });
    const loader = new MetadataLoader();
    this.loader = loader;
    const random = this.random.fork(`broker-${this.id}-${incarnation}`);
    let publisher: BrokerMetadataPublisher | undefined;
    const applied: { offset: number; waiters: { offset: number; resolve: () => void }[] } = { offset: 0, waiters: [] };
    const lifecycle = new BrokerLifecycleManager({
      nodeId: this.id,
      clusterId: PSIM_CLUSTER_ID,
      incarnationId: Buffer.from(Array.from({ length: 16 }, () => random.nextInt(256))).toString('base64url'),
      rack: null,
      endpoints: () => [{ name: 'PLAINTEXT', host: `broker-${this.id}`, port: 9092, securityProtocol: 0 }],
      logDirs: ['c2ltdWxhdGVkRGlyZWN0bw'],
      channel,
      clock,
      heartbeatIntervalMs: s.heartbeatIntervalMs,
      requestTimeoutMs: Math.floor(s.sessionTimeoutMs / 2),
      metadataOffset: () => loader.image.appliedOffset,
      whenMetadataAt: (offset) => (applied.offset >= offset ? Promise.resolve() : new Promise((resolve) => applied.waiters.push({ offset, resolve }))),
      logger: SILENT,
    });
    this.lifecycle = lifecycle;
    this.channel = channel;
    // The metadata log, read as an observer would: batches applied in order as they come.
    const poll = async (): Promise<void> => {
      while (live()) {
        try {
          const batches = await conns.send(CONTROLLER_NODE_ID, METADATA_LOG_FETCH, { fromOffset: loader.image.appliedOffset }, { version: 0, timeoutMs: s.socketTimeoutMs });
          for (const b of batches) {
            if (!live() || b.baseOffset !== loader.image.appliedOffset) continue;
            loader.handleCommit(b);
          }
          applied.offset = loader.image.appliedOffset;
          const due = applied.waiters.filter((w) => w.offset <= applied.offset);
          applied.waiters = applied.waiters.filter((w) => w.offset > applied.offset);
          for (const w of due) w.resolve();
        } catch {
          // The controller unreachable: try again at the next poll.
        }
        await new Promise<void>((resolve) => clock.setTimeout(resolve, s.metadataPollMs));
      }
    };
    void poll();
    try {
      await lifecycle.start();
      if (!live()) return;
      const dataDir = `${DATA_ROOT}/broker-${this.id}`;
      const logs = await LogManager.open({ dataDir, defaults: s.log, clock, disk: this.simDisk, random: () => random.next(), cleaner: false, retentionCheckIntervalMs: 3_600_000 });
      if (!live()) return;
      // replication-offset-checkpoint as broker-role.ts reads it: what the last incarnation wrote (crashes write none at the end).
      const checkpointed = await readHighWatermarks(this.simDisk, dataDir).catch((err: unknown) => {
        if (err instanceof CheckpointFormatError) return new Map() as OffsetCheckpoint;
        throw err;
      });
      if (!live()) return;
      const highWatermarks = { checkpointed, disk: this.simDisk, dataDir, intervalMs: s.hwCheckpointIntervalMs };
      const rm = new ReplicaManager({ nodeId: this.id, logs, image: loader.image, policyOf: () => s.policy, clock, logger: SILENT, maxDelayedOperations: 10_000, replicaLagTimeMaxMs: s.replicaLagTimeMaxMs, highWatermarks, ...(s.unsafeAcksAllWithoutIsr ? { unsafeAcksAllWithoutIsr: true } : {}) });
      this.replicaManager = rm;
      const fetchers = new ReplicaFetcherManager({
        nodeId: this.id,
        brokerEpoch: () => lifecycle.brokerEpoch,
        connections: conns,
        clock,
        logger: SILENT,
        waitMaxMs: s.fetchWaitMaxMs,
        minBytes: 1,
        maxBytes: 1024 * 1024,
        responseMaxBytes: 10 * 1024 * 1024,
        backoffMs: s.fetchBackoffMs,
        socketTimeoutMs: s.socketTimeoutMs,
      });
      this.retireFetches();
      this.fetchers = fetchers;
      const alter = new AlterPartitionManager({ brokerId: this.id, brokerEpoch: () => lifecycle.brokerEpoch, channel, timeoutMs: s.socketTimeoutMs, logger: SILENT, clock, retryBackoffMs: s.fetchBackoffMs });
      rm.startReplication({ leadershipApplied: (p) => fetchers.apply(p), removed: (p) => fetchers.unfollow(p), alterIsr: (p, isr) => alter.submit(p, isr) });
      publisher = new BrokerMetadataPublisher({ nodeId: this.id, replicaManager: rm, logConfig: () => s.log, topicConfigChanged: () => undefined, allLogs: () => logs.allLogs() }, loader.image, SILENT);
      loader.installPublisher(publisher);
      await publisher.idle();
      if (!live()) return;
      this.serve(incarnation, rm, clock);
      await lifecycle.unfence();
      if (live()) this.ready = true;
    } catch (err) {
      if (live()) this.errors.push(`broker ${this.id} incarnation ${incarnation} failed to start: ${(err as Error).message}`);
    }
  }

  private serve(incarnation: number, rm: ReplicaManager, clock: SimClock): void {
    const pool = new ReadBufferPool(1024 * 1024);
    // The part of the broker context the Produce, Fetch and OffsetForLeaderEpoch handlers reach.
    const broker = {
      nodeId: this.id,
      replicaManager: rm,
      clock,
      authorizer: undefined,
      security: { quotas: { active: false } },
      // Followers fetch through sessions, as on a real broker (lost with the incarnation, as a restart loses them).
      fetchSessions: new FetchSessionCache({ maxSessions: 1000, evictionAgeMs: 120_000 }),
      fetchBuffers: pool,
      metadata: this.loader!.image,
      // Real replication quotas that throttle nothing (the simulated topics name no throttled replicas).
      replicationQuotas: replicationQuotas({ nodeId: this.id, config: new BrokerConfig(), clock, throttledReplicas: () => ({ leader: [], follower: [] }) }),
    } as unknown as BrokerContext;
    this.network.listen(this.id, incarnation, async (apiKey, version, bytes) => {
      const h = this.handlers.get(apiKey);
      if (!h) throw new Error(`the simulated broker does not serve API ${apiKey}`);
      const after: (() => void)[] = [];
      const ctx = {
        apiVersion: version,
        clientId: 'sim',
        correlationId: 0,
        log: SILENT,
        broker,
        listenerName: 'PLAINTEXT',
        requestBytes: bytes.length,
        connection: { mute: () => undefined, channel: undefined },
        afterResponseWritten: (fn: () => void) => after.push(fn),
      } as unknown as RequestContext;
      const req = decodeWith(h.api.decodeRequest, version, bytes);
      try {
        const res = await h.handle(req, ctx);
        if (res === null || res === 'close') throw new Error(`no answer to API ${apiKey}`);
        if (h === produceHandler) this.noteProduce(req as ProduceRequest, res as ProduceResponseInput, rm);
        // A copy: the records were the pool's buffers, returned to it now.
        return Buffer.from(encodeWith(h.api.encodeResponse as never, version, res));
      } finally {
        for (const fn of after) fn();
      }
    });
  }

  private noteProduce(req: ProduceRequest, res: ProduceResponseInput, rm: ReplicaManager): void {
    if (req.acks !== -1) return;
    for (const t of res.responses) {
      for (const r of t.partitionResponses) {
        if (r.errorCode !== 0) continue;
        const epoch = rm.getPartition(t.name, r.index)?.leaderEpoch ?? -1;
        this.ackedAllByEpoch.add(`${r.index}:${epoch}`);
        this.ackedAllEpochAt.set(`${r.index}:${r.baseOffset}`, epoch);
      }
    }
  }

  /** The broker's leadership view of the partition, if it holds it. */
  partition(topic: string, partition = 0) {
    return this.alive ? this.replicaManager?.getPartition(topic, partition) : undefined;
  }

  /** How its followers fetched, over every incarnation: full requests, incremental ones (KIP-227), session errors. */
  fetchStats(): { full: number; incremental: number; sessionErrors: number } {
    const now = { ...this.pastFetches };
    for (const s of this.fetchers?.sessions() ?? []) {
      now.full += s.full;
      now.incremental += s.incremental;
      now.sessionErrors += s.sessionErrors;
    }
    return now;
  }

  private retireFetches(): void {
    const s = this.fetchStats();
    Object.assign(this.pastFetches, s);
  }

  /** Power loss (unsynced writes lost, torn tails) or kill -9 (what was written stays). */
  crash(powerLoss: boolean): void {
    if (!this.alive) return;
    this.alive = false;
    this.ready = false;
    this.clock.stop();
    this.simDisk?.kill();
    this.lifecycle?.close();
    this.channel?.close();
    this.network.close(this.id);
    this.replicaManager = undefined;
    this.retireFetches();
    this.fetchers = undefined;
    if (powerLoss) this.disk.powerLoss({ keepPartialTails: true });
    else this.disk.crash();
  }
}
