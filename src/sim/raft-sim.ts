/**
 * A whole Raft quorum in one process, run from a seed: N voters (and observers) with their own
 * simulated clocks, disks and network links, a key-value state machine on each, a workload that
 * appends to whoever leads, and a chaos phase that crashes and restarts nodes (losing what they
 * had not fsynced), partitions the network, drops, delays and duplicates messages and skews
 * clocks. After the chaos the world heals and a leader must be elected and commit again within a
 * bound. The invariant checker runs after every event; the first violation ends the run, and the
 * same seed replays it exactly.
 */
import { SeededRandom } from '../common/random.js';
import { RaftClient } from '../controller/raft/raft-client.js';
import type { RaftFaults } from '../controller/raft/raft-core.js';
import { type QuorumConfig, quorumConfig } from '../controller/raft/quorum-config.js';
import { MemoryDisk } from '../storage/memory-disk.js';
import { KvStateMachine } from './kv-state-machine.js';
import { type CheckedNode, RaftInvariantChecker } from './raft-invariants.js';
import { SimClock } from './sim-clock.js';
import { SimDisk } from './sim-disk.js';
import { CALM_NETWORK, SimNetwork } from './sim-network.js';
import { SimWorld } from './sim-world.js';

export interface RaftSimOptions {
  readonly seed: number;
  /** 1, 3 or 5 voters (any count works). */
  readonly voters: number;
  readonly observers?: number;
  /** How long faults are injected (simulated ms). */
  readonly chaosMs: number;
  /** After the heal, a leader must be elected and commit within this (simulated ms). */
  readonly livenessBoundMs: number;
  /** Deliberate defects in some nodes, to check that the checker catches them. */
  readonly faults?: RaftFaults;
  /** Which nodes get `faults` (default all). */
  readonly faultyNodes?: readonly number[];
  /** Scales how often chaos strikes (default 1). */
  readonly chaosIntensity?: number;
}

export interface RaftSimReport {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation?: string;
  readonly steps: number;
  readonly simTimeMs: number;
  readonly committedOffset: number;
  readonly elections: number;
  readonly crashes: number;
  readonly snapshotsLoaded: number;
  readonly messages: number;
  /** The last notable events before the end, oldest first. */
  readonly trace: readonly string[];
}

const TRACE_LENGTH = 60;
const DATA_ROOT = '/data';

class SimNode implements CheckedNode {
  incarnation = 0;
  alive = false;
  started = false;
  client!: RaftClient;
  kv!: KvStateMachine;
  private simDisk: SimDisk | undefined;
  clock: SimClock;
  readonly disk: MemoryDisk;
  lastRole = '';
  lastState: object | undefined;

  constructor(
    readonly id: number,
    private readonly sim: RaftSimulation,
  ) {
    const r = sim.world.random.fork(`disk-${id}`);
    this.disk = new MemoryDisk(() => r.next(), () => sim.world.now);
    this.clock = new SimClock(sim.world, sim.world.random.nextInt(100_000));
  }

  async start(): Promise<void> {
    const sim = this.sim;
    const incarnation = ++this.incarnation;
    this.alive = true;
    this.started = false;
    const rate = this.clock.rate;
    this.clock = new SimClock(sim.world, this.clock.now() - sim.world.now);
    this.clock.setRate(rate);
    this.simDisk = new SimDisk(sim.world, this.disk, { maxLatencyMs: sim.diskLatencyMs });
    this.kv = new KvStateMachine(this.id, sim.checker);
    const faulty = sim.options.faults && (sim.options.faultyNodes ?? [this.id]).includes(this.id);
    const client: RaftClient = new RaftClient({
      nodeId: this.id,
      config: sim.config,
      logDir: `${DATA_ROOT}/node-${this.id}/__cluster_metadata-0`,
      disk: this.simDisk,
      clock: this.clock,
      random: sim.world.random.fork(`raft-${this.id}-${incarnation}`),
      transport: sim.network.transport(this.id, incarnation),
      listener: this.kv,
      clusterId: 'sim-cluster',
      onFatal: (err) => {
        if (this.alive && this.incarnation === incarnation) sim.checker.violation ??= `node ${this.id} stopped on an error: ${describe(err)}`;
      },
      onCommittedBatch: (b) => {
        if (this.alive && this.incarnation === incarnation) sim.checker.onCommitted(this.id, client.quorum.epoch, b);
      },
      ...(faulty ? { unsafeFaults: sim.options.faults } : {}),
    });
    this.client = client;
    try {
      await this.client.start();
    } catch (err) {
      if (this.alive && this.incarnation === incarnation) sim.checker.violation ??= `node ${this.id} failed to start: ${describe(err)}`;
      return;
    }
    if (!this.alive || this.incarnation !== incarnation) return;
    this.started = true;
    sim.network.listen(this.id, incarnation, (req) => client.handleRequest(req));
  }

