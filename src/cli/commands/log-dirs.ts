/**
 * `samsa log-dirs describe`, as `kafka-log-dirs.sh --describe`: each broker's log directories and
 * the size of every partition it holds (of `--topic-list`, or all), through DescribeLogDirs. With
 * `--json`, the document Kafka's tool prints.
 */
import type { Command } from 'commander';
import { type CommonOptions, integer, withClient, withCommonOptions } from '../common.js';

export function registerLogDirsCommand(program: Command): void {
  const logDirs = program.command('log-dirs').description('log directories and partition sizes of brokers (as kafka-log-dirs.sh)');
  withCommonOptions(logDirs.command('describe').description('each broker\'s log directories, free space and the size of each partition it holds'))
    .option('--broker-list <ids>', 'comma-separated broker ids (default: every broker)')
    .option('--topic-list <topics>', 'comma-separated topics (default: every topic)')
    .action(async (opts: CommonOptions & { brokerList?: string; topicList?: string }) =>
      withClient(opts, async (client, out) => {
        const admin = client.admin();
        const brokers = opts.brokerList ? opts.brokerList.split(',').map((id) => integer(id.trim())) : (await admin.describeCluster()).brokers.map((b) => b.nodeId).sort((a, b) => a - b);
        const topics = opts.topicList?.split(',').map((t) => t.trim());
        const described = [];
        for (const broker of brokers) described.push({ broker, logDirs: await admin.describeLogDirs(broker, topics) });
        if (opts.json) {
          return out.result('', {
            brokers: described.map((d) => ({
              broker: d.broker,
              logDirs: d.logDirs.map((l) => ({ partitions: l.partitions.map((p) => ({ partition: `${p.topic}-${p.partition}`, size: Number(p.size), offsetLag: Number(p.offsetLag), isFuture: false })), error: l.errorCode === 0 ? null : l.errorCode, logDir: l.logDir })),
            })),
            version: 1,
          });
        }
        const rows = described.flatMap((d) => d.logDirs.flatMap((l) => l.partitions.map((p) => [d.broker, l.logDir, p.topic, p.partition, p.size] as const)));
        out.table(['broker', 'log dir', 'topic', 'partition', 'size'], rows);
        for (const d of described) for (const l of d.logDirs) if (l.usableBytes !== null) out.note(`broker ${d.broker} ${l.logDir}: ${l.usableBytes} of ${l.totalBytes} bytes free`);
      }),
    );
}
