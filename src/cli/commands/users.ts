/**
 * `samsa users describe|alter|delete`: SCRAM credentials, as Kafka's
 * `kafka-configs --entity-type users` manages them:
 *   samsa users alter alice --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-secret]'
 *   samsa users alter alice --delete-config SCRAM-SHA-512
 * The password is salted and hashed here: the broker receives the salted password only.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { ScramAlteration } from '../../client/index.js';
import { type CommonOptions, withClient, withCommonOptions } from '../common.js';

type Mechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
const MECHANISMS: readonly string[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** `SCRAM-SHA-256=[iterations=8192,password=x],SCRAM-SHA-512=[password=y]` → the upserts. */
export function parseScramConfig(user: string, text: string): ScramAlteration[] {
  const out: ScramAlteration[] = [];
  const re = /\s*(SCRAM-SHA-(?:256|512))\s*=\s*\[([^\]]*)\]\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text)) !== null) {
    end = re.lastIndex;
    const settings = new Map(m[2]!.split(',').map((kv) => {
      const eq = kv.indexOf('=');
      return [kv.slice(0, eq).trim(), kv.slice(eq + 1)] as const;
    }));
    const password = settings.get('password');
    if (password === undefined) throw new InvalidArgumentError(`${m[1]} needs password=…`);
    const iterations = settings.has('iterations') ? Number(settings.get('iterations')) : undefined;
    out.push({ user, mechanism: m[1] as Mechanism, password, ...(iterations !== undefined ? { iterations } : {}) });
    if (end >= text.length) break;
  }
  if (out.length === 0 || end < text.trimEnd().length) throw new InvalidArgumentError(`expected SCRAM-SHA-256=[iterations=8192,password=…] (comma-separated), got ${text}`);
  return out;
}

export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('SCRAM credentials of users (as kafka-configs --entity-type users)');

  withCommonOptions(users.command('describe [names...]').description('mechanisms and iterations of users with credentials'))
    .action(async (names: string[], o: CommonOptions) =>
      withClient(o, async (client, out) => {
        const found = await client.admin().describeUserScramCredentials(names.length > 0 ? names : undefined);
        out.table(['user', 'mechanism', 'iterations'], found.flatMap((u) => u.credentials.map((c) => [u.user, c.mechanism, c.iterations])), found);
      }),
    );

  withCommonOptions(users.command('alter <name>').description('set or delete SCRAM credentials of a user'))
    .option('--add-config <config>', "SCRAM-SHA-256=[iterations=8192,password=…],SCRAM-SHA-512=[password=…]")
    .option('--delete-config <mechanisms>', 'SCRAM-SHA-256,SCRAM-SHA-512')
    .action(async (name: string, o: CommonOptions & { addConfig?: string; deleteConfig?: string }) =>
      withClient(o, async (client, out) => {
        const changes: ScramAlteration[] = o.addConfig ? parseScramConfig(name, o.addConfig) : [];
        for (const m of (o.deleteConfig ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
          if (!MECHANISMS.includes(m)) throw new InvalidArgumentError(`unknown mechanism ${m}`);
          changes.push({ user: name, mechanism: m as Mechanism, delete: true });
        }
        if (changes.length === 0) throw new InvalidArgumentError('give --add-config or --delete-config');
        await client.admin().alterUserScramCredentials(changes);
        out.result(`altered the SCRAM credentials of ${name}`, { user: name, changes: changes.map((c) => ({ mechanism: c.mechanism, deleted: 'delete' in c })) });
      }),
    );

  withCommonOptions(users.command('delete <name>').description('delete every SCRAM credential of a user'))
    .action(async (name: string, o: CommonOptions) =>
      withClient(o, async (client, out) => {
        const [u] = await client.admin().describeUserScramCredentials([name]);
        await client.admin().alterUserScramCredentials(u!.credentials.map((c) => ({ user: name, mechanism: c.mechanism, delete: true })));
        out.result(`deleted the SCRAM credentials of ${name}`, { user: name, deleted: u!.credentials.map((c) => c.mechanism) });
      }),
    );
}
