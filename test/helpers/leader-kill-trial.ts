/**
 * The fault trials (issue 16): three `samsa broker` processes on 127.0.0.1, a topic with
 * replication factor 3 and min.insync.replicas=2, and two idempotent acks=all producers writing
 * numbered records to its partition 0 without pause — the Samsa client in this process and
 * librdkafka (confluent-kafka, test/fixtures/idempotent-producer.py) in a child process. Each round
 * `kill -9`s a victim, waits until a successor has acknowledged new writes, restarts the killed
 * node, waits until it is back in the ISR, and repeats. At the end kcat reads the partition from
 * the beginning, and for each producer: every acknowledged record is there exactly once, its
 * records are in the order they were sent, and nothing appears that it did not send.
 *
 * Victims: the partition's leader; the active controller (the nodes are combined, so it may lead
 * the partition too); the two in turn; or `two-brokers`: the leader, then — before it is back —
 * its successor. Two of three combined nodes would take the metadata quorum with them, so that
 * trial runs Kafka's isolated layout instead: one controller-only node and three broker-only
 * nodes. With the ISR down to the last broker, acks=all must be refused (NOT_ENOUGH_REPLICAS,
 * which the trial checks with a probe and by no producer having a write acknowledged), and the
 * producers retry until the two are restarted and back in the ISR.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { SamsaClient, stringSerde } from '../../src/client/index.js';
import { DescribeQuorumApi, MetadataApi } from '../../src/protocol/messages/index.js';
import { kcat } from './kcat.js';
import { RawClient } from './raw-client.js';
import { fixturePath } from './repo-root.js';
import { type ChildBroker, childBroker } from './test-broker.js';
import { type ClusterLayout, childNode, clusterLayout, removeLayout } from './test-cluster.js';

export interface TrialOptions {
  readonly kills: number;
  /** Acknowledged records each producer must add between kills (default 100). */
  readonly writesBetweenKills?: number;
  readonly log?: (line: string) => void;
  /** Whom to kill: the partition's leader (default), the active controller, each in turn, or the leader and then its successor. */
  readonly victim?: Victim;
}

export type Victim = 'leader' | 'controller' | 'alternate' | 'two-brokers';
export const VICTIMS: readonly Victim[] = ['leader', 'controller', 'alternate', 'two-brokers'];

export interface ProducerReport {
  readonly name: string;
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
  /** Records of this producer found by kcat. */
  readonly read: number;
  readonly missing: string[];
  readonly duplicates: string[];
  readonly outOfOrder: string[];
  readonly neverSent: string[];
}

export interface TwoBrokerRound {
  readonly victims: [number, number];
  readonly survivor: number;
  /** The survivor's answer to an acks=all probe while it was the ISR alone. */
  readonly probeError: string;
  /** Writes acknowledged to each producer while the survivor was the ISR alone (must be 0). */
  readonly samsaAckedAlone: number;
  readonly rdkafkaAckedAlone: number;
  /** ms from the second kill to the first write acknowledged after both were restarted. */
  readonly firstAckMs: number;
}

