/**
 * Authorization as handlers ask for it: whether the connection's principal may do an operation to
 * a resource (always, when no authorizer is configured), and KIP-430's authorized operations. The
 * resource types and operations are Kafka's (security/acl.ts).
 */
import { CLUSTER_RESOURCE_NAME, ResourceType, SUPPORTED_OPERATIONS } from '../../security/acl.js';
import type { RequestContext } from '../handler.js';

export { AclOperation, ResourceType } from '../../security/acl.js';

/** Sent when the client did not ask for authorized operations (KIP-430). */
export const OPERATIONS_NOT_REQUESTED = -2147483648;

export function authorize(ctx: RequestContext, operation: number, resourceType: number, name: string): boolean {
  const a = ctx.broker.authorizer;
  return a === undefined || a.authorize(ctx.connection.channel, operation, resourceType, name);
}

export function authorizeCluster(ctx: RequestContext, operation: number): boolean {
  return authorize(ctx, operation, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
}

/** Kafka's authorizeByResourceType: some resource of the type allows the operation. */
export function authorizeAny(ctx: RequestContext, operation: number, resourceType: number): boolean {
  const a = ctx.broker.authorizer;
  return a === undefined || a.authorizeByResourceType(ctx.connection.channel, operation, resourceType);
}

const allBits = (resourceType: number) => (SUPPORTED_OPERATIONS[resourceType] ?? []).reduce((bits, op) => bits | (1 << op), 0);
const ALL_OPERATIONS = new Map<number, number>([ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER, ResourceType.TRANSACTIONAL_ID].map((t) => [t, allBits(t)]));

/** The operations the principal may do to a resource (KIP-430 bitfield): all its type supports without an authorizer. */
export function authorizedOperations(ctx: RequestContext, resourceType: number, name: string): number {
  const a = ctx.broker.authorizer;
  return a === undefined ? (ALL_OPERATIONS.get(resourceType) ?? 0) : a.authorizedOperations(ctx.connection.channel, resourceType, name);
}

/** The principal's name as quotas know users (`alice` for `User:alice`). */
export function quotaUser(ctx: RequestContext): string {
  const p = ctx.connection.channel.principal;
  const colon = p.indexOf(':');
  return colon < 0 ? p : p.slice(colon + 1);
}
