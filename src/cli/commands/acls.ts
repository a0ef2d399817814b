/**
 * `samsa acls add|list|remove`, as Kafka's kafka-acls: principals to allow or deny (with hosts),
 * operations, and one resource (a topic, group, transactional id or the cluster), literal or
 * prefixed. `--producer` and `--consumer` add what a producer or a consumer of a topic needs.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { Acl, AclFilter } from '../../client/index.js';
import { type CommonOptions, collect, withClient, withCommonOptions } from '../common.js';

interface AclOptions extends CommonOptions {
  allowPrincipal: string[];
  denyPrincipal: string[];
  allowHost: string[];
  denyHost: string[];
  operation: string[];
  topic?: string;
  group?: string;
  transactionalId?: string;
  cluster?: boolean;
  resourcePatternType: string;
  producer?: boolean;
  consumer?: boolean;
  principal?: string;
}

function resourceOptions(cmd: Command, patternDefault: string): Command {
  return cmd
    .option('--topic <name>', 'the topic (or prefix)')
    .option('--group <name>', 'the consumer group (or prefix)')
    .option('--transactional-id <id>', 'the transactional id (or prefix)')
    .option('--cluster', 'the cluster')
    .option('--resource-pattern-type <type>', 'literal or prefixed (list and remove also take any and match)', patternDefault);
}

/** The resources named, as (type, name) pairs. */
function resources(o: AclOptions): { resourceType: string; resourceName: string }[] {
  const r: { resourceType: string; resourceName: string }[] = [];
  if (o.topic !== undefined) r.push({ resourceType: 'topic', resourceName: o.topic });
  if (o.group !== undefined) r.push({ resourceType: 'group', resourceName: o.group });
  if (o.transactionalId !== undefined) r.push({ resourceType: 'transactional-id', resourceName: o.transactionalId });
  if (o.cluster) r.push({ resourceType: 'cluster', resourceName: 'kafka-cluster' });
  return r;
}

/** The bindings `add` and `remove` mean, as kafka-acls builds them. */
function bindings(o: AclOptions): Acl[] {
  const targets = resources(o);
  if (targets.length === 0) throw new InvalidArgumentError('name a resource: --topic, --group, --transactional-id or --cluster');
  const principals = [...o.allowPrincipal.map((p) => ({ p, permission: 'allow', hosts: o.allowHost })), ...o.denyPrincipal.map((p) => ({ p, permission: 'deny', hosts: o.denyHost }))];
  if (principals.length === 0) throw new InvalidArgumentError('name a principal: --allow-principal User:alice or --deny-principal User:bob');
  const out: Acl[] = [];
  const add = (resourceType: string, resourceName: string, operation: string) => {
    for (const { p, permission, hosts } of principals) {
      for (const host of hosts.length > 0 ? hosts : ['*']) out.push({ resourceType, resourceName, patternType: o.resourcePatternType, principal: p, host, operation, permission });
    }
  };
  for (const t of targets) for (const op of o.operation) add(t.resourceType, t.resourceName, op);
  if (o.producer) {
    if (o.topic === undefined) throw new InvalidArgumentError('--producer needs --topic');
    for (const op of ['write', 'describe', 'create']) add('topic', o.topic, op);
  }
  if (o.consumer) {
    if (o.topic === undefined || o.group === undefined) throw new InvalidArgumentError('--consumer needs --topic and --group');
    for (const op of ['read', 'describe']) add('topic', o.topic, op);
    add('group', o.group, 'read');
  }
  if (out.length === 0) throw new InvalidArgumentError('name an --operation (or --producer / --consumer)');
  return [...new Map(out.map((a) => [JSON.stringify(a), a])).values()];
}

export function registerAclsCommand(program: Command): void {
  const acls = program.command('acls').description('add, list and remove ACLs (as kafka-acls)');
  const principals = (cmd: Command) =>
    cmd
      .option('--allow-principal <principal>', 'User:alice (repeatable)', collect, [])
      .option('--deny-principal <principal>', 'User:bob (repeatable)', collect, [])
      .option('--allow-host <host>', 'hosts the allow ACLs apply to (default *)', collect, [])
      .option('--deny-host <host>', 'hosts the deny ACLs apply to (default *)', collect, [])
      .option('--operation <op>', 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All (repeatable)', collect, [])
      .option('--producer', "a producer's ACLs on --topic (Write, Describe, Create)")
      .option('--consumer', "a consumer's ACLs on --topic and --group (Read, Describe; Read on the group)");

  resourceOptions(principals(withCommonOptions(acls.command('add').description('add ACLs'))), 'literal').action(async (o: AclOptions) =>
    withClient(o, async (client, out) => {
      const list = bindings(o);
      await client.admin().createAcls(list);
      out.result(`added ${list.length} ACL(s)`, { added: list });
    }),
  );

  resourceOptions(withCommonOptions(acls.command('list').description('list ACLs (all, or those of a resource or principal)')), 'any')
    .option('--principal <principal>', 'only the ACLs of this principal')
    .action(async (o: AclOptions) =>
      withClient(o, async (client, out) => {
        const targets = resources(o);
        const filters: AclFilter[] = targets.length > 0 ? targets.map((t) => ({ ...t, patternType: o.resourcePatternType })) : [{ patternType: o.resourcePatternType }];
        const found = (await Promise.all(filters.map((f) => client.admin().describeAcls({ ...f, ...(o.principal ? { principal: o.principal } : {}) })))).flat();
        out.table(
          ['resource', 'pattern', 'name', 'principal', 'host', 'operation', 'permission'],
          found.map((a) => [a.resourceType, a.patternType, a.resourceName, a.principal, a.host, a.operation, a.permission]),
          found,
        );
      }),
    );

  resourceOptions(principals(withCommonOptions(acls.command('remove').description('remove ACLs: those given, or with no principal and operation every ACL of the resource'))), 'literal').action(async (o: AclOptions) =>
    withClient(o, async (client, out) => {
      const targets = resources(o);
      if (targets.length === 0) throw new InvalidArgumentError('name a resource: --topic, --group, --transactional-id or --cluster');
      const exact = o.allowPrincipal.length + o.denyPrincipal.length > 0;
      const filters: AclFilter[] = exact ? bindings(o) : targets.map((t) => ({ ...t, patternType: o.resourcePatternType }));
      const removed = await client.admin().deleteAcls(filters);
      out.result(`removed ${removed.length} ACL(s)`, { removed });
    }),
  );
}
