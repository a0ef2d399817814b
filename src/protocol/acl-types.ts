/**
 * The codes and names of Kafka's ACL model on the wire (org.apache.kafka.common.acl and
 * .resource): resource types, pattern types, operations and permission types, as CreateAcls,
 * DescribeAcls and DeleteAcls carry them. Pure constants, shared by the broker and the client.
 */
/** ResourceType codes (org.apache.kafka.common.resource.ResourceType). */
export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export type ResourceTypeCode = (typeof ResourceType)[keyof typeof ResourceType];

/** PatternType codes. */
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;

/** AclOperation codes. */
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

/** AclPermissionType codes. */
export const AclPermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The name of the one cluster resource (Kafka's `kafka-cluster`). */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
/** The wildcard resource name and host, and the wildcard principal. */
export const WILDCARD_RESOURCE = '*';
export const WILDCARD_HOST = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

const nameOf = (table: Record<string, number>, code: number): string => Object.keys(table).find((k) => table[k] === code) ?? 'UNKNOWN';
export const resourceTypeName = (code: number): string => nameOf(ResourceType, code);
export const patternTypeName = (code: number): string => nameOf(PatternType, code);
export const operationName = (code: number): string => nameOf(AclOperation, code);
export const permissionTypeName = (code: number): string => nameOf(AclPermissionType, code);

/** Parses Kafka's names case-insensitively (`Read`, `READ`, `read`), also with '-' for '_' ('transactional-id'). */
function codeOf(table: Record<string, number>, name: string): number | undefined {
  return table[name.trim().toUpperCase().replace(/-/g, '_')];
}
export const parseResourceType = (name: string): number | undefined => codeOf(ResourceType, name);
export const parsePatternType = (name: string): number | undefined => codeOf(PatternType, name);
export const parseOperation = (name: string): number | undefined => codeOf(AclOperation, name);
export const parsePermissionType = (name: string): number | undefined => codeOf(AclPermissionType, name);

