/** `samsa groups list|describe|reset-offsets|delete-offsets|delete`. */
import type { Command } from 'commander';
import type { OffsetSpec } from '../../client/index.js';
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

  withCommonOptions(groups.command('reset-offsets <group>').description("move an inactive group's committed offsets (a dry run unless --execute)"))
    .requiredOption('-t, --topic <topic>', 'the topic whose offsets move')
    .option('--to-earliest', 'to the first record')
    .option('--to-latest', 'past the last record')
    .option('--to-offset <n>', 'to this offset on every partition')
    .option('--to-datetime <iso>', 'to the first record at or after this time, e.g. 2026-11-24T10:00:00Z')
    .option('--execute', 'apply the change (without it, only show it)')
    .action(async (groupId: string, opts: CommonOptions & { topic: string; toEarliest?: boolean; toLatest?: boolean; toOffset?: string; toDatetime?: string; execute?: boolean }) =>
      withClient(opts, async (client, out) => {
        const spec = specOf(opts);
        const admin = client.admin();
        const partitions = (await admin.describeTopics([opts.topic]))[0]!.partitions.map((p) => ({ topic: opts.topic, partition: p.partition }));
        const plan = opts.execute
          ? await admin.resetOffsets(groupId, opts.topic, spec)
          : typeof spec === 'object' && 'offset' in spec
            ? partitions.map((p) => ({ ...p, offset: spec.offset }))
            : await admin.listOffsets(partitions, spec);
        out.table(['topic', 'partition', 'new offset'], plan.map((p) => [p.topic, p.partition, p.offset]), { group: groupId, executed: opts.execute === true, offsets: plan });
        if (!opts.execute && !opts.json) out.note('dry run: add --execute to apply');
      }),
    );

  withCommonOptions(groups.command('delete-offsets <group>').description("delete a group's committed offsets of a topic (as kafka-consumer-groups --delete-offsets)"))
    .requiredOption('-t, --topic <topic>', 'the topic, or topic:partition,partition for some of its partitions')
    .action(async (groupId: string, opts: CommonOptions & { topic: string }) =>
      withClient(opts, async (client, out) => {
        const [topic, list] = opts.topic.split(':') as [string, string | undefined];
        const partitions = list === undefined ? undefined : list.split(',').map((p) => integer(p));
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

function specOf(opts: { toEarliest?: boolean; toLatest?: boolean; toOffset?: string; toDatetime?: string }): OffsetSpec {
  const given = [opts.toEarliest, opts.toLatest, opts.toOffset, opts.toDatetime].filter((x) => x !== undefined);
  if (given.length !== 1) throw new Error('give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime');
  if (opts.toEarliest) return 'earliest';
  if (opts.toLatest) return 'latest';
  if (opts.toOffset !== undefined) return { offset: BigInt(opts.toOffset) };
  const t = Date.parse(opts.toDatetime!);
  if (Number.isNaN(t)) throw new Error(`--to-datetime: cannot read "${opts.toDatetime}" as a date`);
  return { timestamp: t };
}
