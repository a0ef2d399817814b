/**
 * Replication (issue 16), with `samsa broker` processes and the Samsa client in this process:
 *
 * 1. Produce throughput with acks=all and replication factor 3 on three combined nodes, against
 *    acks=1 on one standalone broker (the baseline), and acks=1 with replication factor 3 on the
 *    three nodes, in the same run, alternating, best of ROUNDS: 1 KiB records, 3 partitions,
 *    8 sends of 100 records in flight.
 * 2. Failover: `kill -9` of a partition's leader while an idempotent acks=all producer writes to
 *    it; the time from the kill to the first write acknowledged after it (by the successor), with
 *    the default broker.session.timeout.ms (9 s) and heartbeat (2 s). Rounds alternate between a
 *    leader that is also the active controller and one that is not (REPL_FAILOVERS rounds).
 * 3. Follower catch-up: in one process, followers held back by a fault while CATCHUP_MB are
 *    written, then the time until both reach the leader's log end.
 */
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { SamsaClient } from '../src/client/index.js';
import { tempDir } from '../test/helpers/test-broker.js';
import { ErrorCode } from '../src/protocol/error-codes.js';
import { ApiKey, CreateTopicsApi } from '../src/protocol/messages/index.js';
import { childNode, clusterLayout, inProcessNode, removeLayout } from '../test/helpers/test-cluster.js';
import { spawnBroker, stopBroker } from './broker-process.js';
import { activeController, median, metadata, processCluster, until, withClient } from './cluster-support.js';

const ROUNDS = Number(process.env['REPL_ROUNDS'] ?? 3);
const RECORDS = Number(process.env['REPL_RECORDS'] ?? 30_000);
const RECORD_BYTES = 1024;
const SEND_RECORDS = 100;
const IN_FLIGHT = 8;
const FAILOVERS = Number(process.env['REPL_FAILOVERS'] ?? 4);
const CATCHUP_MB = Number(process.env['REPL_CATCHUP_MB'] ?? 50);

async function produce(bootstrap: string[], topic: string, acks: 1 | 'all'): Promise<number> {
  const client = new SamsaClient({ bootstrapServers: bootstrap });
  const producer = client.producer({ acks, idempotent: acks === 'all' });
  const value = Buffer.alloc(RECORD_BYTES, 'r');
  try {
    await producer.send(topic, { value });
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < RECORDS) {
          const n = Math.min(SEND_RECORDS, RECORDS - next);
          next += n;
          await producer.send(topic, Array.from({ length: n }, () => ({ value })));
        }
      }),
    );
    return RECORDS / ((performance.now() - t0) / 1000);
  } finally {
    await client.close();
  }
}

async function partition0(port: number, topic: string): Promise<{ leader: number; isr: number[] } | undefined> {
  const md = await metadata(port, [topic]);
  const p = md.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === 0);
  return p && p.errorCode === 0 ? { leader: p.leaderId, isr: [...p.isrNodes] } : undefined;
}

