/**
 * The leader-kill fault trial (issue 16): three `samsa broker` processes (combined nodes) on
 * 127.0.0.1, a topic with replication factor 3 and min.insync.replicas=2, and two idempotent
 * acks=all producers writing numbered records to its partition 0 without pause — the Samsa client
 * in this process and librdkafka (confluent-kafka, test/fixtures/idempotent-producer.py) in a child
 * process. The trial `kill -9`s the partition's current leader, waits until a successor has
 * acknowledged new writes, restarts the killed node, waits until it is back in the ISR, and
 * repeats. At the end kcat reads the partition from the beginning, and for each producer: every
 * acknowledged record is there exactly once, its records are in the order they were sent, and
 * nothing appears that it did not send.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { SamsaClient, stringSerde } from '../../src/client/index.js';
import { DescribeQuorumApi, MetadataApi } from '../../src/protocol/messages/index.js';
import { kcat } from './kcat.js';
import { RawClient } from './raw-client.js';
import { fixturePath } from './repo-root.js';
import type { ChildBroker } from './test-broker.js';
import { type ClusterLayout, childNode, clusterLayout, removeLayout } from './test-cluster.js';

export interface TrialOptions {
  readonly kills: number;
  /** Acknowledged records each producer must add between kills (default 100). */
  readonly writesBetweenKills?: number;
  readonly log?: (line: string) => void;
  /** Whom to kill: the partition's leader (default), the active controller, or each in turn. */
  readonly victim?: 'leader' | 'controller' | 'alternate';
}

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

export interface TrialReport {
  readonly kills: number;
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

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

async function partitionState(port: number): Promise<{ leader: number; isr: number[]; epoch: number } | undefined> {
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

export async function runLeaderKillTrial(o: TrialOptions): Promise<TrialReport> {
  const log = o.log ?? (() => undefined);
  const between = o.writesBetweenKills ?? 100;
  const layout: ClusterLayout = await clusterLayout(3);
  const nodes = new Map<number, ChildBroker>();
  const ports = new Map<number, number>();
  let samsa: SamsaWriter | undefined;
  let rdkafka: RdkafkaWriter | undefined;
  try {
    const started = await Promise.allSettled(layout.ids.map((id) => childNode(layout, id, 0, NODE_CONFIG)));
    started.forEach((s, i) => {
      if (s.status === 'fulfilled') {
        nodes.set(layout.ids[i]!, s.value);
        ports.set(layout.ids[i]!, s.value.port);
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
    const failovers: TrialReport['failovers'] = [];
    for (let k = 0; k < o.kills; k++) {
      const s0 = samsa.acked.size;
      const r0 = rdkafka.acked.size;
      await until(`kill ${k + 1}: ${between} more writes acknowledged by each producer`, 120_000, () => samsa!.acked.size >= s0 + between && rdkafka!.acked.size >= r0 + between);
      let state = await partitionState(anyPort());
      await until(`kill ${k + 1}: a full ISR`, 60_000, async () => { state = await partitionState(anyPort()); return state?.isr.length === 3 && state.leader >= 0; });
      const killController = o.victim === 'controller' || (o.victim === 'alternate' && k % 2 === 1);
      const victim = killController ? await activeController(anyPort()) : state!.leader;
      if (!nodes.has(victim)) throw new Error(`kill ${k + 1}: no node ${victim} to kill`);
      const wasLeader = victim === state!.leader;
      const samsaInFlight = samsa.inFlight.size;
      const rdkafkaInFlight = rdkafka.inFlight;
      const sBefore = samsa.acked.size;
      const killedAt = Date.now();
      await nodes.get(victim)!.kill('SIGKILL');
      nodes.delete(victim);
      let successor = -1;
      await until(`kill ${k + 1}: a leader other than the killed node`, 60_000, async () => {
        const st = await partitionState(anyPort());
        successor = st?.leader ?? -1;
        return successor >= 0 && successor !== victim;
      });
      const sAck = samsa.acked.size;
      // Writes in flight at the kill may be answered by the dying leader's last responses; past them, a new write was acknowledged by the successor.
      await until(`kill ${k + 1}: a write acknowledged by the successor`, 60_000, () => samsa!.acked.size > Math.max(sAck, sBefore + samsaInFlight));
      const firstAckMs = Date.now() - killedAt;
      failovers.push({ victim, successor, firstAckMs, samsaInFlight, rdkafkaInFlight });
      log(`kill ${k + 1}: node ${victim} (${wasLeader ? 'leader' : 'active controller, not the leader'}${killController && wasLeader ? ' and active controller' : ''}) killed with ${samsaInFlight} Samsa and ${rdkafkaInFlight} librdkafka writes in flight; node ${successor} leads; a write acknowledged ${firstAckMs} ms after the kill`);
      const restarted = await childNode(layout, victim, ports.get(victim)!, NODE_CONFIG, 60_000);
      nodes.set(victim, restarted);
    }
    await until('a full ISR at the end', 60_000, async () => (await partitionState(anyPort()))?.isr.length === 3);
    await samsa.stop();
    await rdkafka.stop();
    const out = await kcat(['-C', '-b', [...nodes.values()].map((n) => n.bootstrap).join(','), '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], '', 180_000);
    const read = out.split('\n').filter((l) => l.length > 0);
    const producers = [check('samsa', 'samsa', read, samsa.sent, samsa.acked, samsa.failed), check('librdkafka', 'rdkafka', read, rdkafka.sent, rdkafka.acked, rdkafka.failed)];
    const foreign = read.filter((v) => !v.startsWith('samsa-') && !v.startsWith('rdkafka-'));
    return { kills: failovers.length, failovers, producers, totalRead: read.length, foreign };
  } finally {
    await samsa?.stop().catch(() => undefined);
    await rdkafka?.stop().catch(() => undefined);
    for (const n of nodes.values()) await n.kill('SIGKILL');
    await removeLayout(layout);
  }
}