export interface TrialReport {
  readonly kills: number;
  readonly twoBrokerRounds: TwoBrokerRound[];
  /** Per kill: ms from kill -9 to the first write acknowledged after it, and writes in flight at the kill. */
  readonly failovers: { victim: number; successor: number; firstAckMs: number; samsaInFlight: number; rdkafkaInFlight: number }[];
  readonly producers: ProducerReport[];
  readonly totalRead: number;
  readonly foreign: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NODE_CONFIG = {
  'broker.session.timeout.ms': 3000,
  'broker.heartbeat.interval.ms': 500,
  'replica.lag.time.max.ms': 10000,
  'replica.fetch.backoff.ms': 200,
  'offsets.topic.replication.factor': 3,
};

const TOPIC = 'trial';

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>, state?: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${state ? ` (${state()})` : ''}`);
    await sleep(100);
  }
}

interface PartitionState {
  leader: number;
  isr: number[];
  epoch: number;
}

async function partitionState(port: number): Promise<PartitionState | undefined> {
  const c = await RawClient.connect(port);
  try {
    const md = await c.send(MetadataApi, 12, { topics: [{ name: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const p = md.topics.find((t) => t.name === TOPIC)?.partitions.find((x) => x.partitionIndex === 0);
    return p && p.errorCode === 0 ? { leader: p.leaderId, isr: [...p.isrNodes].sort(), epoch: p.leaderEpoch } : undefined;
  } finally {
    c.close();
  }
}

async function activeController(port: number): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.send(DescribeQuorumApi, 2, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
    return res.topics[0]?.partitions[0]?.leaderId ?? -1;
  } finally {
    c.close();
  }
}

/** The Samsa client's producer: numbered sends, at most 20 in flight. */
class SamsaWriter {
  readonly acked = new Set<number>();
  readonly failed = new Set<number>();
  readonly inFlight = new Set<number>();
  sent = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly client: SamsaClient;

  constructor(bootstrap: string[]) {
    this.client = new SamsaClient({ bootstrapServers: bootstrap });
  }

  start(): void {
    const producer = this.client.producer({ valueSerializer: stringSerde, acks: 'all', idempotent: true, retries: 1000, retryBackoffMs: 100, timeoutMs: 120_000 });
    const pending = new Set<Promise<void>>();
    this.loop = (async () => {
      while (!this.stopped) {
        const i = this.sent++;
        this.inFlight.add(i);
        const p: Promise<void> = producer.send(TOPIC, { value: `samsa-${i}`, partition: 0 }).then(
          () => void this.acked.add(i),
          () => void this.failed.add(i),
        );
        const tracked = p.finally(() => {
          this.inFlight.delete(i);
          pending.delete(tracked);
        });
        pending.add(tracked);
        if (pending.size >= 20) await Promise.race(pending);
        else await sleep(2);
      }
      await Promise.all(pending);
      await producer.close();
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.client.close();
  }
}

/** librdkafka's producer in a child process (test/fixtures/idempotent-producer.py). */
class RdkafkaWriter {
  readonly acked = new Set<number>();
  readonly failed = new Set<number>();
  sent = 0;
  /** Records handed to librdkafka so far (reported every ten). */
  queued = 0;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private stderr = '';

  constructor(bootstrap: string[]) {
    this.child = spawn('/usr/bin/python3', [fixturePath('idempotent-producer.py'), bootstrap.join(','), TOPIC, 'rdkafka'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d) => (this.stderr = (this.stderr + String(d)).slice(-4000)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const [kind, value, rest] = line.split(' ');
      const n = Number(value?.split('-')[1]);
      if (kind === 'ACK') this.acked.add(n);
      else if (kind === 'ERR') this.failed.add(n);
      else if (kind === 'SENT') this.sent = Number(value);
      else if (kind === 'Q') this.queued = Number(value);
      void rest;
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get answered(): number {
    return this.acked.size + this.failed.size;
  }

  /** Records handed to librdkafka and not answered yet (at least). */
  get inFlight(): number {
    return Math.max(0, this.queued - this.answered);
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 150_000);
    await this.exited;
    clearTimeout(timer);
    if (this.sent === 0) throw new Error(`the librdkafka producer did not finish: ${this.stderr}`);
  }
}

function check(name: string, prefix: string, read: string[], sent: number, acked: Set<number>, failed: Set<number>): ProducerReport {
  const mine = read.filter((v) => v.startsWith(`${prefix}-`)).map((v) => Number(v.slice(prefix.length + 1)));
  const seen = new Set<number>();
  const duplicates: string[] = [];
  const outOfOrder: string[] = [];
  let last = -1;
  for (const n of mine) {
    if (seen.has(n)) duplicates.push(`${prefix}-${n}`);
    else if (n < last) outOfOrder.push(`${prefix}-${n} after ${prefix}-${last}`);
    seen.add(n);
    last = Math.max(last, n);
  }
  return {
    name,
    sent,
    acknowledged: acked.size,
    failed: failed.size,
    read: mine.length,
    missing: [...acked].filter((n) => !seen.has(n)).map((n) => `${prefix}-${n}`),
    duplicates,
    outOfOrder,
    neverSent: mine.filter((n) => !Number.isInteger(n) || n < 0 || n >= sent).map((n) => `${prefix}-${n}`),
  };
}

/** The nodes of a trial: the brokers clients use, and how to (re)start one. */
interface Topology {
  readonly brokerIds: number[];
  start(id: number, clientPort: number, timeoutMs?: number): Promise<ChildBroker>;
  /** A controller-only node (the isolated layout), killed at the end. */
  controller?: ChildBroker;
}

/** Three combined nodes, broker and controller each. */
function combined(layout: ClusterLayout): Topology {
  return { brokerIds: layout.ids, start: (id, port, timeoutMs) => childNode(layout, id, port, NODE_CONFIG, timeoutMs) };
}

/** Kafka's isolated layout: node 3 a controller-only quorum of one, nodes 0-2 broker-only. */
async function isolated(layout: ClusterLayout): Promise<Topology> {
  const controllerId = layout.ids[3]!;
  const voters = `${controllerId}@127.0.0.1:${layout.controllerPorts.get(controllerId)}`;
  const base = { ...NODE_CONFIG, 'controller.quorum.voters': voters, 'controller.listener.names': 'CONTROLLER' };
  const args = (config: Record<string, string | number>) => Object.entries(config).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
  const controller = await childBroker(layout.dirs.get(controllerId)!, args({ ...base, 'process.roles': 'controller', 'node.id': controllerId, listeners: `CONTROLLER://127.0.0.1:${layout.controllerPorts.get(controllerId)}`, 'log.dirs': layout.dirs.get(controllerId)! }), 30_000);
  return {
    brokerIds: layout.ids.slice(0, 3),
    controller,
    start: (id, port, timeoutMs = 30_000) => childBroker(layout.dirs.get(id)!, ['--port', String(port), ...args({ ...base, 'process.roles': 'broker', 'node.id': id, listeners: `PLAINTEXT://127.0.0.1:${port}`, 'log.dirs': layout.dirs.get(id)! })], timeoutMs),
  };
}

