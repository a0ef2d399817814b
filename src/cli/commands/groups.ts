/** `samsa groups list|describe|reset-offsets|delete-offsets|delete`. */
import type { Command } from 'commander';
import type { Admin, ResetSpec } from '../../client/index.js';
import { type CommonOptions, collect, integer, withClient, withCommonOptions } from '../common.js';

export function registerGroupsCommand(program: Command): void {
  const groups = program.command('groups').description('list, describe, reset offsets of and delete consumer groups');

  withCommonOptions(groups.command('list').description('list groups with their state'))
    .option('-s, --state <state>', 'only groups in this state: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead (repeatable)', collect, [])
    .action(async (opts: CommonOptions & { state: string[] }) =>
      withClient(opts, async (client, out) => {
        const list = await client.admin().listGroups(opts.state);
        out.table(['group', 'state', 'type'], list.map((g) => [g.groupId, g.state, g.protocolType || '-']));
      }),
    );

  withCommonOptions(groups.command('describe <group>').description('members, assignments, committed offsets and lag'))
    .action(async (groupId: string, opts: CommonOptions) =>
      withClient(opts, async (client, out) => {
        const admin = client.admin();
        const g = await admin.describeGroup(groupId);
        const lag = await admin.groupLag(groupId);
        const ownerOf = new Map<string, string>();
        for (const m of g.members) for (const [topic, parts] of Object.entries(m.assignment)) for (const p of parts) ownerOf.set(`${topic}:${p}`, m.memberId);
        if (opts.json) return out.result('', { ...g, offsets: lag });
        out.line(`group ${g.groupId}  state ${g.state}  protocol ${g.protocol || '-'}  members ${g.members.length}  total lag ${lag.reduce((s, p) => s + (p.lag ?? 0n), 0n)}`);
        if (g.members.length > 0) {
          out.table(['member', 'instance', 'client', 'host', 'partitions'], g.members.map((m) => [m.memberId, m.groupInstanceId, m.clientId, m.clientHost, Object.entries(m.assignment).map(([t, ps]) => `${t}:${ps.join(',')}`).join(' ')]));
        }
        out.table(['topic', 'partition', 'committed', 'end', 'lag', 'member'], lag.map((p) => [p.topic, p.partition, p.committed, p.logEndOffset, p.lag, ownerOf.get(`${p.topic}:${p.partition}`)]));
      }),
    );

  withCommonOptions(groups.command('reset-offsets <group>').description("move an inactive group's committed offsets (a dry run unless --execute), as kafka-consumer-groups --reset-offsets"))
    .option('-t, --topic <topic>', 'a topic, or topic:partition,partition for some of its partitions (repeatable)', collect, [])
    .option('--all-topics', 'every partition the group has committed offsets for')
    .option('--to-earliest', 'to the first record')
    .option('--to-latest', 'past the last record')
    .option('--to-current', 'to the committed offset (past the last record where none)')
    .option('--to-offset <n>', 'to this offset on every partition (kept within the log)')
    .option('--shift-by <n>', 'the committed offset moved by n, e.g. -10 (kept within the log)')
    .option('--to-datetime <iso>', 'to the first record at or after this time, e.g. 2026-11-24T10:00:00Z (no zone: local time)')
    .option('--by-duration <duration>', 'to the first record at or after this long ago, an ISO-8601 duration, e.g. PT30M or P1DT2H')
    .option('--dry-run', 'only show the new offsets (the default)')
    .option('--execute', 'apply the change (without it, only show it)')
    .action(async (groupId: string, opts: CommonOptions & ResetOptions) =>
      withClient(opts, async (client, out) => {
        const spec = resetSpecOf(opts);
        if ((opts.topic.length > 0) === (opts.allTopics === true)) throw new Error('give --topic (one or more) or --all-topics');
        const admin = client.admin();
        const partitions = opts.allTopics ? (await admin.fetchOffsets(groupId)).filter((o) => o.offset >= 0n).map(({ topic, partition }) => ({ topic, partition })) : await partitionsOf(admin, opts.topic);
        const plan = await admin.planOffsetReset(groupId, partitions, spec);
        if (opts.execute) await admin.commitGroupOffsets(groupId, plan);
        out.table(['topic', 'partition', 'new offset'], plan.map((p) => [p.topic, p.partition, p.offset]), { group: groupId, executed: opts.execute === true, offsets: plan });
        if (!opts.execute && !opts.json) out.note('dry run: add --execute to apply');
      }),
    );

  withCommonOptions(groups.command('delete-offsets <group>').description("delete a group's committed offsets of a topic (as kafka-consumer-groups --delete-offsets)"))
    .requiredOption('-t, --topic <topic>', 'the topic, or topic:partition,partition for some of its partitions')
    .action(async (groupId: string, opts: CommonOptions & { topic: string }) =>
      withClient(opts, async (client, out) => {
        const { topic, partitions } = topicArg(opts.topic);
        await client.admin().deleteOffsets(groupId, topic, partitions);
        out.result(`deleted the committed offsets of group ${groupId} for ${opts.topic}`, { group: groupId, topic, partitions: partitions ?? null });
      }),
    );

  withCommonOptions(groups.command('delete <groups...>').description('delete empty groups and their committed offsets'))
    .action(async (ids: string[], opts: CommonOptions) =>
      withClient(opts, async (client, out) => {
        await client.admin().deleteGroups(ids);
        out.result(`deleted ${ids.join(', ')}`, { deleted: ids });
      }),
    );
}

