/**
 * The partition-layer simulation (issue 16): three brokers running the real partition layer
 * (partition-sim-broker.ts) under the real controller (partition-sim-controller.ts), producers and
 * a consumer (partition-workload.ts), all in one deterministic simulated world: the same seed
 * gives the same run. A run creates one topic of 2-4 partitions, each replicated on the three
 * brokers with its preferred leader in turn, so the brokers share what real ones share: one fetch
 * session per follower-leader pair carrying all its partitions, AlterPartition requests batched
 * per broker, one high-watermark checkpoint file per broker. Then a chaos phase — a leader cut off
 * from its followers but not from producers or the controller, a leader cut off from the
 * controller but not from the rest, crashes (leaders and followers) with their unsynced writes
 * lost, restarts, clock jumps and drift, lossy links — then everything healed, the cluster
 * settles, and the checker (partition-sim-checker.ts) checks, for every partition on its own:
 *
 * - every acks=all record acknowledged is in the final leader's log below its high watermark,
 *   exactly once, in acknowledgement order (per producer, and across producers when one was
 *   acknowledged before the other was sent), and every in-sync replica has the same records up
 *   to the high watermark;
 * - no record that was never sent (to that partition) is in any log;
 * - what a consumer read below a high watermark is never taken back (the final log has it at
 *   the same offset), and no leader returns records at or above its high watermark;
 * - leader epochs only grow (the controller's, each broker's, and along the log);
 * - at most one leader per leader epoch gets an acks=all write acknowledged.
 *
 * Durability modes (the topic's `samsa.fsync.before.ack`): with it, crashes are power losses (what
 * was not fsynced is lost, torn tails kept at random) and the promise holds for any crashes; without
 * it, crashes are kill -9 (the OS keeps what was written) — a power loss of a replica may then lose
 * acknowledged records, as in Kafka without fsync, and the run does not promise otherwise.
 *
 * Unclean election mode (`unclean.leader.election.enable` on the controller, in some seeds): the
 * controller may give a partition whose in-sync replicas are all unavailable to a replica outside
 * the ISR. The run notes each such election (a new leader not in the ISR before) and reads the new
 * leader's log when it takes over; an acknowledged record (or one the consumer read) may then be
 * missing only if it was acknowledged in an earlier epoch and that log lacked it at its offset.
 * Everything else must still hold.
 */
import { DEFAULT_LOG_CONFIG } from '../log/log-config.js';
import { type PsimBrokerSettings, PsimBroker } from './partition-sim-broker.js';
import { CONTROLLER_NODE_ID, PartitionSimController, psimControllerConfig } from './partition-sim-controller.js';
import { type LogRecord, type UncleanElection, checkPartition, readLog } from './partition-sim-checker.js';
import { PSIM_TOPIC, type PsimHistory, newHistory, runConsumer, runProducer } from './partition-workload.js';
import { SimClock } from './sim-clock.js';
import { SimRpcNetwork } from './sim-rpc-network.js';
import { SimWorld } from './sim-world.js';

export const BROKER_IDS = [1, 2, 3] as const;
const CLIENT_NODE_ID = 200;

/** Deliberate defects, for the controls that show the checker can fail. */
export interface PartitionSimFaults {
  /** acks=all is answered once the leader's own log has the records, without waiting for the ISR. */
  readonly acksAllWithoutIsr?: boolean;
}

export interface PartitionSimOptions {
  readonly seed: number;
  /** Simulated ms of chaos (default 6000). */
  readonly chaosMs?: number;
  /** samsa.fsync.before.ack (default: chosen by the seed). */
  readonly fsyncBeforeAck?: boolean;
  /** min.insync.replicas (default: chosen by the seed, 1 or 2). */
  readonly minInsyncReplicas?: number;
  /**
   * How brokers crash: power loss (unsynced writes lost) or kill -9 (the OS keeps them). Default:
   * power loss with fsync before ack, kill -9 without — what each mode promises to survive.
   * Power loss without fsync explores what is not promised.
   */
  readonly crashes?: 'power-loss' | 'kill';
  /** The topic's partitions, all on the three brokers (default: 2 to 4, chosen by the seed). */
  readonly partitions?: number;
  /** unclean.leader.election.enable on the controller (default: chosen by the seed, in 3 runs of 10). */
  readonly uncleanElection?: boolean;
  readonly faults?: PartitionSimFaults;
}