/**
 * An acks=all write of one record straight to `port`, not retried: the error it is refused with
 * (NONE if it was written, which the caller's checks then see as a record nobody sent).
 */
async function probeWrite(bootstrap: string, n: number): Promise<string> {
  const client = new SamsaClient({ bootstrapServers: [bootstrap] });
  try {
    await client.producer({ valueSerializer: stringSerde, acks: 'all', idempotent: false, retries: 0, timeoutMs: 5000 }).send(TOPIC, { value: `probe-${n}`, partition: 0 });
    return 'NONE';
  } catch (err) {
    return (err as { type?: string }).type ?? (err as Error).message;
  } finally {
    await client.close();
  }
}

export async function runLeaderKillTrial(o: TrialOptions): Promise<TrialReport> {
  const log = o.log ?? (() => undefined);
  const between = o.writesBetweenKills ?? 100;
  const twoBrokers = o.victim === 'two-brokers';
  const layout: ClusterLayout = await clusterLayout(twoBrokers ? 4 : 3);
  const nodes = new Map<number, ChildBroker>();
  const ports = new Map<number, number>();
  let topology: Topology | undefined;
  let samsa: SamsaWriter | undefined;
  let rdkafka: RdkafkaWriter | undefined;
  try {
    topology = twoBrokers ? await isolated(layout) : combined(layout);
    const t = topology;
    const started = await Promise.allSettled(t.brokerIds.map((id) => t.start(id, 0)));
    started.forEach((s, i) => {
      if (s.status === 'fulfilled') {
        nodes.set(t.brokerIds[i]!, s.value);
        ports.set(t.brokerIds[i]!, s.value.port);
      }
    });
    const failedStart = started.find((s) => s.status === 'rejected');
    if (failedStart) throw (failedStart as PromiseRejectedResult).reason;
    const bootstrap = [...nodes.values()].map((n) => n.bootstrap);
    const admin = new SamsaClient({ bootstrapServers: bootstrap });
    try {
      await until('three unfenced brokers', 20_000, async () => {
        const c = await RawClient.connect(nodes.get(0)!.port);
        try {
          return (await c.send(MetadataApi, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).brokers.length === 3;
        } finally {
          c.close();
        }
      });
      await admin.admin().createTopics([{ name: TOPIC, partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    } finally {
      await admin.close();
    }
    const anyPort = () => [...nodes.values()][0]!.port;
    await until('the trial topic with a full ISR', 20_000, async () => (await partitionState(anyPort()))?.isr.length === 3);
    samsa = new SamsaWriter(bootstrap);
    rdkafka = new RdkafkaWriter(bootstrap);
    samsa.start();
    const s = samsa;
    const r = rdkafka;
    const failovers: TrialReport['failovers'] = [];
    const twoBrokerRounds: TwoBrokerRound[] = [];
    /** Where the producers stand, for a wait that timed out. */
    const writers = (s0: number, r0: number) =>
      `Samsa: ${s.acked.size - s0} more acknowledged (${s.acked.size} in all), ${s.failed.size} failed, ${s.inFlight.size} in flight, ${s.sent} sent; librdkafka: ${r.acked.size - r0} more acknowledged (${r.acked.size} in all), ${r.failed.size} failed, ${r.queued} queued, ${r.sent} sent`;
    const restart = async (id: number) => nodes.set(id, await t.start(id, ports.get(id)!, 60_000));
    /**
     * kill -9 of `victim` at a moment when writes are in flight (a kill between two sends would prove
     * nothing about them), noting them; the check, the note and the signal run in one synchronous step.
     */
    const kill = async (k: number, victim: number) => {
      if (!nodes.has(victim)) throw new Error(`kill ${k + 1}: no node ${victim} to kill`);
      const deadline = Date.now() + 30_000;
      while (s.inFlight.size + r.inFlight === 0) {
        if (Date.now() > deadline) throw new Error(`kill ${k + 1}: no write in flight within 30000 ms`);
        await sleep(1);
      }
      const at = { samsaInFlight: s.inFlight.size, rdkafkaInFlight: r.inFlight, sBefore: s.acked.size, killedAt: Date.now() };
      await nodes.get(victim)!.kill('SIGKILL');
      nodes.delete(victim);
      return at;
    };
    for (let k = 0; k < o.kills; k++) {
      const s0 = s.acked.size;
      const r0 = r.acked.size;
      await until(`kill ${k + 1}: ${between} more writes acknowledged by each producer`, 120_000, () => s.acked.size >= s0 + between && r.acked.size >= r0 + between, () => writers(s0, r0));
      let state: PartitionState | undefined;
      await until(`kill ${k + 1}: a full ISR`, 60_000, async () => { state = await partitionState(anyPort()); return state?.isr.length === 3 && state.leader >= 0; });
      const killController = o.victim === 'controller' || (o.victim === 'alternate' && k % 2 === 1);
      const victim = killController ? await activeController(anyPort()) : state!.leader;
      const wasLeader = victim === state!.leader;
      const at = await kill(k, victim);
      let successor = -1;
      await until(`kill ${k + 1}: a leader other than the killed node`, 60_000, async () => {
        const st = await partitionState(anyPort());
        successor = st?.leader ?? -1;
        return successor >= 0 && successor !== victim;
      });
      const sAck = s.acked.size;
      // Writes in flight at the kill may be answered by the dying leader's last responses; past them, a new write was acknowledged by the successor.
      await until(`kill ${k + 1}: a write acknowledged by the successor`, 60_000, () => s.acked.size > Math.max(sAck, at.sBefore + at.samsaInFlight));
      const firstAckMs = Date.now() - at.killedAt;
      failovers.push({ victim, successor, firstAckMs, samsaInFlight: at.samsaInFlight, rdkafkaInFlight: at.rdkafkaInFlight });
      log(`kill ${k + 1}: node ${victim} (${wasLeader ? 'leader' : 'active controller, not the leader'}${killController && wasLeader ? ' and active controller' : ''}) killed with ${at.samsaInFlight} Samsa and ${at.rdkafkaInFlight} librdkafka writes in flight; node ${successor} leads; a write acknowledged ${firstAckMs} ms after the kill`);
      if (twoBrokers) {
        // The second kill, before the first victim is back: the successor, which has just acknowledged writes and has more in flight.
        const second = await kill(k, successor);
        const survivor = t.brokerIds.find((id) => id !== victim && id !== successor)!;
        await until(`kill ${k + 1}: node ${survivor} leads with itself the ISR alone`, 60_000, async () => {
          const st = await partitionState(nodes.get(survivor)!.port);
          return st?.leader === survivor && st.isr.length === 1;
        });
        // From here until a restarted broker is back in the ISR, no acks=all write may be acknowledged.
        const sAlone = s.acked.size;
        const rAlone = r.acked.size;
        let probeError = '';
        await until(`kill ${k + 1}: the survivor refuses acks=all`, 30_000, async () => {
          probeError = await probeWrite(nodes.get(survivor)!.bootstrap, k);
          return probeError === 'NOT_ENOUGH_REPLICAS';
        });
        await sleep(1000);
        const round = { victims: [victim, successor] as [number, number], survivor, probeError, samsaAckedAlone: s.acked.size - sAlone, rdkafkaAckedAlone: r.acked.size - rAlone };
        await Promise.all([restart(victim), restart(successor)]);
        await until(`kill ${k + 1}: a write acknowledged after both were restarted`, 60_000, () => s.acked.size > sAlone + round.samsaAckedAlone);
        const backMs = Date.now() - second.killedAt;
        twoBrokerRounds.push({ ...round, firstAckMs: backMs });
        failovers.push({ victim: successor, successor: survivor, firstAckMs: backMs, samsaInFlight: second.samsaInFlight, rdkafkaInFlight: second.rdkafkaInFlight });
        log(`kill ${k + 1}, second: node ${successor} (its successor) killed with ${second.samsaInFlight} Samsa and ${second.rdkafkaInFlight} librdkafka writes in flight; node ${survivor}, the ISR alone, answered an acks=all probe ${probeError} and acknowledged ${round.samsaAckedAlone} + ${round.rdkafkaAckedAlone} writes meanwhile; both restarted, a write acknowledged ${backMs} ms after the second kill`);
        continue;
      }
      await restart(victim);
    }
    await until('a full ISR at the end', 60_000, async () => (await partitionState(anyPort()))?.isr.length === 3);
    await s.stop();
    await r.stop();
    const out = await kcat(['-C', '-b', [...nodes.values()].map((n) => n.bootstrap).join(','), '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], '', 180_000);
    const read = out.split('\n').filter((l) => l.length > 0);
    const producers = [check('samsa', 'samsa', read, s.sent, s.acked, s.failed), check('librdkafka', 'rdkafka', read, r.sent, r.acked, r.failed)];
    const foreign = read.filter((v) => !v.startsWith('samsa-') && !v.startsWith('rdkafka-'));
    return { kills: failovers.length, twoBrokerRounds, failovers, producers, totalRead: read.length, foreign };
  } finally {
    await samsa?.stop().catch(() => undefined);
    await rdkafka?.stop().catch(() => undefined);
    for (const n of nodes.values()) await n.kill('SIGKILL');
    await topology?.controller?.kill('SIGKILL');
    await removeLayout(layout);
  }
}
