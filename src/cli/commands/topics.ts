/**
 * `samsa topics create|list|describe|alter|delete`, and `get-offsets` and `delete-records` as
 * kafka-get-offsets.sh and kafka-delete-records.sh.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { type CommonOptions, collect, integer, keyValue, withClient, withCommonOptions } from '../common.js';

export function registerTopicsCommand(program: Command): void {
  const topics = program.command('topics').description('create, list, describe, alter and delete topics');

  withCommonOptions(topics.command('create <name>').description('create a topic'))
    .option('-p, --partitions <n>', 'number of partitions (default: the broker\'s num.partitions)', integer)
    .option('-r, --replication-factor <n>', 'replicas per partition (default: the broker\'s)', integer)
    .option('-c, --config <key=value>', 'topic config, e.g. retention.ms=60000 (repeatable)', keyValue, {})
    .option('--if-not-exists', 'succeed if the topic exists already')
    .action(async (name: string, opts: CommonOptions & { partitions?: number; replicationFactor?: number; config: Record<string, string>; ifNotExists?: boolean }) =>
      withClient(opts, async (client, out) => {
        try {
          await client.admin().createTopics([{ name, ...(opts.partitions !== undefined ? { partitions: opts.partitions } : {}), ...(opts.replicationFactor !== undefined ? { replicationFactor: opts.replicationFactor } : {}), configs: opts.config }]);
        } catch (err) {
          const { KafkaProtocolError } = await import('../../client/index.js');
          if (!(opts.ifNotExists && err instanceof KafkaProtocolError && err.type === 'TOPIC_ALREADY_EXISTS')) throw err;
          return out.result(`topic ${name} exists already`, { topic: name, created: false });
        }
        const [t] = await client.admin().describeTopics([name]);
        out.result(`created topic ${name} with ${t!.partitions.length} partition(s)`, { topic: name, created: true, partitions: t!.partitions.length });
      }),
    );

  withCommonOptions(topics.command('list').description('list topics'))
    .option('--internal', 'include internal topics such as __consumer_offsets')
    .action(async (opts: CommonOptions & { internal?: boolean }) =>
      withClient(opts, async (client, out) => {
        const all = await client.admin().describeTopics(await client.admin().listTopics({ includeInternal: opts.internal === true }));
        out.table(['topic', 'partitions'], all.map((t) => [t.name, t.partitions.length]));
      }),
    );

  withCommonOptions(topics.command('describe <names...>').description('partitions, leaders and non-default configs of topics'))
    .action(async (names: string[], opts: CommonOptions) =>
      withClient(opts, async (client, out) => {
        const admin = client.admin();
        const described = await admin.describeTopics(names);
        const withConfigs = await Promise.all(described.map(async (t) => ({ ...t, configs: (await admin.describeConfigs({ topic: t.name })).filter((c) => !c.isDefault) })));
        if (opts.json) return out.result('', withConfigs);
        for (const t of withConfigs) {
          out.line(`topic ${t.name}  id ${t.topicId}  partitions ${t.partitions.length}${t.configs.length ? '  configs ' + t.configs.map((c) => `${c.name}=${c.value}`).join(',') : ''}`);
          out.table(['partition', 'leader', 'epoch', 'replicas', 'isr', 'offline'], t.partitions.map((p) => [p.partition, p.leader < 0 ? 'none' : p.leader, p.leaderEpoch, p.replicas.join(','), p.isr.join(','), p.offlineReplicas.join(',')]));
        }
      }),
    );

  withCommonOptions(topics.command('alter <name>').description('add partitions or change configs'))
    .option('-p, --partitions <n>', 'grow the topic to n partitions', integer)
    .option('-c, --config <key=value>', 'set a topic config (repeatable)', keyValue, {})
    .option('--delete-config <key>', 'return a config to its default (repeatable)', collect, [])
    .action(async (name: string, opts: CommonOptions & { partitions?: number; config: Record<string, string>; deleteConfig: string[] }) =>
      withClient(opts, async (client, out) => {
        const admin = client.admin();
        if (opts.partitions !== undefined) await admin.createPartitions(name, opts.partitions);
        const changes: Record<string, string | null> = { ...opts.config, ...Object.fromEntries(opts.deleteConfig.map((k) => [k, null])) };
        if (Object.keys(changes).length > 0) await admin.alterTopicConfigs(name, changes);
        out.result(`altered topic ${name}`, { topic: name, partitions: opts.partitions ?? null, configs: changes });
      }),
    );

  withCommonOptions(topics.command('delete <names...>').description('delete topics and their data'))
    .action(async (names: string[], opts: CommonOptions) =>
      withClient(opts, async (client, out) => {
        await client.admin().deleteTopics(names);
        out.result(`deleted ${names.join(', ')}`, { deleted: names });
      }),
    );

  withCommonOptions(topics.command('get-offsets <names...>').description("each partition's offset at a time, as kafka-get-offsets.sh: the next offset (latest), the first (earliest), or the first at or after a timestamp"))
    .option('--time <time>', 'latest (-1), earliest (-2), max-timestamp (-3: the record with the largest timestamp), earliest-local (-4), latest-tiered (-5), or a timestamp in ms', 'latest')
    .action(async (names: string[], opts: CommonOptions & { time: string }) =>
      withClient(opts, async (client, out) => {
        const spec = offsetTime(opts.time);
        const admin = client.admin();
        const partitions = (await admin.describeTopics(names)).flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
        const offsets = await admin.listOffsets(partitions, spec);
        if (opts.json) return out.result('', offsets.map((o) => ({ ...o, offset: Number(o.offset) })));
        // Kafka's tool prints topic:partition:offset, -1 where no record is at or after the timestamp.
        for (const o of offsets) out.line(`${o.topic}:${o.partition}:${o.offset}`);
      }),
    );

  withCommonOptions(topics.command('delete-records').description('delete the records of partitions before offsets, as kafka-delete-records.sh'))
    .requiredOption('--offset-json-file <file>', '{"partitions":[{"topic":..,"partition":..,"offset":..}],"version":1}; offset -1: every record')
    .action(async (opts: CommonOptions & { offsetJsonFile: string }) => {
      const plan = parseDeleteRecords(await readFile(opts.offsetJsonFile, 'utf8'));
      await withClient(opts, async (client, out) => {
        const done: { topic: string; partition: number; lowWatermark: number }[] = [];
        for (const p of plan) done.push({ topic: p.topic, partition: p.partition, lowWatermark: Number(await client.admin().deleteRecords(p.topic, p.partition, BigInt(p.offset))) });
        if (opts.json) return out.result('', done);
        for (const d of done) out.line(`partition: ${d.topic}-${d.partition}\tlow_watermark: ${d.lowWatermark}`);
      });
    });
}

/** Kafka's special times of ListOffsets beyond -1 and -2 (KIP-734, KIP-1005), by the names kafka-get-offsets.sh gives them. */
const SPECIAL_TIMES: Readonly<Record<string, number>> = { 'max-timestamp': -3, 'earliest-local': -4, 'latest-tiered': -5 };