export interface PartitionSimReport {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation?: string;
  readonly fsyncBeforeAck: boolean;
  readonly minInsyncReplicas: number;
  readonly partitions: number;
  readonly uncleanElection: boolean;
  /** Unclean elections the controller made, and the acknowledged acks=all records they explain the loss of. */
  readonly uncleanElections: number;
  readonly lostToUnclean: number;
  readonly ackedAll: number;
  readonly ackedOne: number;
  readonly consumed: number;
  /** The highest leader epoch of any partition at the end. */
  readonly leaderEpoch: number;
  readonly finalHighWatermarks: readonly bigint[];
  /** The followers' fetches over the run: full, incremental (through a fetch session), answered with a session error. */
  readonly fetches: { full: number; incremental: number; sessionErrors: number };
  readonly steps: number;
  readonly simTimeMs: number;
  readonly trace: string[];
}

export async function runPartitionSimulation(o: PartitionSimOptions): Promise<PartitionSimReport> {
  const world = new SimWorld(o.seed);
  const random = world.random.fork('psim');
  const chaosRandom = world.random.fork('chaos');
  const fsyncBeforeAck = o.fsyncBeforeAck ?? random.next() < 0.5;
  const minInsyncReplicas = o.minInsyncReplicas ?? (random.next() < 0.3 ? 1 : 2);
  const partitions = o.partitions ?? 2 + random.nextInt(3);
  const uncleanElection = o.uncleanElection ?? random.next() < 0.3;
  const partitionIds = Array.from({ length: partitions }, (_, i) => i);
  const trace: string[] = [];
  const note = (s: string) => trace.push(`t=${world.now} ${s}`);
  const network = new SimRpcNetwork(world);
  const sessionTimeoutMs = 1500;
  const settings: PsimBrokerSettings = {
    replicaLagTimeMaxMs: 1000,
    hwCheckpointIntervalMs: 500,
    heartbeatIntervalMs: 200,
    sessionTimeoutMs,
    fetchWaitMaxMs: 200,
    fetchBackoffMs: 50,
    socketTimeoutMs: 1000,
    metadataPollMs: 50,
    diskLatencyMs: random.nextInt(3),
    log: { ...DEFAULT_LOG_CONFIG, fsyncBeforeAck, segmentBytes: 4096 + random.nextInt(16 * 1024) },
    policy: { maxMessageBytes: 1 << 20, timestampType: 'CreateTime', timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: 3_600_000, minInsyncReplicas, compressionType: 'producer', compressionLevels: { gzip: -1, lz4: 9, zstd: 3 }, compacted: false },
    ...(o.faults?.acksAllWithoutIsr ? { unsafeAcksAllWithoutIsr: true } : {}),
  };
  const controllerClock = new SimClock(world, random.nextInt(100_000));
  const controller = new PartitionSimController(world, controllerClock, random.fork('controller').random, psimControllerConfig(sessionTimeoutMs, uncleanElection));
  network.listen(CONTROLLER_NODE_ID, 1, controller.server);
  const brokers = BROKER_IDS.map((id) => new PsimBroker(id, world, network, random, settings, random.nextInt(100_000)));
  const history: PsimHistory = newHistory();
  let running = true;
  const clientClock = new SimClock(world);
  const env = { world, brokers, random: random.fork('clients'), conns: network.connections(CLIENT_NODE_ID, clientClock, () => true, 3000), history, partitions, uncleanElection, running: () => running };
  const registration = (p: number) => controller.image.topic(PSIM_TOPIC)?.partitions[p];
  const elections: UncleanElection[] = [];
  let lostToUnclean = 0;
  const report = (violation: string | undefined, hws: readonly bigint[] = []): PartitionSimReport => ({
    seed: o.seed,
    ok: violation === undefined,
    ...(violation !== undefined ? { violation } : {}),
    fsyncBeforeAck,
    minInsyncReplicas,
    partitions,
    uncleanElection,
    uncleanElections: elections.length,
    lostToUnclean,
    ackedAll: history.ackedAll.length,
    ackedOne: history.ackedOne,
    consumed: [...history.consumed.values()].reduce((n, m) => n + m.size, 0),
    leaderEpoch: Math.max(-1, ...partitionIds.map((p) => registration(p)?.leaderEpoch ?? -1)),
    finalHighWatermarks: hws,
    fetches: brokers.map((b) => b.fetchStats()).reduce((a, s) => ({ full: a.full + s.full, incremental: a.incremental + s.incremental, sessionErrors: a.sessionErrors + s.sessionErrors })),
    steps: world.steps,
    simTimeMs: world.now,
    trace,
  });

  // After every step: leader epochs only grow (the controller's, and each broker's within an
  // incarnation), and unclean elections are noted with what their leader held when it took over.
  let violation: string | undefined;
  const lastRegistration = new Map<number, { leaderEpoch: number; isr: readonly number[] }>();
  const lastBrokerEpoch = new Map<string, number>();
  const checkStep = () => {
    if (violation) return;
    for (const p of partitionIds) {
      const reg = registration(p);
      if (!reg) continue;
      const last = lastRegistration.get(p);
      if (last && reg.leaderEpoch < last.leaderEpoch) violation = `partition ${p}: the controller's leader epoch went back from ${last.leaderEpoch} to ${reg.leaderEpoch}`;
      if (last && reg.leaderEpoch > last.leaderEpoch && reg.leader >= 0 && !last.isr.includes(reg.leader)) {
        elections.push({ partition: p, epoch: reg.leaderEpoch, leader: reg.leader, at: world.now });
        note(`unclean election: broker ${reg.leader} leads partition ${p} at epoch ${reg.leaderEpoch} (ISR was ${last.isr.join(',')})`);
      }
      lastRegistration.set(p, { leaderEpoch: reg.leaderEpoch, isr: reg.isr });
      for (const b of brokers) {
        const bp = b.partition(PSIM_TOPIC, p);
        if (!bp) continue;
        const key = `${b.id}/${b.incarnation}/${p}`;
        const lastEpoch = lastBrokerEpoch.get(key) ?? -1;
        if (bp.leaderEpoch < lastEpoch) violation = `partition ${p}: broker ${b.id}'s leader epoch went back from ${lastEpoch} to ${bp.leaderEpoch}`;
        lastBrokerEpoch.set(key, bp.leaderEpoch);
      }
    }
    for (const e of elections) {
      if (e.takeover) continue;
      const b = brokers[e.leader - 1]!;
      const bp = b.partition(PSIM_TOPIC, e.partition);
      if (!bp?.isLeader || bp.leaderEpoch < e.epoch) continue;
      const takeover: NonNullable<UncleanElection['takeover']> = { at: world.now, logEnd: bp.logEndOffset, log: undefined };
      e.takeover = takeover;
      note(`unclean leader ${e.leader} of partition ${e.partition} takes over at epoch ${bp.leaderEpoch} with log end ${bp.logEndOffset}`);
      // Its log below that end does not change while it leads; read it now (a crash fails the read: then the offsets say).
      void readLog(b, e.partition, bp.logEndOffset).then(
        (rs) => (takeover.log = new Map(rs.map((r) => [r.offset, r.value]))),
        () => undefined,
      );
    }
    if (history.violations.length > 0) violation = history.violations[0];
  };
  const run = async (ms: number) => {
    await world.runUntil(world.now + ms, checkStep);
  };
  /** Waits for `p` while the world runs (a read of a SimDisk takes simulated time). */
  const drive = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    const settled = p.finally(() => (done = true));
    for (let i = 0; !done && i < 10_000; i++) await run(10);
    return settled;
  };

  // Start-up: the brokers register and are unfenced, then the topic is created on all three, its
  // partitions' preferred leaders in turn, so each broker leads some and follows the others.
  const hasAll = (b: PsimBroker) => partitionIds.every((p) => b.partition(PSIM_TOPIC, p));
  for (const b of brokers) world.schedule(0, () => void b.start());
  for (let waited = 0; waited < 5000 && !brokers.every((b) => b.ready); waited += 50) await run(50);
  if (!brokers.every((b) => b.ready)) return report(`the brokers did not start: ${brokers.map((b) => `${b.id}:${b.ready}`).join(' ')} ${brokers.flatMap((b) => b.errors).join('; ')}`);
  let created: unknown;
  const assignments = partitionIds.map((p) => ({ partitionIndex: p, brokerIds: BROKER_IDS.map((_, i) => BROKER_IDS[(i + p) % BROKER_IDS.length]!) }));
  void controller.controller.createTopics([{ name: PSIM_TOPIC, numPartitions: -1, replicationFactor: -1, assignments, configs: [] }], false).then(
    (r) => (created = r),
    (err: unknown) => (created = err),
  );
  for (let waited = 0; waited < 2000 && !(created && brokers.every(hasAll)); waited += 50) await run(50);
  if (!created || !brokers.every(hasAll)) return report(`the topic was not created on every broker: ${JSON.stringify(created, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  note(`topic created with ${partitions} partitions; fsync.before.ack=${fsyncBeforeAck} min.insync.replicas=${minInsyncReplicas} unclean.leader.election.enable=${uncleanElection}`);

  // The clients.
  for (let i = 0; i < 3; i++) void runProducer(env, i, -1);
  void runProducer(env, 3, 1);
  void runConsumer(env);

  // Chaos.
  const chaosEnd = world.now + (o.chaosMs ?? 6000);
  while (world.now < chaosEnd && !violation) {
    await run(100 + chaosRandom.nextInt(500));
    const roll = chaosRandom.next();
    const leader = registration(chaosRandom.nextInt(partitions))?.leader ?? -1;
    const followers = BROKER_IDS.filter((id) => id !== leader);
    if (roll < 0.2 && leader > 0) {
      // (a) A leader cut off from the other brokers, still reachable by producers and the controller.
      network.isolate([leader], followers);
      note(`cut leader ${leader} off from followers ${followers.join(',')}`);
      world.schedule(300 + chaosRandom.nextInt(2500), () => {
        network.healLinks();
        note('links healed');
      });
    } else if (roll < 0.3 && leader > 0) {
      // The converse: a leader cut off from the controller, still reachable by the rest.
      network.isolate([leader], [CONTROLLER_NODE_ID]);
      note(`cut leader ${leader} off from the controller`);
      world.schedule(300 + chaosRandom.nextInt(2500), () => {
        network.healLinks();
        note('links healed');
      });
    } else if (roll < 0.55) {
      const victim = chaosRandom.next() < 0.5 && leader > 0 ? leader : BROKER_IDS[chaosRandom.nextInt(3)]!;
      const b = brokers[victim - 1]!;
      if (!b.alive) continue;
      const powerLoss = (o.crashes ?? (fsyncBeforeAck ? 'power-loss' : 'kill')) === 'power-loss';
      b.crash(powerLoss);
      note(`${powerLoss ? 'power loss of' : 'kill -9 of'} broker ${victim}${victim === leader ? ' (a leader)' : ''}`);
      world.schedule(200 + chaosRandom.nextInt(1500), () => {
        if (b.alive) return;
        note(`restart broker ${victim}`);
        void b.start();
      });
    } else if (roll < 0.7) {
      const b = brokers[chaosRandom.nextInt(3)]!;
      const jump = chaosRandom.nextInt(4001) - 2000;
      b.clock.jump(jump);
      note(`broker ${b.id}'s clock jumps ${jump} ms`);
    } else if (roll < 0.8) {
      const b = brokers[chaosRandom.nextInt(3)]!;
      const rate = 0.8 + chaosRandom.next() * 0.4;
      b.clock.setRate(rate);
      note(`broker ${b.id}'s clock runs at ${rate.toFixed(2)}`);
    } else if (roll < 0.9) {
      network.conditions = { dropRate: chaosRandom.next() * 0.1, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 5 + chaosRandom.nextInt(40) };
      note(`network: drop ${network.conditions.dropRate.toFixed(3)}, delay up to ${network.conditions.maxDelayMs} ms`);
    }
  }
  if (violation) return report(violation);

  // Heal: links, clocks' rates, dead brokers; stop the clients; settle.
  running = false;
  network.healLinks();
  network.conditions = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 5 };
  for (const b of brokers) {
    b.clock.setRate(1);
    if (!b.alive) {
      note(`restart broker ${b.id} (healing)`);
      void b.start();
    }
  }
  note('healed');
  const partitionSettled = (p: number) => {
    const reg = registration(p);
    if (!reg || reg.isr.length !== 3) return false;
    const lp = brokers[reg.leader - 1]?.partition(PSIM_TOPIC, p);
    if (!lp || !lp.isLeader || lp.leaderEpoch !== reg.leaderEpoch || lp.highWatermark !== lp.logEndOffset) return false;
    return brokers.every((b) => {
      const bp = b.partition(PSIM_TOPIC, p);
      return bp && bp.leaderEpoch === reg.leaderEpoch && bp.logEndOffset === lp.logEndOffset && bp.highWatermark === lp.highWatermark;
    });
  };
  const settled = () => brokers.every((b) => b.ready) && partitionIds.every(partitionSettled);
  for (let waited = 0; !settled() && !violation; waited += 100) {
    if (waited >= 20_000) {
      const unsettled = partitionIds.find((p) => !partitionSettled(p)) ?? 0;
      const state = (b: PsimBroker) => {
        const bp = b.partition(PSIM_TOPIC, unsettled);
        return `${b.id}:${b.ready ? `end ${bp?.logEndOffset} hw ${bp?.highWatermark} epoch ${bp?.leaderEpoch}` : `not ready (alive ${b.alive}, registered ${JSON.stringify(controller.image.broker(b.id), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}) ${b.errors.join('; ')}`}`;
      };
      return report(`the cluster did not settle within 20 s after healing: partition ${unsettled} ISR ${registration(unsettled)?.isr.join(',')}, brokers ${brokers.map(state).join(' ')}`);
    }
    await run(100);
  }
  if (violation) return report(violation);
  // The unclean leaders' logs read when they took over (a read still under way finishes first).
  for (let i = 0; i < 100 && elections.some((e) => e.takeover && !e.takeover.log); i++) await run(10);

  // The final check, partition by partition.
  const hws: bigint[] = [];
  for (const p of partitionIds) {
    const reg = registration(p)!;
    const leader = brokers[reg.leader - 1]!;
    const hw = leader.partition(PSIM_TOPIC, p)!.highWatermark;
    hws.push(hw);
    const finalLog: LogRecord[] = await drive(readLog(leader, p, hw));
    const result = checkPartition({
      partition: p,
      leader: reg.leader,
      leaderEpoch: reg.leaderEpoch,
      highWatermark: hw,
      finalLog,
      history,
      elections: elections.filter((e) => e.partition === p),
      ackEpoch: (a) => brokers[a.broker - 1]?.ackedAllEpochAt.get(`${p}:${a.baseOffset}`) ?? -1,
    });
    lostToUnclean += result.lostToUnclean;
    violation = result.violation;
    for (const id of violation ? [] : reg.isr) {
      if (id === reg.leader) continue;
      const other = await drive(readLog(brokers[id - 1]!, p, hw));
      const diff = other.findIndex((r, i) => r.offset !== finalLog[i]?.offset || r.value !== finalLog[i]?.value);
      if (other.length !== finalLog.length || diff >= 0) {
        violation = `partition ${p}: in-sync replica ${id} differs from leader ${reg.leader} below the high watermark ${hw} (at record ${diff >= 0 ? diff : Math.min(other.length, finalLog.length)})`;
        break;
      }
    }
    note(`final: partition ${p} leader ${reg.leader} epoch ${reg.leaderEpoch} hw ${hw}`);
    if (violation) break;
  }
  if (!violation) {
    // At most one leader per partition and leader epoch acknowledged acks=all writes.
    const byEpoch = new Map<string, number[]>();
    for (const b of brokers) for (const key of b.ackedAllByEpoch) byEpoch.set(key, [...(byEpoch.get(key) ?? []), b.id]);
    for (const [key, ids] of byEpoch) if (ids.length > 1) violation = `brokers ${ids.join(' and ')} both acknowledged acks=all writes in partition:epoch ${key}`;
  }
  note(`final: ${history.ackedAll.length} acks=all and ${history.ackedOne} acks=1 acknowledged, ${report(undefined).consumed} consumed, ${elections.length} unclean elections explaining ${lostToUnclean} lost acks=all records`);
  return report(violation, hws);
}
