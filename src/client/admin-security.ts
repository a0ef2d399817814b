/**
 * The admin client's security operations, as Kafka's Admin has them: ACLs (createAcls,
 * describeAcls, deleteAcls, with Kafka's names for resource types, pattern types, operations and
 * permissions, case-insensitive), SCRAM credentials (the password is salted and hashed here: the
 * broker receives only the salt and the salted password, as with Kafka's AdminClient), and client
 * quotas (describe with a filter, alter with set and remove).
 */
import {
  AclOperation,
  AclPermissionType,
  PatternType,
  ResourceType,
  operationName,
  parseOperation,
  parsePatternType,
  parsePermissionType,
  parseResourceType,
  patternTypeName,
  permissionTypeName,
  resourceTypeName,
} from '../protocol/acl-types.js';
import {
  AlterClientQuotasApi,
  AlterUserScramCredentialsApi,
  CreateAclsApi,
  DeleteAclsApi,
  DescribeAclsApi,
  DescribeClientQuotasApi,
  DescribeUserScramCredentialsApi,
} from '../protocol/messages/index.js';
import { type ScramMechanism, SCRAM_MECHANISM_CODES, saltedPassword, scramMechanismOf } from '../protocol/sasl/scram.js';
import type { BrokerConnection } from './broker-connection.js';
import { SamsaClientError, throwIfError } from './errors.js';

/** An ACL binding with Kafka's names: `{ resourceType: 'topic', resourceName: 'orders', principal: 'User:alice', operation: 'read', permission: 'allow' }`. */
export interface Acl {
  resourceType: string;
  resourceName: string;
  /** `literal` (default) or `prefixed`. */
  patternType?: string;
  principal: string;
  /** Default `*`. */
  host?: string;
  operation: string;
  /** `allow` or `deny`. */
  permission: string;
}

/** A filter over ACLs; what is left out matches anything. `patternType: 'match'` finds the ACLs that apply to a named resource. */
export interface AclFilter {
  resourceType?: string;
  resourceName?: string | null;
  patternType?: string;
  principal?: string | null;
  host?: string | null;
  operation?: string;
  permission?: string;
}

/** An ACL as the broker describes it, with Kafka's upper-case names. */
export interface DescribedAcl {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permission: string;
}

export type ScramAlteration = { user: string; mechanism: ScramMechanism; password: string; iterations?: number } | { user: string; mechanism: ScramMechanism; delete: true };

/** A quota entity: `{ user: 'alice' }`, `{ user: 'alice', 'client-id': 'app' }`, `{ ip: '10.0.0.1' }`; null is the default entity. */
export type QuotaEntityInput = Partial<Record<'user' | 'client-id' | 'ip', string | null>>;

function code(parse: (s: string) => number | undefined, what: string, value: string): number {
  const c = parse(value);
  if (c === undefined) throw new SamsaClientError('SAMSA_CONFIG', `unknown ${what} ${value}`);
  return c;
}

function filterOf(f: AclFilter) {
  return {
    resourceTypeFilter: f.resourceType ? code(parseResourceType, 'resource type', f.resourceType) : ResourceType.ANY,
    resourceNameFilter: f.resourceName ?? null,
    patternTypeFilter: f.patternType ? code(parsePatternType, 'pattern type', f.patternType) : PatternType.ANY,
    principalFilter: f.principal ?? null,
    hostFilter: f.host ?? null,
    operation: f.operation ? code(parseOperation, 'operation', f.operation) : AclOperation.ANY,
    permissionType: f.permission ? code(parsePermissionType, 'permission type', f.permission) : AclPermissionType.ANY,
  };
}

const described = (r: { resourceType: number; resourceName: string; patternType?: number }, a: { principal: string; host: string; operation: number; permissionType: number }): DescribedAcl => ({
  resourceType: resourceTypeName(r.resourceType),
  resourceName: r.resourceName,
  patternType: patternTypeName(r.patternType ?? PatternType.LITERAL),
  principal: a.principal,
  host: a.host,
  operation: operationName(a.operation),
  permission: permissionTypeName(a.permissionType),
});

export async function createAcls(conn: BrokerConnection, acls: readonly Acl[]): Promise<void> {
  const res = await conn.send(CreateAclsApi, {
    creations: acls.map((a) => ({
      resourceType: code(parseResourceType, 'resource type', a.resourceType),
      resourceName: a.resourceName,
      resourcePatternType: code(parsePatternType, 'pattern type', a.patternType ?? 'literal'),
      principal: a.principal,
      host: a.host ?? '*',
      operation: code(parseOperation, 'operation', a.operation),
      permissionType: code(parsePermissionType, 'permission type', a.permission),
    })),
  });
  res.results.forEach((r, i) => throwIfError(r.errorCode, r.errorMessage ?? `ACL ${JSON.stringify(acls[i])}`));
}

