/**
 * Controller failover on three `samsa broker` processes (combined nodes): the active controller
 * is killed with SIGKILL, and the benchmark measures, from the kill, when a surviving broker
 * reports a new leader of the metadata quorum and when a CreateTopics sent to it is served. The
 * baseline in the same run is a graceful handover (SIGTERM: the leader resigns and names its
 * successor with EndQuorumEpoch). The killed node is restarted between rounds.
 */
import { performance } from 'node:perf_hooks';
import { childNode } from '../test/helpers/test-cluster.js';
import { activeController, createTopic, median, processCluster, until, withClient } from './cluster-support.js';

const ROUNDS = Number(process.env['FAILOVER_ROUNDS'] ?? 5);

async function round(c: Awaited<ReturnType<typeof processCluster>>, signal: 'SIGKILL' | 'SIGTERM', n: number): Promise<{ leaderMs: number; createMs: number }> {
  const any = [...c.nodes.values()][0]!;
  const leader = await activeController(any.port);
  const victim = c.nodes.get(leader)!;
  const survivor = [...c.nodes.entries()].find(([id]) => id !== leader)![1];
  const t0 = performance.now();
  const killed = victim.kill(signal);
  if (signal === 'SIGKILL') await killed;
  let leaderMs = 0;
  await until(30_000, async () => {
    const l = await activeController(survivor.port);
    if (l >= 0 && l !== leader) leaderMs ||= performance.now() - t0;
    return leaderMs > 0;
  }, 5);
  await until(30_000, () => withClient(survivor.port, async (cl) => (await createTopic(cl, `failover-${signal}-${n}`, 1, 1, 30_000)) === 0), 5);
  const createMs = performance.now() - t0;
  await killed;
  c.nodes.set(leader, await childNode(c.layout, leader, victim.port, {}, 60_000));
  // The restarted node's old session has to expire before it may register again: wait for it.
  await until(30_000, async () => (await activeController(victim.port)) >= 0, 100);
  return { leaderMs, createMs };
}

export default async function clusterFailover(): Promise<void> {
  const c = await processCluster(3);
  try {
    const kills: { leaderMs: number; createMs: number }[] = [];
    const graceful: { leaderMs: number; createMs: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      kills.push(await round(c, 'SIGKILL', i));
      graceful.push(await round(c, 'SIGTERM', i));
    }
    const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`;
    console.log(`\n## Controller failover, three combined nodes as processes (${ROUNDS} rounds each)`);
    console.log(`kill -9 of the active controller   new leader: ${fmt(kills.map((k) => k.leaderMs))}; CreateTopics served: ${fmt(kills.map((k) => k.createMs))}`);
    console.log(`baseline: SIGTERM (graceful handover)  new leader: ${fmt(graceful.map((k) => k.leaderMs))}; CreateTopics served: ${fmt(graceful.map((k) => k.createMs))}`);
    console.log(`ratio (CreateTopics served, median): ${(median(kills.map((k) => k.createMs)) / median(graceful.map((k) => k.createMs))).toFixed(1)}x the graceful handover; defaults: controller.quorum.fetch.timeout.ms 2000, election timeout 1000-2000`);
  } finally {
    await c.stop();
  }
}
