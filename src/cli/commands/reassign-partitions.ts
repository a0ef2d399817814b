/**
 * `samsa reassign-partitions` (kafka-reassign-partitions.sh): `--execute` starts the
 * reassignments of a JSON plan, `--verify` says for each of its partitions whether it completed,
 * `--cancel` cancels those still in progress, `--list` lists every reassignment in progress. The
 * plan is Kafka's: `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]}`
 * (`log_dirs` is accepted and ignored). Exits non-zero when a partition was refused.
 *
 * `--execute --throttle <bytes/s>` throttles the moves as Kafka's tool does (KIP-73): each topic's
 * `leader.replication.throttled.replicas` names its moving partitions' current replicas and
 * `follower.replication.throttled.replicas` the replicas being added, and every broker of those
 * partitions gets `leader.replication.throttled.rate` and `follower.replication.throttled.rate`;
 * `--verify` removes them all (every broker's rates) once every reassignment of the plan completed.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { Admin, PartitionOutcome } from '../../client/admin.js';
import { type CommonOptions, withClient, withCommonOptions } from '../common.js';

interface PlanEntry {
  topic: string;
  partition: number;
  replicas: number[];
}

/** Kafka's reassignment JSON, checked. */
export function parsePlan(text: string): PlanEntry[] {
  const plan = JSON.parse(text) as { partitions?: unknown };
  if (!plan || !Array.isArray(plan.partitions)) throw new Error('the reassignment JSON has no "partitions" array');
  return plan.partitions.map((p: { topic?: unknown; partition?: unknown; replicas?: unknown }, i: number) => {
    if (typeof p.topic !== 'string' || !Number.isInteger(p.partition) || !Array.isArray(p.replicas) || !p.replicas.every((r) => Number.isInteger(r))) {
      throw new Error(`partitions[${i}] needs "topic" (string), "partition" (integer) and "replicas" (integers)`);
    }
    return { topic: p.topic, partition: p.partition as number, replicas: p.replicas as number[] };
  });
}

type Options = CommonOptions & { reassignmentJsonFile?: string; execute?: boolean; verify?: boolean; cancel?: boolean; list?: boolean; throttle?: string };

const THROTTLED_REPLICAS = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'] as const;
const THROTTLED_RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'] as const;

/** Kafka's throttles for a plan: per topic, the moving partitions' current replicas (leader side) and added ones (follower side); the brokers involved. */
export function planThrottles(plan: readonly PlanEntry[], current: (topic: string, partition: number) => readonly number[]): { topics: Map<string, { leader: string[]; follower: string[] }>; brokers: Set<number> } {
  const topics = new Map<string, { leader: string[]; follower: string[] }>();
  const brokers = new Set<number>();
  for (const p of plan) {
    const now = current(p.topic, p.partition);
    if (now.join(',') === p.replicas.join(',')) continue;
    const t = topics.get(p.topic) ?? { leader: [], follower: [] };
    topics.set(p.topic, t);
    for (const b of now) t.leader.push(`${p.partition}:${b}`);
    for (const b of p.replicas) if (!now.includes(b)) t.follower.push(`${p.partition}:${b}`);
    for (const b of [...now, ...p.replicas]) brokers.add(b);
  }
  return { topics, brokers };
}

async function applyThrottles(admin: Admin, plan: readonly PlanEntry[], rate: string): Promise<void> {
  const described = new Map((await admin.describeTopics([...new Set(plan.map((p) => p.topic))])).map((t) => [t.name, t]));
  const { topics, brokers } = planThrottles(plan, (topic, partition) => described.get(topic)?.partitions.find((x) => x.partition === partition)?.replicas ?? []);
  for (const [topic, t] of topics) await admin.alterTopicConfigs(topic, { [THROTTLED_REPLICAS[0]]: t.leader.join(','), [THROTTLED_REPLICAS[1]]: t.follower.join(',') });
  for (const b of brokers) await admin.alterBrokerConfigs(b, Object.fromEntries(THROTTLED_RATES.map((n) => [n, rate])));
}

async function removeThrottles(admin: Admin, topics: readonly string[]): Promise<void> {
  for (const topic of topics) await admin.alterTopicConfigs(topic, Object.fromEntries(THROTTLED_REPLICAS.map((n) => [n, null])));
  for (const b of (await admin.describeCluster()).brokers) await admin.alterBrokerConfigs(b.nodeId, Object.fromEntries(THROTTLED_RATES.map((n) => [n, null])));
}

