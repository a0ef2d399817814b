/**
 * `samsa consume TOPIC`: prints records as they arrive, one per line: the value (default), key and
 * value, or JSON with metadata. With --group it joins that group (on the classic protocol, or Kafka
 * 4's consumer protocol with --group-protocol consumer) and commits; otherwise it reads
 * the partitions itself (all, or --partition) from the end, the beginning or --offset; with
 * --isolation-level read_committed it skips aborted and open transactions' records. Stops after
 * --max-messages, after --timeout-ms without a record, or on Ctrl-C, leaving the group cleanly.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { ConsumerRecord } from '../../client/index.js';
import { type CommonOptions, integer, withClient, withCommonOptions } from '../common.js';
import { toJson } from '../output.js';

type Format = 'value' | 'key-value' | 'json';

export function registerConsumeCommand(program: Command): void {
  withCommonOptions(program.command('consume <topic>').description('print records of a topic'))
    .option('-g, --group <id>', 'consume as a member of this group (committing offsets)')
    .option('--group-protocol <protocol>', "the group protocol: classic, or consumer (Kafka 4's KIP-848)", 'classic')
    .option('--from-beginning', 'start at the earliest record when there is no committed offset')
    .option('-o, --offset <n>', 'start at this offset, or earliest or latest (needs --partition)', startOffset)
    .option('-p, --partition <n>', 'read only this partition', integer)
    .option('-n, --max-messages <n>', 'stop after n records', integer)
    .option('--timeout-ms <ms>', 'stop when no record arrives for this long', integer)
    .option('-F, --format <format>', 'value, key-value or json', 'value')
    .option('--key-separator <sep>', 'separator between key and value for key-value', '\t')
    .option('--isolation-level <level>', 'read_uncommitted (every record) or read_committed (no aborted or open transactions\' records)', 'read_uncommitted')
    .action(async (topic: string, opts: CommonOptions & { group?: string; fromBeginning?: boolean; offset?: bigint | 'earliest' | 'latest'; partition?: number; maxMessages?: number; timeoutMs?: number; format: string; keySeparator: string; isolationLevel: string; groupProtocol: string }) =>
      withClient(opts, async (client, out) => {
        const format = opts.format as Format;
        if (!['value', 'key-value', 'json'].includes(format)) throw new Error(`--format must be value, key-value or json, not ${opts.format}`);
        if (opts.offset !== undefined && opts.partition === undefined) throw new Error('--offset needs --partition');
        if (opts.group !== undefined && opts.partition !== undefined) throw new Error('--partition reads without a group: drop --group or --partition');
        if (opts.isolationLevel !== 'read_uncommitted' && opts.isolationLevel !== 'read_committed') throw new Error(`--isolation-level must be read_uncommitted or read_committed, not ${opts.isolationLevel}`);
        if (opts.groupProtocol !== 'classic' && opts.groupProtocol !== 'consumer') throw new Error(`--group-protocol must be classic or consumer, not ${opts.groupProtocol}`);
        const consumer = client.consumer({ ...(opts.group !== undefined ? { groupId: opts.group, groupProtocol: opts.groupProtocol } : {}), autoOffsetReset: opts.fromBeginning ? 'earliest' : 'latest', maxWaitMs: 200, isolationLevel: opts.isolationLevel });
        if (opts.group !== undefined) consumer.subscribe(topic);
        else {
          const partitions = opts.partition !== undefined ? [opts.partition] : (await client.admin().describeTopics([topic]))[0]!.partitions.map((p) => p.partition);
          consumer.assign(partitions.map((partition) => ({ topic, partition })));
          if (opts.offset !== undefined) await consumer.seek(topic, opts.partition!, opts.offset);
        }
        let count = 0;
        let idle: NodeJS.Timeout | undefined;
        const stop = () => void consumer.close();
        const armIdle = () => {
          if (opts.timeoutMs === undefined) return;
          clearTimeout(idle);
          idle = setTimeout(stop, opts.timeoutMs);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        armIdle();
        try {
          for await (const r of consumer) {
            if (!out.line(render(r, format, opts.keySeparator))) await new Promise((resolve) => process.stdout.once('drain', resolve));
            armIdle();
            if (opts.maxMessages !== undefined && ++count >= opts.maxMessages) break;
          }
        } finally {
          clearTimeout(idle);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          await consumer.close();
        }
      }),
    );
}

/** --offset: a number, or earliest / latest (as kafka-console-consumer takes them). */
function startOffset(value: string): bigint | 'earliest' | 'latest' {
  if (value === 'earliest' || value === 'latest') return value;
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`not an offset, earliest or latest: ${value}`);
  return BigInt(value);
}

function render(r: ConsumerRecord, format: Format, sep: string): string {
  const value = r.value === null ? 'null' : r.value.toString('utf8');
  if (format === 'value') return value;
  const key = r.key === null ? 'null' : r.key.toString('utf8');
  if (format === 'key-value') return `${key}${sep}${value}`;
  return toJson({ topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key?.toString('utf8') ?? null, value: r.value?.toString('utf8') ?? null, headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString('utf8') ?? null])) });
}