interface ResetOptions {
  topic: string[];
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toCurrent?: boolean;
  toOffset?: string;
  shiftBy?: string;
  toDatetime?: string;
  byDuration?: string;
  execute?: boolean;
}

/** The partitions `--topic` values name: `topic` (all its partitions) or `topic:0,2`. */
async function partitionsOf(admin: Admin, topics: readonly string[]): Promise<{ topic: string; partition: number }[]> {
  const out: { topic: string; partition: number }[] = [];
  for (const value of topics) {
    const { topic, partitions } = topicArg(value);
    for (const partition of partitions ?? (await admin.describeTopics([topic]))[0]!.partitions.map((p) => p.partition)) out.push({ topic, partition });
  }
  return out;
}

/** A `--topic` value: `topic`, or `topic:0,2` for some of its partitions. */
function topicArg(value: string): { topic: string; partitions: number[] | undefined } {
  const [topic, list] = value.split(':') as [string, string | undefined];
  return { topic, partitions: list === undefined ? undefined : list.split(',').map((p) => integer(p)) };
}

function resetSpecOf(opts: ResetOptions): ResetSpec {
  const given = [opts.toEarliest, opts.toLatest, opts.toCurrent, opts.toOffset, opts.shiftBy, opts.toDatetime, opts.byDuration].filter((x) => x !== undefined);
  if (given.length !== 1) throw new Error('give exactly one of --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime, --by-duration');
  if (opts.toEarliest) return 'earliest';
  if (opts.toLatest) return 'latest';
  if (opts.toCurrent) return 'current';
  if (opts.toOffset !== undefined) return { offset: bigInteger('--to-offset', opts.toOffset) };
  if (opts.shiftBy !== undefined) return { shiftBy: bigInteger('--shift-by', opts.shiftBy) };
  if (opts.byDuration !== undefined) return { timestamp: Date.now() - durationMs(opts.byDuration) };
  const t = Date.parse(opts.toDatetime!);
  if (Number.isNaN(t)) throw new Error(`--to-datetime: cannot read "${opts.toDatetime}" as a date`);
  return { timestamp: t };
}

function bigInteger(option: string, value: string): bigint {
  if (!/^[-+]?\d+$/.test(value)) throw new Error(`${option}: not an integer: ${value}`);
  return BigInt(value);
}

/** An ISO-8601 duration as Java's Duration.parse reads it (days, hours, minutes, seconds: PnDTnHnMn.nS), in ms. */
function durationMs(text: string): number {
  const m = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+(?:\.\d{1,9})?)S)?)?$/i.exec(text);
  if (!m || text.toUpperCase().endsWith('T') || m.slice(2).every((x) => x === undefined)) throw new Error(`--by-duration: cannot read "${text}" as an ISO-8601 duration such as PT30M or P1DT2H`);
  const [, sign, d, h, min, sec] = m;
  const ms = (Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(min ?? 0) * 60 + Number(sec ?? 0)) * 1000;
  return sign === '-' ? -ms : ms;
}
