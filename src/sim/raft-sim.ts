/**
 * A whole Raft quorum in one process, run from a seed: N voters (and observers) with their own
 * simulated clocks, disks and network links, a key-value state machine on each, a workload that
 * appends to whoever leads, and a chaos phase that crashes and restarts nodes (losing what they
 * had not fsynced), partitions the network, drops, delays and duplicates messages and skews
 * clocks. After the chaos the world heals and a leader must be elected and commit again within a
 * bound. The invariant checker runs after every event; the first violation ends the run, and the
 * same seed replays it exactly.
 */
import type { SeededRandom } from './seeded-random.js';
import type { RaftFaults } from '../controller/raft/raft-core.js';
import type { RaftInvariantChecker } from './raft-invariants.js';
import { KvWorkload } from './kv-workload.js';
import { MetadataWorkload } from './metadata-workload.js';
import type { MetadataFaults } from './metadata-state-machine.js';
import { SimCluster, type SimNode } from './sim-cluster.js';
import type { SimWorkload } from './sim-workload.js';
import { CALM_NETWORK, type SimNetwork } from './sim-network.js';
import type { SimWorld } from './sim-world.js';

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
  /**
   * `kv` (default): nodes apply `key=value` records. `metadata`: nodes run the metadata image and
   * the quorum controller, driven through the controller's operations (metadata-workload.ts).
   */
  readonly workload?: 'kv' | 'metadata';
  /** Deliberate defects of the metadata state machine, for the controls. */
  readonly metadataFaults?: MetadataFaults;
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

export class RaftSimulation {
  readonly cluster: SimCluster;
  private readonly chaos: SeededRandom;
  private readonly trace: string[] = [];
  private readonly lastRoles = new Map<number, { state: object; role: string }>();
  private readonly workload: SimWorkload;
  crashes = 0;

  constructor(readonly options: RaftSimOptions) {
    const metadata = options.workload === 'metadata';
    this.cluster = new SimCluster({ ...options, stateMachine: metadata ? 'metadata' : 'kv' });
    this.chaos = this.world.random.fork('chaos');
    this.workload = metadata ? new MetadataWorkload(this.cluster, options.seed, (t) => this.note(t)) : new KvWorkload(this.cluster, options.seed);
  }

  get world(): SimWorld {
    return this.cluster.world;
  }

  get nodes(): readonly SimNode[] {
    return this.cluster.nodes;
  }

  get network(): SimNetwork {
    return this.cluster.network;
  }

  get checker(): RaftInvariantChecker {
    return this.cluster.checker;
  }

  /** Controller answers the metadata workload checked against the committed log (0 for the kv workload). */
  get acknowledgedOperations(): number {
    return this.workload instanceof MetadataWorkload ? this.workload.acknowledged : 0;
  }

  private note(text: string): void {
    this.trace.push(`t=${Math.round(this.world.now)} ${text}`);
    if (this.trace.length > TRACE_LENGTH) this.trace.shift();
  }

  private afterStep = (): void => {
    for (const n of this.nodes) {
      if (!n.running) continue;
      const s = n.client.quorum.state;
      const last = this.lastRoles.get(n.id);
      if (last?.state === s) continue;
      const role = `${s.name}@${s.epoch}${s.name === 'Follower' ? `->${s.leaderId}` : ''}`;
      this.lastRoles.set(n.id, { state: s, role });
      if (role !== last?.role) this.note(`node ${n.id} ${role} end=${n.client.log.endOffset} hw=${n.client.highWatermark}`);
    }
    this.checker.checkStep(this.nodes);
  };

  async run(): Promise<RaftSimReport> {
    const { chaosMs, livenessBoundMs } = this.options;
    this.cluster.startAll();
    this.workload.start();
    this.scheduleChaos(chaosMs);
    try {
      await this.world.runUntil(chaosMs, this.stepAndStop);
      if (!this.checker.violation) await this.heal();
      if (!this.checker.violation) await this.awaitProgress(chaosMs, livenessBoundMs);
    } catch (err) {
      if (!(err instanceof StopRun)) this.checker.violation ??= `simulator error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
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
      const leader = this.cluster.leaders()[0];
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

  /** After the heal: the workload's progress (one leader all agree on, its writes reaching every node) within the bound. */
  private async awaitProgress(healedAt: number, bound: number): Promise<void> {
    const deadline = healedAt + bound;
    while (this.world.now < deadline) {
      await this.world.runUntil(this.world.now + 50, this.stepAndStop);
      if (this.workload.progressed()) return;
    }
    const states = this.nodes.map((n) => (n.running ? `${n.id}:${this.lastRoles.get(n.id)?.role ?? '?'}` : `${n.id}:down`)).join(' ');
    this.checker.violation ??= `no leader with progress within ${bound} ms after the heal (${states})`;
  }
}

class StopRun extends Error {}

/** Runs one seeded simulation to its end (or first violation). */
export function runRaftSimulation(options: RaftSimOptions): Promise<RaftSimReport> {
  return new RaftSimulation(options).run();
}
