/**
 * A Raft quorum in one simulated world: N voters (and observers), each with its own clock, a
 * MemoryDisk that survives its crashes, a SimDisk per incarnation, a link on the simulated
 * network and a key-value state machine, plus the invariant checker watching all of them after
 * every event. The chaos runs (raft-sim.ts) and the scenario tests both drive one of these.
 */
import type { Logger } from 'pino';
import type { SeededRandom } from './seeded-random.js';
import { RaftClient } from '../controller/raft/raft-client.js';
import type { RaftFaults } from '../controller/raft/raft-core.js';
import { type QuorumConfig, quorumConfig } from '../controller/raft/quorum-config.js';
import { MemoryDisk } from '../storage/memory-disk.js';
import { KvStateMachine } from './kv-state-machine.js';
import { MetadataReference } from './metadata-reference.js';
import { type MetadataFaults, MetadataStateMachine } from './metadata-state-machine.js';
import { type CheckedNode, RaftInvariantChecker } from './raft-invariants.js';
import { SimClock } from './sim-clock.js';
import { SimDisk } from './sim-disk.js';
import { SimNetwork } from './sim-network.js';
import { SimWorld } from './sim-world.js';

export const SIM_DATA_ROOT = '/data';

export interface SimClusterOptions {
  readonly seed: number;
  readonly voters: number;
  readonly observers?: number;
  /** Overrides of the simulator's quorum timings (see `simQuorumConfig`). */
  readonly config?: Partial<Omit<QuorumConfig, 'voters'>>;
  /** The most simulated ms one disk operation takes (default: chosen by the seed, 0-3). */
  readonly diskLatencyMs?: number;
  /** Deliberate defects, for the simulator's controls. */
  readonly faults?: RaftFaults;
  /** Which nodes get `faults` (default all). */
  readonly faultyNodes?: readonly number[];
  /** What each node runs on the log: a key-value map (default), or the metadata image and the controller. */
  readonly stateMachine?: 'kv' | 'metadata';
  /** Deliberate defects of the metadata state machine (on `faultyNodes`), for the controls. */
  readonly metadataFaults?: MetadataFaults;
  /** Each node's Raft client logs here (RaftClientOptions.logger), for tests of what it says. */
  readonly logger?: (nodeId: number) => Logger;
}

