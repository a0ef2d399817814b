/**
 * The ACL authorizer with the semantics of Kafka's StandardAuthorizer
 * (org.apache.kafka.metadata.authorizer.StandardAuthorizerData):
 *
 * - a principal in `super.users` may do anything;
 * - the ACLs that apply to a resource are its LITERAL ACLs, the LITERAL ACLs on the wildcard `*`,
 *   and the PREFIXED ACLs whose prefix starts the resource's name;
 * - of those, the ones for the principal (or `User:*`), for the host (or `*`) and for the operation
 *   (or ALL) decide: any DENY denies, else any ALLOW allows. An ALLOW of READ, WRITE, DELETE or
 *   ALTER also allows DESCRIBE, and an ALLOW of ALTER_CONFIGS allows DESCRIBE_CONFIGS (implied
 *   operations); a DENY denies only its own operation (or all, for ALL);
 * - when no ACL at all applies to the resource (whoever it names), `allow.everyone.if.no.acl.found`
 *   decides (false by default), else the request is denied.
 *
 * ACLs are indexed by resource type and name and, within a resource, by principal, so a check is a
 * few map lookups whatever the number of ACLs (bench/security.bench.ts: 10,000 ACLs).
 */
import { type AclBinding, type AclBindingFilter, AclOperation, AclPermissionType, PatternType, SUPPORTED_OPERATIONS, WILDCARD_HOST, WILDCARD_PRINCIPAL, WILDCARD_RESOURCE, aclKey, filterMatches } from './acl.js';

/** Who asks: the principal (`User:alice`) and the client's address. */
export interface RequestIdentity {
  readonly principal: string;
  readonly clientHost: string;
}

export interface AuthorizerConfig {
  /** `super.users`: principals allowed everything. */
  superUsers: readonly string[];
  /** `allow.everyone.if.no.acl.found`. */
  allowEveryoneIfNoAclFound: boolean;
}

/** The ACLs of one resource pattern (type, pattern type, name), by principal. */
type ByPrincipal = Map<string, AclBinding[]>;

interface TypeIndex {
  literal: Map<string, ByPrincipal>;
  prefixed: Map<string, ByPrincipal>;
  /** The distinct lengths of the prefixes in `prefixed`, so a lookup tries only those. */
  prefixLengths: number[];
}

/** Operations an ALLOW of the key also allows. */
const IMPLIED_BY: ReadonlyMap<number, readonly number[]> = new Map([
  [AclOperation.DESCRIBE, [AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]],
  [AclOperation.DESCRIBE_CONFIGS, [AclOperation.ALTER_CONFIGS]],
]);

/** What the ACLs say: DENIED, ALLOWED, or NO_ACL when no ACL applies to the resource at all. */
export const Decision = { DENIED: 0, ALLOWED: 1, NO_ACL: 2 } as const;
export type Decision = (typeof Decision)[keyof typeof Decision];

export class StandardAuthorizer {
  private readonly types = new Map<number, TypeIndex>();
  private readonly byKey = new Map<string, AclBinding>();
  private readonly superUsers: ReadonlySet<string>;
  readonly allowEveryoneIfNoAclFound: boolean;

  constructor(config: AuthorizerConfig, acls: Iterable<AclBinding> = []) {
    this.superUsers = new Set(config.superUsers);
    this.allowEveryoneIfNoAclFound = config.allowEveryoneIfNoAclFound;
    for (const acl of acls) this.add(acl);
  }