export async function describeAcls(conn: BrokerConnection, filter: AclFilter = {}): Promise<DescribedAcl[]> {
  const res = await conn.send(DescribeAclsApi, filterOf(filter));
  throwIfError(res.errorCode, res.errorMessage);
  return res.resources.flatMap((r) => r.acls.map((a) => described(r, a)));
}

/** Deletes the ACLs the filters match; resolves with those deleted. */
export async function deleteAcls(conn: BrokerConnection, filters: readonly AclFilter[]): Promise<DescribedAcl[]> {
  const res = await conn.send(DeleteAclsApi, { filters: filters.map(filterOf) });
  const out: DescribedAcl[] = [];
  for (const f of res.filterResults) {
    throwIfError(f.errorCode, f.errorMessage);
    for (const m of f.matchingAcls) out.push(described(m, m));
  }
  return out;
}

/** Users with SCRAM credentials (all, or those named): mechanisms and iterations. */
export async function describeUserScramCredentials(conn: BrokerConnection, users?: readonly string[]): Promise<{ user: string; credentials: { mechanism: ScramMechanism; iterations: number }[] }[]> {
  const res = await conn.send(DescribeUserScramCredentialsApi, { users: users ? users.map((name) => ({ name })) : null });
  throwIfError(res.errorCode, res.errorMessage);
  return res.results.map((r) => {
    throwIfError(r.errorCode, r.errorMessage ?? `user ${r.user}`);
    return { user: r.user, credentials: r.credentialInfos.flatMap((c) => (scramMechanismOf(c.mechanism) ? [{ mechanism: scramMechanismOf(c.mechanism)!, iterations: c.iterations }] : [])) };
  });
}

/** Sets (salting the password here, 4096 iterations by default) or deletes SCRAM credentials. */
export async function alterUserScramCredentials(conn: BrokerConnection, changes: readonly ScramAlteration[], randomBytes: (n: number) => Buffer): Promise<void> {
  const deletions = changes.filter((c): c is Extract<ScramAlteration, { delete: true }> => 'delete' in c).map((c) => ({ name: c.user, mechanism: SCRAM_MECHANISM_CODES[c.mechanism] }));
  const upsertions = changes
    .filter((c): c is Extract<ScramAlteration, { password: string }> => 'password' in c)
    .map((c) => {
      const iterations = c.iterations ?? 4096;
      const salt = randomBytes(32);
      return { name: c.user, mechanism: SCRAM_MECHANISM_CODES[c.mechanism], iterations, salt, saltedPassword: saltedPassword(c.mechanism, c.password, salt, iterations) };
    });
  const res = await conn.send(AlterUserScramCredentialsApi, { deletions, upsertions });
  for (const r of res.results) throwIfError(r.errorCode, r.errorMessage ?? `user ${r.user}`);
}

const ENTITY_TYPES = ['user', 'client-id', 'ip'] as const;

/** Quotas whose entities match: each component names an entity type and a name, null for the default, or `undefined` for any named one. */
export async function describeClientQuotas(
  conn: BrokerConnection,
  components: readonly { entityType: 'user' | 'client-id' | 'ip'; match?: string | null }[],
  strict = false,
): Promise<{ entity: QuotaEntityInput; values: Record<string, number> }[]> {
  const res = await conn.send(DescribeClientQuotasApi, {
    components: components.map((c) => ({ entityType: c.entityType, matchType: c.match === undefined ? 2 : c.match === null ? 1 : 0, match: c.match ?? null })),
    strict,
  });
  throwIfError(res.errorCode, res.errorMessage);
  return (res.entries ?? []).map((e) => ({
    entity: Object.fromEntries(e.entity.map((c) => [c.entityType, c.entityName])) as QuotaEntityInput,
    values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
  }));
}

export async function alterClientQuotas(
  conn: BrokerConnection,
  entries: readonly { entity: QuotaEntityInput; set?: Record<string, number>; remove?: readonly string[] }[],
  validateOnly = false,
): Promise<void> {
  const res = await conn.send(AlterClientQuotasApi, {
    entries: entries.map((e) => ({
      entity: ENTITY_TYPES.filter((t) => e.entity[t] !== undefined).map((t) => ({ entityType: t, entityName: e.entity[t] ?? null })),
      ops: [...Object.entries(e.set ?? {}).map(([key, value]) => ({ key, value, remove: false })), ...(e.remove ?? []).map((key) => ({ key, value: 0, remove: true }))],
    })),
    validateOnly,
  });
  for (const r of res.entries) throwIfError(r.errorCode, r.errorMessage);
}