async function throughput(): Promise<void> {
  const dir = await tempDir('samsa-bench-single-');
  const single = await spawnBroker(dir, ['-o', 'num.partitions=3']);
  const cluster = await processCluster(3);
  try {
    const clusterBootstrap = [...cluster.nodes.values()].map((n) => n.bootstrap);
    const admin = new SamsaClient({ bootstrapServers: clusterBootstrap });
    await admin.admin().createTopics([
      { name: 'rf3-all', partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } },
      { name: 'rf3-one', partitions: 3, replicationFactor: 3 },
    ]);
    await admin.close();
    const one = new SamsaClient({ bootstrapServers: [`127.0.0.1:${single.port}`] });
    await one.admin().createTopics([{ name: 'rf1', partitions: 3, replicationFactor: 1 }]);
    await one.close();
    const any = [...cluster.nodes.values()][0]!.port;
    await until(30_000, async () => (await partition0(any, 'rf3-all'))?.isr.length === 3);
    const rows = { single: [] as number[], all: [] as number[], oneRf3: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      rows.single.push(await produce([`127.0.0.1:${single.port}`], 'rf1', 1));
      rows.all.push(await produce(clusterBootstrap, 'rf3-all', 'all'));
      rows.oneRf3.push(await produce(clusterBootstrap, 'rf3-one', 1));
    }
    const best = (xs: number[]) => Math.max(...xs);
    const fmt = (xs: number[]) => `${Math.round(best(xs)).toLocaleString('en-US')} records/s (${(best(xs) * RECORD_BYTES / 1048576).toFixed(1)} MiB/s; rounds ${xs.map((x) => Math.round(x)).join(', ')})`;
    console.log(`\n## Produce with replication (1 KiB records, 3 partitions, ${IN_FLIGHT} sends of ${SEND_RECORDS} in flight, ${RECORDS.toLocaleString('en-US')} records, best of ${ROUNDS} alternating rounds)`);
    console.log(`baseline: acks=1, one broker              ${fmt(rows.single)}`);
    console.log(`acks=all, replication factor 3, 3 brokers  ${fmt(rows.all)}`);
    console.log(`acks=1, replication factor 3, 3 brokers    ${fmt(rows.oneRf3)}`);
    console.log(`ratio acks=all RF 3 / acks=1 one broker: ${(best(rows.all) / best(rows.single) * 100).toFixed(0)}% (goal: at least 60%)`);
  } finally {
    await stopBroker(single.child);
    await rm(dir, { recursive: true, force: true });
    await cluster.stop();
  }
}

async function failover(): Promise<void> {
  const cluster = await processCluster(3);
  const rounds: { ms: number; wasController: boolean }[] = [];
  try {
    const bootstrap = () => [...cluster.nodes.values()].map((n) => n.bootstrap);
    for (let r = 0; r < FAILOVERS; r++) {
      const anyPort = () => [...cluster.nodes.values()][0]!.port;
      // Even rounds: the partition's leader is also the active controller; odd rounds: it is not.
      // Each round's topic is placed so (its first replica leads it at creation).
      let controller = -1;
      await until(60_000, async () => (controller = await activeController(anyPort())) >= 0, 100);
      const alsoController = r % 2 === 0;
      const ids = [...cluster.nodes.keys()];
      const victim = alsoController ? controller : ids.find((id) => id !== controller)!;
      const topic = `fo-${r}`;
      const replicas = [victim, ...ids.filter((id) => id !== victim)];
      await withClient(anyPort(), (c) =>
        c.send(CreateTopicsApi, 7, { topics: [{ name: topic, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: replicas }], configs: [{ name: 'min.insync.replicas', value: '2' }] }], timeoutMs: 30_000, validateOnly: false }),
      );
      await until(120_000, async () => {
        const state = await partition0(anyPort(), topic);
        return state?.isr.length === 3 && state.leader === victim;
      }, 100);
      const client = new SamsaClient({ bootstrapServers: bootstrap() });
      const producer = client.producer({ acks: 'all', idempotent: true, retries: 10_000, retryBackoffMs: 50, timeoutMs: 120_000 });
      let stop = false;
      let killedAt = 0;
      let acked = 0;
      let firstAck = 0;
      const writer = (async () => {
        while (!stop) {
          const startedAt = performance.now();
          const ok = await producer.send(topic, { value: 'x', partition: 0 }).then(
            () => true,
            () => false,
          );
          if (!ok) continue;
          // Only a send begun after the kill: one in flight may still be answered by the dying leader.
          if (killedAt > 0 && startedAt > killedAt && firstAck === 0) firstAck = performance.now() - killedAt;
          acked++;
        }
      })();
      await until(30_000, async () => acked >= 50, 10);
      const wasController = (await activeController(anyPort())) === victim;
      const node = cluster.nodes.get(victim)!;
      killedAt = performance.now();
      await node.kill('SIGKILL');
      cluster.nodes.delete(victim);
      await until(120_000, async () => firstAck > 0, 5);
      rounds.push({ ms: firstAck, wasController });
      stop = true;
      await writer;
      await client.close();
      cluster.nodes.set(victim, await childNode(cluster.layout, victim, node.port, {}, 60_000));
    }
    const both = rounds.filter((x) => x.wasController).map((x) => x.ms);
    const leaderOnly = rounds.filter((x) => !x.wasController).map((x) => x.ms);
    const fmt = (xs: number[]) => (xs.length === 0 ? 'none' : `median ${median(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(`\n## Leader failover: kill -9 of a partition's leader under an idempotent acks=all producer (${FAILOVERS} rounds, broker.session.timeout.ms 9000, heartbeat 2000)`);
    console.log(`kill -9 to the first write begun after it and acknowledged by the successor; goal: within the session timeout plus 1 s (10000 ms)`);
    console.log(`  the leader alone:                      ${fmt(leaderOnly)}`);
    console.log(`  the leader and the active controller:  ${fmt(both)}`);
  } finally {
    await cluster.stop();
  }
}

