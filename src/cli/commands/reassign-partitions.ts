/**
 * `samsa reassign-partitions` (kafka-reassign-partitions.sh): `--execute` starts the
 * reassignments of a JSON plan, `--verify` says for each of its partitions whether it completed,
 * `--cancel` cancels those still in progress, `--list` lists every reassignment in progress. The
 * plan is Kafka's: `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]}`
 * (`log_dirs` is accepted and ignored). Exits non-zero when a partition was refused.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { PartitionOutcome } from '../../client/admin.js';
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

type Options = CommonOptions & { reassignmentJsonFile?: string; execute?: boolean; verify?: boolean; cancel?: boolean; list?: boolean };

export function registerReassignPartitionsCommand(program: Command): void {
  withCommonOptions(program.command('reassign-partitions').description('move partitions to other replicas (as kafka-reassign-partitions.sh)'))
    .option('--reassignment-json-file <file>', 'the plan: {"version":1,"partitions":[{"topic":..,"partition":..,"replicas":[..]}]}')
    .option('--execute', 'start the reassignments of the plan')
    .option('--verify', 'say whether each reassignment of the plan has completed')
    .option('--cancel', 'cancel the reassignments of the plan still in progress')
    .option('--list', 'list every reassignment in progress')
    .action(async (opts: Options) => {
      const modes = (['execute', 'verify', 'cancel', 'list'] as const).filter((m) => opts[m]);
      if (modes.length !== 1) throw new Error('give exactly one of --execute, --verify, --cancel, --list');
      const mode = modes[0]!;
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
        if (mode === 'execute') return report(await admin.alterPartitionReassignments(plan), 'started the reassignment of');
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
      });
    });
}