/** Timeouts scaled down from Kafka's defaults so that a run sees many elections per simulated second. */
export function simQuorumConfig(random: SeededRandom): Omit<QuorumConfig, 'voters'> {
  const r = random.fork('config');
  return {
    electionTimeoutMs: 300,
    fetchTimeoutMs: 600,
    electionBackoffMaxMs: 300,
    requestTimeoutMs: 500,
    retryBackoffMs: 20,
    fetchMaxWaitMs: 200,
    maxBytesBetweenSnapshots: 1024 + r.nextInt(16 * 1024),
    // By size only, so that the sweeps' seeds run as they did before the time trigger (tests set it).
    maxSnapshotIntervalMs: 0,
    segmentBytes: 512 + r.nextInt(8 * 1024),
    fetchMaxBytes: 200 + r.nextInt(32 * 1024),
    fetchSnapshotMaxBytes: 100 + r.nextInt(4 * 1024),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export class SimNode implements CheckedNode {
  incarnation = 0;
  alive = false;
  started = false;
  client!: RaftClient;
  kv!: KvStateMachine;
  /** The metadata image and controller, when the cluster runs them. */
  metadata: MetadataStateMachine | undefined;
  private simDisk: SimDisk | undefined;
  clock: SimClock;
  readonly disk: MemoryDisk;
  readonly logDir: string;

  constructor(
    readonly id: number,
    private readonly cluster: SimCluster,
  ) {
    const r = cluster.world.random.fork(`disk-${id}`);
    this.disk = new MemoryDisk(() => r.next(), () => cluster.world.now);
    this.clock = new SimClock(cluster.world, cluster.world.random.nextInt(100_000));
    this.logDir = `${SIM_DATA_ROOT}/node-${id}/__cluster_metadata-0`;
  }

  /** Starts a new incarnation from what the disk holds; resolves once it answers requests. */
  async start(): Promise<void> {
    const c = this.cluster;
    const incarnation = ++this.incarnation;
    this.alive = true;
    this.started = false;
    const rate = this.clock.rate;
    this.clock = new SimClock(c.world, this.clock.now() - c.world.now);
    this.clock.setRate(rate);
    this.simDisk = new SimDisk(c.world, this.disk, { maxLatencyMs: c.diskLatencyMs });
    this.kv = new KvStateMachine(this.id, c.checker);
    const metaFaulty = c.options.metadataFaults && (c.options.faultyNodes ?? [this.id]).includes(this.id);
    this.metadata =
      c.options.stateMachine === 'metadata'
        ? new MetadataStateMachine(this.id, this.clock, c.world.random.fork(`controller-${this.id}-${incarnation}`).random, c.checker, metaFaulty ? c.options.metadataFaults : {})
        : undefined;
    const live = () => this.alive && this.incarnation === incarnation;
    const faulty = c.options.faults && (c.options.faultyNodes ?? [this.id]).includes(this.id);
    const client: RaftClient = new RaftClient({
      nodeId: this.id,
      config: c.config,
      logDir: this.logDir,
      disk: this.simDisk,
      clock: this.clock,
      random: c.world.random.fork(`raft-${this.id}-${incarnation}`).random,
      transport: c.network.transport(this.id, incarnation),
      listener: this.metadata ?? this.kv,
      clusterId: 'sim-cluster',
      onFatal: (err) => {
        if (live()) c.checker.violation ??= `node ${this.id} stopped on an error: ${describe(err)}`;
      },
      onCommittedBatch: (b) => {
        if (live()) c.checker.onCommitted(this.id, client.quorum.epoch, b);
      },
      ...(faulty ? { unsafeFaults: c.options.faults } : {}),
      ...(c.options.logger ? { logger: c.options.logger(this.id) } : {}),
    });
    this.client = client;
    this.metadata?.attach(client);
    try {
      await client.start();
    } catch (err) {
      if (live()) c.checker.violation ??= `node ${this.id} failed to start: ${describe(err)}`;
      return;
    }
    if (!live()) return;
    this.started = true;
    c.network.listen(this.id, incarnation, (req) => client.handleRequest(req));
  }

  /** Whether this incarnation is up and its client running. */
  get running(): boolean {
    return this.alive && this.started && this.client.isRunning;
  }

  /** Power loss (unsynced writes lost, torn tails) or kill -9 (the page cache survives). */
  crash(powerLoss: boolean): void {
    if (!this.alive) return;
    this.alive = false;
    this.started = false;
    this.clock.stop();
    this.metadata?.close();
    this.simDisk?.kill();
    this.cluster.network.close(this.id);
    if (powerLoss) this.disk.powerLoss({ keepPartialTails: true });
    else this.disk.crash();
  }
}

export class SimCluster {
  readonly world: SimWorld;
  readonly network: SimNetwork;
  readonly checker: RaftInvariantChecker;
  readonly config: QuorumConfig;
  readonly nodes: SimNode[] = [];
  readonly diskLatencyMs: number;

  constructor(readonly options: SimClusterOptions) {
    this.world = new SimWorld(options.seed);
    this.checker = new RaftInvariantChecker(options.stateMachine === 'metadata' ? new MetadataReference() : undefined);
    this.network = new SimNetwork(this.world);
    const voters = Array.from({ length: options.voters }, (_, i) => i + 1);
    this.config = quorumConfig(voters, { ...simQuorumConfig(this.world.random), ...options.config });
    const r = this.world.random.fork('disk-latency');
    this.diskLatencyMs = options.diskLatencyMs ?? (r.next() < 0.5 ? 0 : 1 + r.nextInt(3));
    for (let i = 1; i <= options.voters + (options.observers ?? 0); i++) this.nodes.push(new SimNode(i, this));
    this.network.observer = (from, to, req, res) => this.checker.onExchange(from, to, req, res);
  }

  node(id: number): SimNode {
    const n = this.nodes[id - 1];
    if (!n) throw new RangeError(`no node ${id}`);
    return n;
  }

  /** Starts every node (at the current instant). */
  startAll(): void {
    for (const n of this.nodes) this.world.schedule(0, () => void n.start());
  }

  /** The running nodes that believe they lead. */
  leaders(): SimNode[] {
    return this.nodes.filter((n) => n.running && n.client.quorum.state.name === 'Leader');
  }

  /** Runs the world for `ms`, checking the invariants after every event; throws on a violation. */
  async run(ms: number, afterStep?: () => void): Promise<void> {
    await this.world.runUntil(this.world.now + ms, () => {
      afterStep?.();
      this.checker.checkStep(this.nodes);
      if (this.checker.violation) throw new InvariantViolation(this.checker.violation);
    });
  }

  /** Runs until `done()` holds (checked every `stepMs`), or throws after `maxMs`. */
  async runUntil(done: () => boolean, maxMs: number, stepMs = 10): Promise<void> {
    const deadline = this.world.now + maxMs;
    while (!done()) {
      if (this.world.now >= deadline) throw new Error(`condition not reached within ${maxMs} simulated ms`);
      await this.run(stepMs);
    }
  }
}

export class InvariantViolation extends Error {
  readonly code = 'SAMSA_SIM_INVARIANT';
}