interface Internals {
  replicaManager: { getPartition(t: string, p: number): { logEndOffset: bigint } | undefined };
}

/**
 * Catch-up, in one process (three nodes with their logs on disk, faults to hold the followers
 * back): the leader answers followers' fetches of the topic with an error while CATCHUP_MB are
 * written with acks=1; then the fault goes and the time until both followers' log ends reach the
 * leader's is measured (the followers share this process's core with the leader).
 */
async function catchUp(): Promise<void> {
  const layout = await clusterLayout(3);
  const nodes = await Promise.all(layout.ids.map((id) => inProcessNode(layout, id, {}, { 'replica.lag.time.max.ms': 600_000 })));
  try {
    await until(30_000, async () => nodes.every((n) => n.metadata.unfencedBrokers().length === 3), 20);
    const client = new SamsaClient({ bootstrapServers: nodes.map((n) => n.bootstrap) });
    await client.admin().createTopics([{ name: 'cu', partitions: 1, replicationFactor: 3 }]);
    await until(30_000, async () => nodes.every((n) => n.metadata.topic('cu')?.partitions[0]?.isr.length === 3), 20);
    const leaderId = nodes[0]!.metadata.topic('cu')!.partitions[0]!.leader;
    const leader = nodes.find((n) => n.nodeId === leaderId)!;
    const fault = leader.faults.inject({ apiKey: ApiKey.Fetch, topic: 'cu' }, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR });
    await new Promise((r) => setTimeout(r, 1000));
    const producer = client.producer({ acks: 1, idempotent: false });
    const value = Buffer.alloc(RECORD_BYTES, 'c');
    const total = CATCHUP_MB * 1024;
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < total) {
          const n = Math.min(SEND_RECORDS, total - next);
          next += n;
          await producer.send('cu', Array.from({ length: n }, () => ({ value, partition: 0 })));
        }
      }),
    );
    await client.close();
    const end = (n: typeof leader) => (n as unknown as Internals).replicaManager.getPartition('cu', 0)?.logEndOffset ?? -1n;
    const target = end(leader);
    const followers = nodes.filter((n) => n !== leader);
    const behind = followers.map((f) => target - end(f));
    const t0 = performance.now();
    fault.remove();
    await until(600_000, async () => followers.every((f) => end(f) >= target), 2);
    const s = (performance.now() - t0) / 1000;
    console.log(`\n## Follower catch-up (${CATCHUP_MB} MiB of 1 KiB records written while the leader refused the followers' fetches; 3 nodes in one process, logs on disk; replica.fetch.max.bytes 1 MiB)`);
    console.log(`both followers from ${behind.map(String).join(' and ')} records behind to the leader's log end: ${s.toFixed(2)} s, ${(CATCHUP_MB / s).toFixed(1)} MiB/s per follower (${Math.round(total / s).toLocaleString('en-US')} records/s)`);
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
    await removeLayout(layout);
  }
}

export default async function clusterReplication(): Promise<void> {
  const only = process.env['REPL_ONLY']?.split(',');
  if (!only || only.includes('throughput')) await throughput();
  if (!only || only.includes('failover')) await failover();
  if (!only || only.includes('catchup')) await catchUp();
}