export function registerReassignPartitionsCommand(program: Command): void {
  withCommonOptions(program.command('reassign-partitions').description('move partitions to other replicas (as kafka-reassign-partitions.sh)'))
    .option('--reassignment-json-file <file>', 'the plan: {"version":1,"partitions":[{"topic":..,"partition":..,"replicas":[..]}]}')
    .option('--execute', 'start the reassignments of the plan')
    .option('--verify', 'say whether each reassignment of the plan has completed')
    .option('--cancel', 'cancel the reassignments of the plan still in progress')
    .option('--list', 'list every reassignment in progress')
    .option('--throttle <bytes/s>', 'with --execute: throttle the replication of the moving partitions to this rate (removed by --verify once done)')
    .action(async (opts: Options) => {
      const modes = (['execute', 'verify', 'cancel', 'list'] as const).filter((m) => opts[m]);
      if (modes.length !== 1) throw new Error('give exactly one of --execute, --verify, --cancel, --list');
      const mode = modes[0]!;
      if (opts.throttle !== undefined && (mode !== 'execute' || !/^\d+$/.test(opts.throttle))) throw new Error('--throttle takes a rate in bytes per second, with --execute');
      let plan: PlanEntry[] = [];
      if (mode !== 'list') {
        if (!opts.reassignmentJsonFile) throw new Error(`--${mode} needs --reassignment-json-file`);
        plan = parsePlan(await readFile(opts.reassignmentJsonFile, 'utf8'));
      }
      await withClient(opts, async (client, out) => {
        const admin = client.admin();
        const report = (results: PartitionOutcome[], done: string) => {
          const failed = results.filter((r) => r.errorCode !== 0);
          if (opts.json) out.result('', results);
          else for (const r of results) out.line(r.errorCode === 0 ? `${done} ${r.topic}-${r.partition}` : `failed ${r.topic}-${r.partition}: ${r.errorMessage ?? r.errorCode}`);
          if (failed.length > 0) process.exitCode = 1;
        };
        if (mode === 'list') {
          const ongoing = await admin.listPartitionReassignments();
          return out.table(['topic', 'partition', 'replicas', 'adding', 'removing'], ongoing.map((o) => [o.topic, o.partition, o.replicas.join(','), o.addingReplicas.join(','), o.removingReplicas.join(',')]), ongoing);
        }
        if (mode === 'execute') {
          // Before the moves start, as Kafka's tool: no byte of them goes unthrottled.
          if (opts.throttle !== undefined) await applyThrottles(admin, plan, opts.throttle);
          return report(await admin.alterPartitionReassignments(plan), 'started the reassignment of');
        }
        if (mode === 'cancel') {
          const ongoing = new Set((await admin.listPartitionReassignments([...new Set(plan.map((p) => p.topic))])).map((o) => `${o.topic}-${o.partition}`));
          const cancelling = plan.filter((p) => ongoing.has(`${p.topic}-${p.partition}`));
          return report(cancelling.length > 0 ? await admin.alterPartitionReassignments(cancelling.map((p) => ({ ...p, replicas: null }))) : [], 'cancelled the reassignment of');
        }
        // verify: in progress (listed), completed (the replicas are the target), or not as planned.
        const topics = [...new Set(plan.map((p) => p.topic))];
        const ongoing = new Set((await admin.listPartitionReassignments(topics)).map((o) => `${o.topic}-${o.partition}`));
        const described = new Map((await admin.describeTopics(topics)).map((t) => [t.name, t]));
        const status = plan.map((p) => {
          const key = `${p.topic}-${p.partition}`;
          const replicas = described.get(p.topic)?.partitions.find((x) => x.partition === p.partition)?.replicas ?? [];
          const state = ongoing.has(key) ? 'in progress' : replicas.join(',') === p.replicas.join(',') ? 'completed' : 'not as planned';
          return { topic: p.topic, partition: p.partition, state, replicas };
        });
        out.table(['topic', 'partition', 'state', 'replicas'], status.map((s) => [s.topic, s.partition, s.state, s.replicas.join(',')]), status);
        if (status.some((s) => s.state !== 'completed')) process.exitCode = 1;
        else {
          await removeThrottles(admin, topics);
          if (!opts.json) out.line('Throttle was removed.');
        }
      });
    });
}
