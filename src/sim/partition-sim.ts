/**
 * The partition-layer simulation (issue 16): three brokers running the real partition layer
 * (partition-sim-broker.ts) under the real controller (partition-sim-controller.ts), producers and
 * a consumer (partition-workload.ts), all in one deterministic simulated world: the same seed
 * gives the same run. A run creates one partition replicated on the three brokers, then goes
 * through a chaos phase — the leader cut off from its followers but not from producers or the
 * controller, the leader cut off from the controller but not from the rest, crashes (leaders and
 * followers) with their unsynced writes lost, restarts, clock jumps and drift, lossy links — then
 * heals everything, lets the cluster settle, and checks what was promised:
 *
 * - every acks=all record acknowledged is in the final leader's log below its high watermark,
 *   exactly once, in acknowledgement order (per producer, and across producers when one was
 *   acknowledged before the other was sent), and every in-sync replica has the same records up
 *   to the high watermark;
 * - no record that was never sent is in any log;
 * - what a consumer read below a high watermark is never taken back (the final log has it at
 *   the same offset), and no leader returns records at or above its high watermark;
 * - leader epochs only grow (the controller's, each broker's, and along the log);
 * - at most one leader per leader epoch gets an acks=all write acknowledged.
 *
 * Durability modes (the topic's `samsa.fsync.before.ack`): with it, crashes are power losses (what
 * was not fsynced is lost, torn tails kept at random) and the promise holds for any crashes; without
 * it, crashes are kill -9 (the OS keeps what was written) — a power loss of a replica may then lose
 * acknowledged records, as in Kafka without fsync, and the run does not promise otherwise.
 */
import { decodeRecordBatch, iterateBatches } from '../protocol/records/index.js';
import { DEFAULT_LOG_CONFIG } from '../log/log-config.js';
import { type PsimBrokerSettings, PsimBroker } from './partition-sim-broker.js';
import { CONTROLLER_NODE_ID, PartitionSimController, psimControllerConfig } from './partition-sim-controller.js';
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
  readonly faults?: PartitionSimFaults;
}

export interface PartitionSimReport {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation?: string;
  readonly fsyncBeforeAck: boolean;
  readonly minInsyncReplicas: number;
  readonly ackedAll: number;
  readonly ackedOne: number;
  readonly consumed: number;
  readonly leaderEpoch: number;
  readonly finalHighWatermark: bigint;
  /** The followers' fetches over the run: full, incremental (through a fetch session), answered with a session error. */
  readonly fetches: { full: number; incremental: number; sessionErrors: number };
  readonly steps: number;
  readonly simTimeMs: number;
  readonly trace: string[];
}

interface LogRecord {
  readonly offset: bigint;
  readonly value: string;
  readonly leaderEpoch: number;
}

/** The records of a replica's log below `upTo` (read as stored). */
async function readLog(b: PsimBroker, upTo: bigint): Promise<LogRecord[]> {
  const p = b.partition(PSIM_TOPIC)!;
  const out: LogRecord[] = [];
  let offset = p.logStartOffset;
  while (offset < upTo) {
    const r = await p.log.read(offset, 1 << 20, { maxOffset: upTo, minOneBatch: true });
    if (r.chunks.length === 0) break;
    const before = offset;
    for (const buf of r.chunks) {
      for (const span of iterateBatches(buf)) {
        if (!span.complete) break;
        const batch = await decodeRecordBatch(buf, span.position, { maxUncompressedBytes: 1 << 24 });
        for (const rec of batch.records) {
          if (rec.offset >= upTo) continue;
          out.push({ offset: rec.offset, value: rec.value?.toString() ?? '', leaderEpoch: batch.header.partitionLeaderEpoch });
          offset = rec.offset + 1n;
        }
      }
    }
    if (offset === before) break;
  }
  return out;
}

