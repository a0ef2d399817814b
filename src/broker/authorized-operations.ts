/**
 * Authorized-operations bitfields (KIP-430) for Metadata, DescribeCluster and DescribeGroups.
 * Without an authorizer every operation a resource type supports is allowed, as in Kafka.
 * Bits are AclOperation codes: READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8,
 * CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
 */
const bits = (...ops: number[]): number => ops.reduce((a, op) => a | (1 << op), 0);

export const TOPIC_OPERATIONS = bits(3, 4, 5, 6, 7, 8, 10, 11);
export const CLUSTER_OPERATIONS = bits(5, 7, 8, 9, 10, 11, 12);
export const GROUP_OPERATIONS = bits(3, 6, 8);
/** Sent when the client did not ask for authorized operations. */
export const OPERATIONS_NOT_REQUESTED = -2147483648;
