/**
 * ACLs as Kafka defines them (org.apache.kafka.common.acl and .resource): resource types, pattern
 * types, operations and permission types with Kafka's wire codes and names, an ACL binding (a
 * resource pattern and an access control entry), the filters DescribeAcls and DeleteAcls match
 * with, and the validation CreateAcls applies. Pure: no I/O.
 */
import { AclOperation, AclPermissionType, CLUSTER_RESOURCE_NAME, PatternType, ResourceType, WILDCARD_RESOURCE, operationName, patternTypeName, permissionTypeName, resourceTypeName } from '../protocol/acl-types.js';

export * from '../protocol/acl-types.js';

/** One ACL: who (principal, host) may or may not do what (operation) to which resources (pattern). */
export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** What DescribeAcls and DeleteAcls match: null names, principals and hosts match any. */
export interface AclBindingFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

/** The operations each resource type supports (the bits of KIP-430's authorized operations). */
export const SUPPORTED_OPERATIONS: Readonly<Record<number, readonly number[]>> = {
  [ResourceType.TOPIC]: [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  [ResourceType.GROUP]: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE],
  [ResourceType.CLUSTER]: [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE],
  [ResourceType.TRANSACTIONAL_ID]: [AclOperation.DESCRIBE, AclOperation.WRITE],
  [ResourceType.DELEGATION_TOKEN]: [AclOperation.DESCRIBE],
  [ResourceType.USER]: [AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS],
};

/** A principal string `Type:name` split, or undefined when it has no type. */
export function parsePrincipal(s: string): { type: string; name: string } | undefined {
  const colon = s.indexOf(':');
  if (colon <= 0) return undefined;
  return { type: s.slice(0, colon), name: s.slice(colon + 1) };
}

/**
 * Why CreateAcls refuses a binding, as Kafka's words, or undefined when it is valid: a concrete
 * resource type, LITERAL or PREFIXED, a concrete operation and permission, a `Type:name`
 * principal, a non-empty host, a non-empty resource name, and the cluster resource named
 * kafka-cluster. Like Kafka (AclApis and AclControlManager), it does not check the operation
 * against the resource type: an ACL for an operation the type has no use for (WRITE on a group)
 * is stored, and matches no request (kafka-acls.sh checks it on the client side).
 */
export function aclBindingError(b: AclBinding): string | undefined {
  if (b.resourceType === ResourceType.ANY || b.resourceType === ResourceType.UNKNOWN || resourceTypeName(b.resourceType) === 'UNKNOWN') return 'Invalid resource type: ' + b.resourceType;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `Invalid pattern type ${patternTypeName(b.patternType)}: only LITERAL and PREFIXED patterns are allowed in an ACL`;
  if (b.operation === AclOperation.ANY || b.operation === AclOperation.UNKNOWN || operationName(b.operation) === 'UNKNOWN') return 'Invalid operation: ' + b.operation;
  if (b.permissionType !== AclPermissionType.ALLOW && b.permissionType !== AclPermissionType.DENY) return 'Invalid permission type: ' + b.permissionType;
  if (!parsePrincipal(b.principal)) return `Could not parse principal from \`${b.principal}\` (no colon is present separating the principal type from the principal name)`;
  if (b.host === '') return 'Invalid host: the host must not be empty';
  if (b.resourceName === '') return 'Resource name must not be empty';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_RESOURCE_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`;
  return undefined;
}

/** Why a filter cannot be used (DescribeAcls/DeleteAcls), or undefined. */
export function aclFilterError(f: AclBindingFilter): string | undefined {
  if (f.resourceType === ResourceType.UNKNOWN) return 'The resource type filter must not be UNKNOWN';
  if (f.patternType === PatternType.UNKNOWN) return 'The pattern type filter must not be UNKNOWN';
  if (f.operation === AclOperation.UNKNOWN) return 'The operation filter must not be UNKNOWN';
  if (f.permissionType === AclPermissionType.UNKNOWN) return 'The permission type filter must not be UNKNOWN';
  return undefined;
}

/**
 * Whether a filter matches a binding, as Kafka's AclBindingFilter.matches: ANY matches every
 * value; MATCH matches the patterns that would apply to the named resource (the literal name,
 * the wildcard, and the prefixes of the name).
 */
export function filterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (!patternMatches(f, b)) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== AclPermissionType.ANY && f.permissionType !== b.permissionType) return false;
  return true;
}

function patternMatches(f: AclBindingFilter, b: AclBinding): boolean {
  switch (f.patternType) {
    case PatternType.ANY:
      return f.resourceName === null || f.resourceName === b.resourceName;
    case PatternType.MATCH:
      if (f.resourceName === null) return true;
      if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD_RESOURCE;
      return b.patternType === PatternType.PREFIXED && f.resourceName.startsWith(b.resourceName);
    default:
      return f.patternType === b.patternType && (f.resourceName === null || f.resourceName === b.resourceName);
  }
}

/** A stable key of a binding (for sets and de-duplication). */
export function aclKey(b: AclBinding): string {
  return `${b.resourceType}\u0000${b.patternType}\u0000${b.resourceName}\u0000${b.principal}\u0000${b.host}\u0000${b.operation}\u0000${b.permissionType}`;
}

/** `(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)` on `TOPIC:LITERAL:orders`, as kafka-acls prints. */
export function describeAcl(b: AclBinding): string {
  return `${resourceTypeName(b.resourceType)}:${patternTypeName(b.patternType)}:${b.resourceName} (principal=${b.principal}, host=${b.host}, operation=${operationName(b.operation)}, permissionType=${permissionTypeName(b.permissionType)})`;
}
