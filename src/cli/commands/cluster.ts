/**
 * `samsa cluster describe`: the brokers (registered ones, fenced or not, with their racks), the
 * controllers of the metadata quorum and which one is active, and the cluster id.
 * `samsa cluster describe-configs` and `alter-configs`: a broker's configs, and the run-time ones
 * of a broker or (without `--broker`) the cluster-wide defaults, as `kafka-configs --entity-type
 * brokers` (`--entity-name <id>` or `--entity-default`) describes and alters them.
 */
import type { Command } from 'commander';
import { type CommonOptions, collect, integer, keyValue, withClient, withCommonOptions } from '../common.js';

export function registerClusterCommand(program: Command): void {
  const cluster = program.command('cluster').description('describe the cluster: brokers, controllers, the active controller');
  withCommonOptions(cluster.command('describe').description('brokers (fenced or not, rack), controllers and the active one'))
    .action(async (opts: CommonOptions) =>
      withClient(opts, async (client, out) => {
        const c = await client.admin().describeClusterNodes();
        const state = (fenced: boolean | null) => (fenced === null ? 'unknown' : fenced ? 'fenced' : 'unfenced');
        if (out.json) return out.result('', c);
        out.line(`cluster ${c.clusterId ?? '-'}  active controller ${c.activeControllerId >= 0 ? c.activeControllerId : '-'}`);
        out.table(['broker', 'host', 'port', 'rack', 'state'], c.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack, state(b.fenced)]));
        if (c.controllers.length > 0) {
          out.table(['controller', 'host', 'port', 'active'], c.controllers.map((n) => [n.nodeId, n.host, n.port, n.nodeId === c.activeControllerId ? 'yes' : '']));
        }
      }),
    );
  withCommonOptions(cluster.command('describe-configs').description("a broker's configs: those set (statically or at run time), or with --all every one"))
    .requiredOption('--broker <id>', 'the broker', integer)
    .option('--all', 'every config, defaults included')
    .action(async (opts: CommonOptions & { broker: number; all?: boolean }) =>
      withClient(opts, async (client, out) => {
        const configs = (await client.admin().describeConfigs({ broker: opts.broker })).filter((c) => opts.all || !c.isDefault);
        out.table(['name', 'value', 'source'], configs.map((c) => [c.name, c.isSensitive ? '(sensitive)' : c.value, CONFIG_SOURCES[c.source] ?? c.source]), configs);
      }),
    );
  withCommonOptions(cluster.command('alter-configs').description('set or remove run-time configs of a broker, or without --broker the cluster-wide defaults'))
    .option('--broker <id>', 'the broker (default: every broker, as the cluster-wide default)', integer)
    .option('-c, --config <key=value>', 'set a config (repeatable)', keyValue, {})
    .option('--delete-config <key>', 'remove a run-time value (repeatable)', collect, [])
    .action(async (opts: CommonOptions & { broker?: number; config: Record<string, string>; deleteConfig: string[] }) =>
      withClient(opts, async (client, out) => {
        const changes: Record<string, string | null> = { ...opts.config, ...Object.fromEntries(opts.deleteConfig.map((k) => [k, null])) };
        if (Object.keys(changes).length === 0) throw new Error('give at least one --config or --delete-config');
        await client.admin().alterBrokerConfigs(opts.broker ?? null, changes);
        out.result(`altered the configs of ${opts.broker === undefined ? 'every broker (cluster-wide default)' : `broker ${opts.broker}`}`, { broker: opts.broker ?? null, configs: changes });
      }),
    );
}

/** DescribeConfigs' ConfigSource ids, as kafka-configs prints them. */
const CONFIG_SOURCES: Readonly<Record<number, string>> = {
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
};
