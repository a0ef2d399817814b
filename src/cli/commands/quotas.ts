/**
 * `samsa quotas describe|alter`: client quotas, as Kafka's `kafka-configs --entity-type
 * users|clients|ips`:
 *   samsa quotas alter --user alice --add-config producer_byte_rate=1048576,consumer_byte_rate=2097152
 *   samsa quotas alter --client-defaults --add-config request_percentage=50
 *   samsa quotas alter --user alice --client-id app --delete-config producer_byte_rate
 *   samsa quotas alter --ip 10.0.0.1 --add-config connection_creation_rate=10
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { QuotaEntityInput } from '../../client/index.js';
import { type CommonOptions, withClient, withCommonOptions } from '../common.js';

interface EntityOptions extends CommonOptions {
  user?: string;
  userDefaults?: boolean;
  clientId?: string;
  clientDefaults?: boolean;
  ip?: string;
  ipDefaults?: boolean;
}

const entityOptions = (cmd: Command) =>
  cmd
    .option('--user <name>', 'a user (the principal name, as alice for User:alice)')
    .option('--user-defaults', 'the default user')
    .option('--client-id <id>', 'a client id')
    .option('--client-defaults', 'the default client id')
    .option('--ip <address>', 'an IP address (connection_creation_rate only)')
    .option('--ip-defaults', 'the default IP');

function entityOf(o: EntityOptions): QuotaEntityInput {
  const e: QuotaEntityInput = {};
  if (o.user !== undefined) e.user = o.user;
  if (o.userDefaults) e.user = null;
  if (o.clientId !== undefined) e['client-id'] = o.clientId;
  if (o.clientDefaults) e['client-id'] = null;
  if (o.ip !== undefined) e.ip = o.ip;
  if (o.ipDefaults) e.ip = null;
  return e;
}

const render = (e: QuotaEntityInput) =>
  (['user', 'client-id', 'ip'] as const)
    .filter((t) => e[t] !== undefined)
    .map((t) => `${t}=${e[t] === null ? '<default>' : e[t]}`)
    .join(',');

export function registerQuotasCommand(program: Command): void {
  const quotas = program.command('quotas').description('client quotas of users, client ids and IPs (as kafka-configs --entity-type users|clients|ips)');

  entityOptions(withCommonOptions(quotas.command('describe').description('quotas (all, or of the entity named)'))).action(async (o: EntityOptions) =>
    withClient(o, async (client, out) => {
      const e = entityOf(o);
      const components = (['user', 'client-id', 'ip'] as const).filter((t) => e[t] !== undefined).map((t) => ({ entityType: t, match: e[t] ?? null }));
      const found = await client.admin().describeClientQuotas(components, components.length > 0);
      out.table(['entity', 'quota', 'value'], found.flatMap((q) => Object.entries(q.values).map(([k, v]) => [render(q.entity), k, v])), found);
    }),
  );

  entityOptions(withCommonOptions(quotas.command('alter').description('set or remove quotas of one entity')))
    .option('--add-config <key=value,...>', 'producer_byte_rate, consumer_byte_rate, request_percentage, controller_mutation_rate, connection_creation_rate')
    .option('--delete-config <keys>', 'quota keys to remove, comma-separated')
    .action(async (o: EntityOptions & { addConfig?: string; deleteConfig?: string }) =>
      withClient(o, async (client, out) => {
        const entity = entityOf(o);
        if (Object.keys(entity).length === 0) throw new InvalidArgumentError('name an entity: --user, --user-defaults, --client-id, --client-defaults, --ip or --ip-defaults');
        const set: Record<string, number> = {};
        for (const kv of (o.addConfig ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
          const eq = kv.indexOf('=');
          const value = Number(kv.slice(eq + 1));
          if (eq <= 0 || !Number.isFinite(value)) throw new InvalidArgumentError(`expected key=number, got ${kv}`);
          set[kv.slice(0, eq)] = value;
        }
        const remove = (o.deleteConfig ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
        if (Object.keys(set).length + remove.length === 0) throw new InvalidArgumentError('give --add-config or --delete-config');
        await client.admin().alterClientQuotas([{ entity, set, remove }]);
        out.result(`altered the quotas of ${render(entity)}`, { entity, set, remove });
      }),
    );
}