  get size(): number {
    return this.byKey.size;
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal);
  }

  /** Whether `who` may do `operation` to the resource `resourceType`/`name`. */
  authorize(who: RequestIdentity, operation: number, resourceType: number, name: string): boolean {
    if (this.superUsers.has(who.principal)) return true;
    const d = this.decide(who, operation, resourceType, name);
    return d === Decision.ALLOWED || (d === Decision.NO_ACL && this.allowEveryoneIfNoAclFound);
  }

  /** The decision before super users and the no-ACL rule are applied. */
  decide(who: RequestIdentity, operation: number, resourceType: number, name: string): Decision {
    const index = this.types.get(resourceType);
    if (!index) return Decision.NO_ACL;
    let found = false;
    let allowed = false;
    const visit = (byPrincipal: ByPrincipal | undefined): boolean => {
      if (!byPrincipal) return false;
      found = true;
      for (const p of [who.principal, WILDCARD_PRINCIPAL]) {
        const acls = byPrincipal.get(p);
        if (!acls) continue;
        for (const acl of acls) {
          if (acl.host !== WILDCARD_HOST && acl.host !== who.clientHost) continue;
          if (acl.permissionType === AclPermissionType.DENY) {
            if (acl.operation === operation || acl.operation === AclOperation.ALL) return true;
          } else if (!allowed && (acl.operation === operation || acl.operation === AclOperation.ALL || (IMPLIED_BY.get(operation)?.includes(acl.operation) ?? false))) {
            allowed = true;
          }
        }
      }
      return false;
    };
    if (visit(index.literal.get(name)) || visit(index.literal.get(WILDCARD_RESOURCE))) return Decision.DENIED;
    for (const len of index.prefixLengths) {
      if (len > name.length) break;
      if (visit(index.prefixed.get(name.slice(0, len)))) return Decision.DENIED;
    }
    if (allowed) return Decision.ALLOWED;
    return found ? Decision.DENIED : Decision.NO_ACL;
  }

  /**
   * KIP-430's authorized operations: a bitfield of the operations the resource type supports that
   * `who` may do to it.
   */
  authorizedOperations(who: RequestIdentity, resourceType: number, name: string): number {
    let bits = 0;
    for (const op of SUPPORTED_OPERATIONS[resourceType] ?? []) if (this.authorize(who, op, resourceType, name)) bits |= 1 << op;
    return bits;
  }

  /**
   * Whether `who` may do `operation` to some resource of the type (Kafka's
   * Authorizer.authorizeByResourceType, used for IDEMPOTENT_WRITE's "or WRITE on any topic"): an
   * ALLOW for the principal and host on some name or prefix that no DENY on the wildcard, on that
   * name or on a shorter prefix overrides.
   */
  authorizeByResourceType(who: RequestIdentity, operation: number, resourceType: number): boolean {
    // Kafka checks a made-up name first, so super users and the no-ACL rule apply.
    if (this.authorize(who, operation, resourceType, 'hardcode')) return true;
    const index = this.types.get(resourceType);
    if (!index) return false;
    const applies = (acl: AclBinding, permission: number) =>
      acl.permissionType === permission &&
      (acl.principal === who.principal || acl.principal === WILDCARD_PRINCIPAL) &&
      (acl.host === WILDCARD_HOST || acl.host === who.clientHost) &&
      (acl.operation === operation || acl.operation === AclOperation.ALL);
    const denyLiterals = new Set<string>();
    const denyPrefixes: string[] = [];
    const allowLiterals: string[] = [];
    const allowPrefixes: string[] = [];
    const scan = (map: Map<string, ByPrincipal>, deny: (n: string) => void, allow: (n: string) => void) => {
      for (const [name, byPrincipal] of map) {
        for (const acls of byPrincipal.values()) {
          for (const acl of acls) {
            if (applies(acl, AclPermissionType.DENY)) deny(name);
            else if (applies(acl, AclPermissionType.ALLOW)) allow(name);
          }
        }
      }
    };
    scan(index.literal, (n) => denyLiterals.add(n), (n) => allowLiterals.push(n));
    scan(index.prefixed, (n) => denyPrefixes.push(n), (n) => allowPrefixes.push(n));
    if (denyLiterals.has(WILDCARD_RESOURCE)) return false;
    const deniedByPrefix = (name: string) => denyPrefixes.some((p) => name.startsWith(p));
    if (allowPrefixes.some((p) => !deniedByPrefix(p))) return true;
    return allowLiterals.some((n) => !denyLiterals.has(n) && !deniedByPrefix(n));
  }

  /** Adds an ACL; false when an equal one exists already. */
  add(acl: AclBinding): boolean {
    const key = aclKey(acl);
    if (this.byKey.has(key)) return false;
    this.byKey.set(key, acl);
    let index = this.types.get(acl.resourceType);
    if (!index) this.types.set(acl.resourceType, (index = { literal: new Map(), prefixed: new Map(), prefixLengths: [] }));
    const map = acl.patternType === PatternType.PREFIXED ? index.prefixed : index.literal;
    let byPrincipal = map.get(acl.resourceName);
    if (!byPrincipal) {
      map.set(acl.resourceName, (byPrincipal = new Map()));
      if (acl.patternType === PatternType.PREFIXED && !index.prefixLengths.includes(acl.resourceName.length)) {
        index.prefixLengths.push(acl.resourceName.length);
        index.prefixLengths.sort((a, b) => a - b);
      }
    }
    const list = byPrincipal.get(acl.principal);
    if (list) list.push(acl);
    else byPrincipal.set(acl.principal, [acl]);
    return true;
  }

  /** Removes an ACL equal to `acl`; false when there is none. */
  remove(acl: AclBinding): boolean {
    const key = aclKey(acl);
    const stored = this.byKey.get(key);
    if (!stored) return false;
    this.byKey.delete(key);
    const index = this.types.get(acl.resourceType)!;
    const map = acl.patternType === PatternType.PREFIXED ? index.prefixed : index.literal;
    const byPrincipal = map.get(acl.resourceName)!;
    const list = byPrincipal.get(acl.principal)!;
    list.splice(list.indexOf(stored), 1);
    if (list.length === 0) byPrincipal.delete(acl.principal);
    if (byPrincipal.size === 0) {
      map.delete(acl.resourceName);
      if (acl.patternType === PatternType.PREFIXED && ![...index.prefixed.keys()].some((p) => p.length === acl.resourceName.length)) {
        index.prefixLengths.splice(index.prefixLengths.indexOf(acl.resourceName.length), 1);
      }
    }
    if (index.literal.size === 0 && index.prefixed.size === 0) this.types.delete(acl.resourceType);
    return true;
  }

  /** The ACLs a filter matches, in the order they were added. */
  acls(filter?: AclBindingFilter): AclBinding[] {
    const all = [...this.byKey.values()];
    return filter ? all.filter((b) => filterMatches(filter, b)) : all;
  }
}