/** `--time` of get-offsets: latest (-1), earliest (-2), max-timestamp (-3), earliest-local (-4), latest-tiered (-5), or a timestamp. */
function offsetTime(time: string): 'latest' | 'earliest' | { timestamp: number } {
  if (time === 'latest' || time === '-1') return 'latest';
  if (time === 'earliest' || time === '-2') return 'earliest';
  const special = SPECIAL_TIMES[time] ?? (Object.values(SPECIAL_TIMES).includes(Number(time)) ? Number(time) : undefined);
  if (special !== undefined) return { timestamp: special };
  if (!/^\d+$/.test(time)) throw new Error(`--time takes latest, earliest, max-timestamp, earliest-local, latest-tiered (-1 to -5) or a timestamp in ms, not ${time}`);
  return { timestamp: Number(time) };
}

/** kafka-delete-records.sh's offsets JSON, checked. */
export function parseDeleteRecords(text: string): { topic: string; partition: number; offset: number }[] {
  const json = JSON.parse(text) as { partitions?: unknown };
  if (!json || !Array.isArray(json.partitions)) throw new Error('the offsets JSON has no "partitions" array');
  return json.partitions.map((p: { topic?: unknown; partition?: unknown; offset?: unknown }, i: number) => {
    if (typeof p.topic !== 'string' || !Number.isInteger(p.partition) || !Number.isInteger(p.offset)) throw new Error(`partitions[${i}] needs "topic" (string), "partition" and "offset" (integers)`);
    return { topic: p.topic, partition: p.partition as number, offset: p.offset as number };
  });
}