  /** Power loss (unsynced writes lost, torn tails) or kill -9 (the page cache survives). */
  crash(powerLoss: boolean): void {
    if (!this.alive) return;
    this.alive = false;
    this.started = false;
    this.clock.stop();
    this.simDisk?.kill();
    this.sim.network.close(this.id);
    if (powerLoss) this.disk.powerLoss({ keepPartialTails: true });
    else this.disk.crash();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export class RaftSimulation {
  readonly world: SimWorld;
  readonly network: SimNetwork;
  readonly checker = new RaftInvariantChecker();
  readonly config: QuorumConfig;
  readonly nodes: SimNode[] = [];
  readonly diskLatencyMs: number;
  private readonly chaos: SeededRandom;
  private readonly trace: string[] = [];
  private appendSeq = 0;
  crashes = 0;

  constructor(readonly options: RaftSimOptions) {
    this.world = new SimWorld(options.seed);
    this.network = new SimNetwork(this.world);
    this.chaos = this.world.random.fork('chaos');
    const r = this.world.random.fork('config');
    const voters = Array.from({ length: options.voters }, (_, i) => i + 1);
    this.config = quorumConfig(voters, {
      electionTimeoutMs: 300,
      fetchTimeoutMs: 600,
      electionBackoffMaxMs: 300,
      requestTimeoutMs: 500,
      retryBackoffMs: 20,
      fetchMaxWaitMs: 200,
      maxBytesBetweenSnapshots: 1024 + r.nextInt(16 * 1024),
      segmentBytes: 512 + r.nextInt(8 * 1024),
      fetchMaxBytes: 200 + r.nextInt(32 * 1024),
      fetchSnapshotMaxBytes: 100 + r.nextInt(4 * 1024),
    });
    this.diskLatencyMs = r.next() < 0.5 ? 0 : 1 + r.nextInt(3);
    for (let i = 1; i <= options.voters + (options.observers ?? 0); i++) this.nodes.push(new SimNode(i, this));
    this.network.observer = (from, to, req, res) => this.checker.onExchange(from, to, req, res);
  }

  private note(text: string): void {
    this.trace.push(`t=${Math.round(this.world.now)} ${text}`);
    if (this.trace.length > TRACE_LENGTH) this.trace.shift();
  }

  private afterStep = (): void => {
    for (const n of this.nodes) {
      if (!n.alive || !n.started || !n.client.isRunning) continue;
      const s = n.client.quorum.state;
      if (s === n.lastState) continue;
      n.lastState = s;
      const role = `${s.name}@${s.epoch}${s.name === 'Follower' ? `->${s.leaderId}` : ''}`;
      if (role !== n.lastRole) {
        n.lastRole = role;
        this.note(`node ${n.id} ${role} end=${n.client.log.endOffset} hw=${n.client.highWatermark}`);
      }
    }
    this.checker.checkStep(this.nodes);
  };

  async run(): Promise<RaftSimReport> {
    const { chaosMs, livenessBoundMs } = this.options;
    for (const n of this.nodes) this.world.schedule(0, () => void n.start());
    this.scheduleWorkload();
    this.scheduleChaos(chaosMs);
    try {
      await this.world.runUntil(chaosMs, this.stepAndStop);
      if (!this.checker.violation) await this.heal();
      if (!this.checker.violation) await this.awaitProgress(chaosMs, livenessBoundMs);
    } catch (err) {
      if (!(err instanceof StopRun)) this.checker.violation ??= `simulator error: ${describe(err)}`;
    }
    return this.report();
  }

  private stepAndStop = (): void => {
    this.afterStep();
    if (this.checker.violation) throw new StopRun();
  };

  private report(): RaftSimReport {
    const violation = this.checker.violation;
    return {
      seed: this.options.seed,
      ok: violation === undefined,
      ...(violation !== undefined ? { violation } : {}),
      steps: this.world.steps,
      simTimeMs: Math.round(this.world.now),
      committedOffset: this.checker.committedEndOffset,
      elections: this.checker.elections,
      crashes: this.crashes,
      snapshotsLoaded: this.checker.snapshotLoads,
      messages: this.network.messages,
      trace: [...this.trace],
    };
  }

  // ---- workload ----

  private scheduleWorkload(): void {
    const r = this.world.random.fork('workload');
    const tick = (): void => {
      const leaders = this.nodes.filter((n) => n.alive && n.started && n.client.isRunning && n.client.inspect().role === 'Leader');
      const n = leaders[r.nextInt(Math.max(1, leaders.length))];
      if (n) {
        const count = 1 + r.nextInt(3);
        const records = Array.from({ length: count }, () => Buffer.from(`k${r.nextInt(12)}=${++this.appendSeq}`));
        try {
          n.client.append(records);
        } catch {
          // Not the leader any more: the workload just tries again later.
        }
      }
      this.world.schedule(10 + r.nextInt(200), tick);
    };
    this.world.schedule(1, tick);
  }

  // ---- chaos ----

  private aliveNodes(): SimNode[] {
    return this.nodes.filter((n) => n.alive);
  }

  private pick<T>(xs: readonly T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[this.chaos.nextInt(xs.length)];
  }

  private scheduleChaos(until: number): void {
    const intensity = this.options.chaosIntensity ?? 1;
    const next = (): void => {
      if (this.world.now >= until) return;
      this.chaosAction(until);
      this.world.schedule((50 + this.chaos.nextInt(1200)) / intensity, next);
    };
    this.world.schedule(100 + this.chaos.nextInt(500), next);
  }

  private chaosAction(until: number): void {
    const c = this.chaos;
    const roll = c.next();
    if (roll < 0.25) {
      const n = this.pick(this.aliveNodes());
      if (!n) return;
      const power = c.next() < 0.7;
      n.crash(power);
      this.crashes++;
      this.note(`crash node ${n.id} (${power ? 'power loss' : 'kill -9'})`);
      const downFor = 20 + c.nextInt(2500);
      if (this.world.now + downFor < until) this.world.schedule(downFor, () => this.restart(n));
    } else if (roll < 0.4) {
      const ids = this.nodes.map((n) => n.id);
      const a = ids.filter(() => c.next() < 0.5);
      const b = ids.filter((id) => !a.includes(id));
      this.network.partition([a, b]);
      this.note(`partition [${a.join(',')}] | [${b.join(',')}]`);
      this.world.schedule(100 + c.nextInt(3000), () => this.healLinksNote());
    } else if (roll < 0.5) {
      const n = this.pick(this.nodes)!;
      const inbound = c.next() < 0.5;
      for (const o of this.nodes) {
        if (o === n) continue;
        if (inbound) this.network.cutLink(o.id, n.id);
        else this.network.cutLink(n.id, o.id);
      }
      this.note(`cut node ${n.id} ${inbound ? 'inbound' : 'outbound'}`);
      this.world.schedule(100 + c.nextInt(2000), () => this.healLinksNote());
    } else if (roll < 0.65) {
      const drop = this.pick([0, 0, 0.05, 0.2, 0.5])!;
      const maxDelay = this.pick([5, 20, 100, 400])!;
      this.network.conditions = { dropRate: drop, duplicateRate: this.pick([0, 0.02, 0.1])!, minDelayMs: 0.5, maxDelayMs: maxDelay };
      this.note(`network drop=${drop} maxDelay=${maxDelay}`);
    } else if (roll < 0.75) {
      const n = this.pick(this.nodes)!;
      if (c.next() < 0.7) n.clock.setRate(this.pick([0.5, 0.8, 1, 1.25, 2])!);
      else n.clock.jump(c.nextInt(4000) - 1000);
      this.note(`clock of node ${n.id}: rate ${n.clock.rate}`);
    } else if (roll < 0.8) {
      const leader = this.aliveNodes().find((n) => n.started && n.client.isRunning && n.client.inspect().role === 'Leader');
      if (!leader) return;
      this.note(`graceful restart of leader ${leader.id}`);
      const incarnation = leader.incarnation;
      void leader.client.shutdown(1000).then(() => {
        if (leader.incarnation !== incarnation || !leader.alive) return;
        leader.crash(false);
        this.world.schedule(10 + c.nextInt(500), () => this.restart(leader));
      });
    }
  }

  private healLinksNote(): void {
    this.network.healLinks();
    this.note('links healed');
  }

  private restart(n: SimNode): void {
    if (n.alive) return;
    this.note(`restart node ${n.id}`);
    void n.start();
  }

  private async heal(): Promise<void> {
    this.network.healLinks();
    this.network.conditions = { ...CALM_NETWORK };
    for (const n of this.nodes) {
      n.clock.setRate(1);
      if (!n.alive) this.restart(n);
    }
    this.note('heal: all nodes up, network calm');
    await this.world.runUntil(this.world.now, this.stepAndStop);
  }

  /** After the heal: one leader all agree on, and a marker appended through it reaches every node. */
  private async awaitProgress(healedAt: number, bound: number): Promise<void> {
    const marker = `heal=${this.options.seed}`;
    const deadline = healedAt + bound;
    while (this.world.now < deadline) {
      await this.world.runUntil(this.world.now + 50, this.stepAndStop);
      const running = this.nodes.filter((n) => n.alive && n.started && n.client.isRunning);
      if (running.length < this.nodes.length) continue;
      const leader = running.find((n) => n.client.inspect().role === 'Leader');
      if (!leader) continue;
      if (![...leader.kv.map.values()].includes(marker.split('=')[1]!)) {
        try {
          leader.client.append([Buffer.from(marker)]);
        } catch {
          continue;
        }
      }
      const { epoch } = leader.client.leaderAndEpoch();
      const agreed = running.every((n) => {
        const le = n.client.leaderAndEpoch();
        return le.leaderId === leader.id && le.epoch === epoch && n.kv.map.get('heal') === marker.split('=')[1];
      });
      if (agreed) return;
    }
    const states = this.nodes.map((n) => (n.alive && n.started ? `${n.id}:${n.lastRole}` : `${n.id}:down`)).join(' ');
    this.checker.violation ??= `no leader with progress within ${bound} ms after the heal (${states})`;
  }
}

class StopRun extends Error {}

/** Runs one seeded simulation to its end (or first violation). */
export function runRaftSimulation(options: RaftSimOptions): Promise<RaftSimReport> {
  return new RaftSimulation(options).run();
}