export async function runPartitionSimulation(o: PartitionSimOptions): Promise<PartitionSimReport> {
  const world = new SimWorld(o.seed);
  const random = world.random.fork('psim');
  const chaosRandom = world.random.fork('chaos');
  const fsyncBeforeAck = o.fsyncBeforeAck ?? random.next() < 0.5;
  const minInsyncReplicas = o.minInsyncReplicas ?? (random.next() < 0.3 ? 1 : 2);
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
    policy: { maxMessageBytes: 1 << 20, timestampType: 'CreateTime', timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: 3_600_000, minInsyncReplicas, compressionType: 'producer' },
    ...(o.faults?.acksAllWithoutIsr ? { unsafeAcksAllWithoutIsr: true } : {}),
  };
  const controllerClock = new SimClock(world, random.nextInt(100_000));
  const controller = new PartitionSimController(world, controllerClock, random.fork('controller').random, psimControllerConfig(sessionTimeoutMs));
  network.listen(CONTROLLER_NODE_ID, 1, controller.server);
  const brokers = BROKER_IDS.map((id) => new PsimBroker(id, world, network, random, settings, random.nextInt(100_000)));
  const history: PsimHistory = newHistory();
  let running = true;
  const clientClock = new SimClock(world);
  const env = { world, brokers, random: random.fork('clients'), conns: network.connections(CLIENT_NODE_ID, clientClock, () => true, 3000), history, running: () => running };
  const report = (violation: string | undefined, hw = -1n): PartitionSimReport => {
    const reg = controller.image.topic(PSIM_TOPIC)?.partitions[0];
    return {
      seed: o.seed,
      ok: violation === undefined,
      ...(violation !== undefined ? { violation } : {}),
      fsyncBeforeAck,
      minInsyncReplicas,
      ackedAll: history.ackedAll.length,
      ackedOne: history.ackedOne,
      consumed: history.consumed.size,
      leaderEpoch: reg?.leaderEpoch ?? -1,
      finalHighWatermark: hw,
      fetches: brokers.map((b) => b.fetchStats()).reduce((a, s) => ({ full: a.full + s.full, incremental: a.incremental + s.incremental, sessionErrors: a.sessionErrors + s.sessionErrors })),
      steps: world.steps,
      simTimeMs: world.now,
      trace,
    };
  };

  // Leader epochs only grow: the controller's, and each broker's within an incarnation.
  let violation: string | undefined;
  let lastControllerEpoch = -1;
  const lastBrokerEpoch = new Map<string, number>();
  const checkStep = () => {
    if (violation) return;
    const reg = controller.image.topic(PSIM_TOPIC)?.partitions[0];
    if (reg) {
      if (reg.leaderEpoch < lastControllerEpoch) violation = `the controller's leader epoch went back from ${lastControllerEpoch} to ${reg.leaderEpoch}`;
      lastControllerEpoch = reg.leaderEpoch;
    }
    for (const b of brokers) {
      const p = b.partition(PSIM_TOPIC);
      if (!p) continue;
      const key = `${b.id}/${b.incarnation}`;
      const last = lastBrokerEpoch.get(key) ?? -1;
      if (p.leaderEpoch < last) violation = `broker ${b.id}'s leader epoch went back from ${last} to ${p.leaderEpoch}`;
      lastBrokerEpoch.set(key, p.leaderEpoch);
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

  // Start-up: the brokers register and are unfenced, then the topic is created on all three.
  for (const b of brokers) world.schedule(0, () => void b.start());
  for (let waited = 0; waited < 5000 && !brokers.every((b) => b.ready); waited += 50) await run(50);
  if (!brokers.every((b) => b.ready)) return report(`the brokers did not start: ${brokers.map((b) => `${b.id}:${b.ready}`).join(' ')} ${brokers.flatMap((b) => b.errors).join('; ')}`);
  let created: unknown;
  void controller.controller.createTopics([{ name: PSIM_TOPIC, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [...BROKER_IDS] }], configs: [] }], false).then(
    (r) => (created = r),
    (err: unknown) => (created = err),
  );
  for (let waited = 0; waited < 2000 && !(created && brokers.every((b) => b.partition(PSIM_TOPIC))); waited += 50) await run(50);
  if (!created || !brokers.every((b) => b.partition(PSIM_TOPIC))) return report(`the topic was not created on every broker: ${JSON.stringify(created, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  note(`topic created; fsync.before.ack=${fsyncBeforeAck} min.insync.replicas=${minInsyncReplicas}`);

  // The clients.
  for (let i = 0; i < 3; i++) void runProducer(env, i, -1);
  void runProducer(env, 3, 1);
  void runConsumer(env);

  // Chaos.
  const chaosEnd = world.now + (o.chaosMs ?? 6000);
  const leaderNow = () => controller.image.topic(PSIM_TOPIC)?.partitions[0]?.leader ?? -1;
  while (world.now < chaosEnd && !violation) {
    await run(100 + chaosRandom.nextInt(500));
    const roll = chaosRandom.next();
    const leader = leaderNow();
    const followers = BROKER_IDS.filter((id) => id !== leader);
    if (roll < 0.2 && leader > 0) {
      // (a) The leader cut off from its followers, still reachable by producers and the controller.
      network.isolate([leader], followers);
      note(`cut leader ${leader} off from followers ${followers.join(',')}`);
      world.schedule(300 + chaosRandom.nextInt(2500), () => {
        network.healLinks();
        note('links healed');
      });
    } else if (roll < 0.3 && leader > 0) {
      // The converse: the leader cut off from the controller, still reachable by the rest.
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
      note(`${powerLoss ? 'power loss of' : 'kill -9 of'} broker ${victim}${victim === leader ? ' (the leader)' : ''}`);
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
  const settled = () => {
    const reg = controller.image.topic(PSIM_TOPIC)?.partitions[0];
    if (!reg || reg.isr.length !== 3 || !brokers.every((b) => b.ready)) return false;
    const lp = brokers[reg.leader - 1]?.partition(PSIM_TOPIC);
    if (!lp || !lp.isLeader || lp.leaderEpoch !== reg.leaderEpoch || lp.highWatermark !== lp.logEndOffset) return false;
    return brokers.every((b) => {
      const p = b.partition(PSIM_TOPIC);
      return p && p.leaderEpoch === reg.leaderEpoch && p.logEndOffset === lp.logEndOffset && p.highWatermark === lp.highWatermark;
    });
  };
  for (let waited = 0; !settled() && !violation; waited += 100) {
    if (waited >= 20_000) return report(`the cluster did not settle within 20 s after healing: ISR ${controller.image.topic(PSIM_TOPIC)?.partitions[0]?.isr.join(',')}, brokers ${brokers.map((b) => `${b.id}:${b.ready ? `end ${b.partition(PSIM_TOPIC)?.logEndOffset} hw ${b.partition(PSIM_TOPIC)?.highWatermark} epoch ${b.partition(PSIM_TOPIC)?.leaderEpoch}` : `not ready (alive ${b.alive}, registered ${JSON.stringify(controller.image.broker(b.id), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}) ${b.errors.join('; ')}`}`).join(' ')}`);
    await run(100);
  }
  if (violation) return report(violation);

  // The final check.
  const reg = controller.image.topic(PSIM_TOPIC)!.partitions[0]!;
  const leader = brokers[reg.leader - 1]!;
  const hw = leader.partition(PSIM_TOPIC)!.highWatermark;
  const finalLog = await drive(readLog(leader, hw));
  const check = (): string | undefined => {
    const where = new Map<string, bigint[]>();
    let epoch = -1;
    for (const r of finalLog) {
      if (!history.sent.has(r.value)) return `offset ${r.offset} holds "${r.value}", which no producer sent`;
      const l = where.get(r.value) ?? [];
      l.push(r.offset);
      where.set(r.value, l);
      if (r.leaderEpoch < epoch) return `the leader epochs along the log go back at offset ${r.offset} (${epoch} then ${r.leaderEpoch})`;
      epoch = r.leaderEpoch;
    }
    const offsetOf = (v: string) => where.get(v)?.[0];
    for (const a of history.ackedAll) {
      for (const v of a.values) {
        const at = where.get(v);
        if (!at) return `acks=all record "${v}" acknowledged by broker ${a.broker} at t=${a.ackedAt} (offset ${a.baseOffset}) is not in the final log (leader ${reg.leader}, epoch ${reg.leaderEpoch}, high watermark ${hw})`;
        if (at.length > 1) return `acks=all record "${v}" is in the final log ${at.length} times (offsets ${at.join(', ')})`;
      }
    }
    const byProducer = new Map<number, bigint>();
    for (const a of history.ackedAll) {
      const first = offsetOf(a.values[0]!)!;
      const prev = byProducer.get(a.producer);
      if (prev !== undefined && first <= prev) return `producer ${a.producer}'s acknowledged batches are out of order in the final log (offset ${first} after ${prev})`;
      byProducer.set(a.producer, offsetOf(a.values[a.values.length - 1]!)!);
    }
    const acked = [...history.ackedAll].sort((x, y) => x.ackedAt - y.ackedAt);
    for (let i = 0; i < acked.length; i++) {
      for (let j = i + 1; j < acked.length; j++) {
        if (acked[j]!.sentAt <= acked[i]!.ackedAt) continue;
        if (offsetOf(acked[j]!.values[0]!)! < offsetOf(acked[i]!.values[0]!)!) return `"${acked[j]!.values[0]}" was sent after "${acked[i]!.values[0]}" was acknowledged but precedes it in the final log`;
      }
    }
    const byOffset = new Map(finalLog.map((r) => [r.offset, r.value]));
    for (const [offset, value] of history.consumed) {
      if (offset >= hw) return `the consumer read offset ${offset} ("${value}"), at or above the final high watermark ${hw}: a high watermark went back`;
      if (byOffset.get(offset) !== value) return `the consumer read "${value}" at offset ${offset}; the final log has "${byOffset.get(offset)}" there`;
    }
    return undefined;
  };
  violation = check();
  if (!violation) {
    for (const id of reg.isr) {
      if (id === reg.leader) continue;
      const other = await drive(readLog(brokers[id - 1]!, hw));
      const diff = other.findIndex((r, i) => r.offset !== finalLog[i]?.offset || r.value !== finalLog[i]?.value);
      if (other.length !== finalLog.length || diff >= 0) {
        violation = `in-sync replica ${id} differs from leader ${reg.leader} below the high watermark ${hw} (at record ${diff >= 0 ? diff : Math.min(other.length, finalLog.length)})`;
        break;
      }
    }
  }
  if (!violation) {
    // At most one leader per leader epoch acknowledged acks=all writes.
    const byEpoch = new Map<number, Set<number>>();
    for (const b of brokers) for (const [epoch, ids] of b.ackedAllByEpoch) for (const id of ids) (byEpoch.get(epoch) ?? byEpoch.set(epoch, new Set()).get(epoch)!).add(id);
    for (const [epoch, ids] of byEpoch) if (ids.size > 1) violation = `brokers ${[...ids].join(' and ')} both acknowledged acks=all writes in leader epoch ${epoch}`;
  }
  note(`final: leader ${reg.leader} epoch ${reg.leaderEpoch} hw ${hw}, ${history.ackedAll.length} acks=all and ${history.ackedOne} acks=1 acknowledged, ${history.consumed.size} consumed`);
  return report(violation, hw);
}
