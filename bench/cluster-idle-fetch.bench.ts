/**
 * What idle followers cost their leader: three `samsa broker` processes, one topic of
 * IDLE_PARTITIONS (1,000) partitions with replication factor 3, all led by node 0 (replicas
 * [0, 1, 2]), no writes. Two such clusters run side by side over the same windows: one with
 * incremental fetch sessions for its followers (KIP-227, the default), one whose brokers keep no
 * sessions (`max.incremental.fetch.session.cache.slots=0`: every follower fetch names every
 * partition and every answer lists them all, as before sessions). Printed: the CPU time
 * (user + system, from /proc/<pid>/stat) of each leader and of its followers per second of wall
 * time, per window and in total, and the ratio between the two clusters.
 *
 * With BENCH_IDLE_COMPARE=<another build's dist/> the two clusters both keep sessions, one running
 * this build and one that build (the same windows, so the machine's load weighs on both alike):
 * a same-run ratio of this build against the other.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateTopicsApi } from '../src/protocol/messages/index.js';
import { type ProcessCluster, metadata, processCluster, until, withClient } from './cluster-support.js';

const PARTITIONS = Number(process.env['IDLE_PARTITIONS'] ?? 1000);
const WINDOWS = Number(process.env['IDLE_WINDOWS'] ?? 3);
const WINDOW_MS = Number(process.env['IDLE_WINDOW_MS'] ?? 10_000);
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

async function idleCluster(extra: Record<string, string | number>, bin?: string): Promise<ProcessCluster> {
  const c = await processCluster(3, { 'auto.leader.rebalance.enable': 'false', ...extra }, bin);
  const port = c.nodes.get(0)!.port;
  await withClient(port, async (raw) => {
    const assignments = Array.from({ length: PARTITIONS }, (_, i) => ({ partitionIndex: i, brokerIds: [0, 1, 2] }));
    const res = await raw.send(CreateTopicsApi, 7, { topics: [{ name: 'idle', numPartitions: -1, replicationFactor: -1, assignments, configs: [] }], timeoutMs: 300_000, validateOnly: false });
    if (res.topics[0]!.errorCode !== 0) throw new Error(`CreateTopics: error ${res.topics[0]!.errorCode}`);
  });
  for (const n of c.nodes.values()) {
    await until(300_000, async () => {
      const t = (await metadata(n.port, ['idle'])).topics[0];
      return t?.errorCode === 0 && t.partitions.length === PARTITIONS && t.partitions.every((p) => p.leaderId === 0 && p.isrNodes.length === 3);
    }, 200);
  }
  return c;
}

const pidOf = (c: ProcessCluster, id: number) => c.nodes.get(id)!.process.pid!;

export default async function clusterIdleFetch(): Promise<void> {
  const other = process.env['BENCH_IDLE_COMPARE'];
  const otherBin = other ? [join(other, 'src/cli/samsa.cjs'), join(other, 'src/cli/main.js')].find((f) => existsSync(f)) : undefined;
  if (other && !otherBin) throw new Error(`BENCH_IDLE_COMPARE: no built CLI under ${other}`);
  const [a, b] = otherBin ? ['this build', `${other}`] : ['sessions', 'no sessions'];
  console.log(`\n## cluster-idle-fetch: ${PARTITIONS} idle partitions led by one broker, followed by two (${WINDOWS} windows of ${WINDOW_MS / 1000} s)${otherBin ? `: this build against ${other}, both with sessions` : ''}`);
  const [sessions, sessionless] = await Promise.all([idleCluster({}), otherBin ? idleCluster({}, otherBin) : idleCluster({ 'max.incremental.fetch.session.cache.slots': 0 })]);
  try {
    // Let the clusters settle (logs created, followers past their first fetches).
    await new Promise((r) => setTimeout(r, 3000));
    const totals = { sLeader: 0, sFollowers: 0, nLeader: 0, nFollowers: 0, seconds: 0 };
    console.log(`| window | leader CPU, ${a} | leader CPU, ${b} | ratio | followers CPU, ${a} | followers CPU, ${b} | ratio |`);
    console.log('|---|---|---|---|---|---|---|');
    for (let w = 1; w <= WINDOWS; w++) {
      const read = (c: ProcessCluster) => [0, 1, 2].map((id) => cpuSeconds(pidOf(c, id)));
      const t0 = performance.now();
      const s0 = read(sessions);
      const n0 = read(sessionless);
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const s1 = read(sessions);
      const n1 = read(sessionless);
      const seconds = (performance.now() - t0) / 1000;
      const sLeader = s1[0]! - s0[0]!;
      const nLeader = n1[0]! - n0[0]!;
      const sFollowers = s1[1]! - s0[1]! + s1[2]! - s0[2]!;
      const nFollowers = n1[1]! - n0[1]! + n1[2]! - n0[2]!;
      Object.assign(totals, { sLeader: totals.sLeader + sLeader, nLeader: totals.nLeader + nLeader, sFollowers: totals.sFollowers + sFollowers, nFollowers: totals.nFollowers + nFollowers, seconds: totals.seconds + seconds });
      console.log(`| ${w} | ${pctOf(sLeader, seconds)} | ${pctOf(nLeader, seconds)} | ${ratio(sLeader, nLeader)} | ${pctOf(sFollowers, seconds)} | ${pctOf(nFollowers, seconds)} | ${ratio(sFollowers, nFollowers)} |`);
    }
    const t = totals;
    console.log(`| all | ${pctOf(t.sLeader, t.seconds)} | ${pctOf(t.nLeader, t.seconds)} | ${ratio(t.sLeader, t.nLeader)} | ${pctOf(t.sFollowers, t.seconds)} | ${pctOf(t.nFollowers, t.seconds)} | ${ratio(t.sFollowers, t.nFollowers)} |`);
    console.log(`(CPU as a share of one core over the window; ratio = ${a} / ${b})`);
  } finally {
    await Promise.all([sessions.stop(), sessionless.stop()]);
  }
}

const pctOf = (cpu: number, seconds: number) => `${((cpu / seconds) * 100).toFixed(1)}%`;
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
