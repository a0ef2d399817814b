/**
 * DescribeClientQuotas (key 48), versions 0-1.
 *
 * The quotas whose entities match the filter's components: each names an entity type (`user`,
 * `client-id`, `ip`) and matches an exact name (0), the default entity (1) or any named entity
 * (2); with `strict`, entities must have no other component. Values are Kafka's quota keys
 * (`producer_byte_rate`, `consumer_byte_rate`, `request_percentage`, `controller_mutation_rate`,
 * `connection_creation_rate`). An entity type given twice or unknown is INVALID_REQUEST. The
 * principal needs DESCRIBE_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeClientQuotasApi } from '../../protocol/messages/index.js';
import { ENTITY_TYPES, type EntityType, type QuotaEntity } from '../../security/quota/client-quotas.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_SPECIFIED = 2;

export const describeClientQuotasHandler = defineHandler(DescribeClientQuotasApi, { min: 0, max: 1 }, (req, ctx) => {
  const failed = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });
  if (!authorizeCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
  const types = new Set<string>();
  for (const c of req.components) {
    if (types.has(c.entityType)) return failed(ErrorCode.INVALID_REQUEST, `Duplicate ${c.entityType} filter component entity type`);
    if (!(ENTITY_TYPES as readonly string[]).includes(c.entityType)) return failed(ErrorCode.INVALID_REQUEST, `Custom entity type ${c.entityType} not supported`);
    if (c.matchType === MATCH_EXACT && c.match === null) return failed(ErrorCode.INVALID_REQUEST, `Exact match of ${c.entityType} needs a name`);
    if (c.matchType !== MATCH_EXACT && c.matchType !== MATCH_DEFAULT && c.matchType !== MATCH_SPECIFIED) return failed(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
    types.add(c.entityType);
  }
  const matches = (e: QuotaEntity): boolean => {
    for (const c of req.components) {
      const v = e[c.entityType as EntityType];
      if (v === undefined) return false;
      if (c.matchType === MATCH_EXACT && v !== c.match) return false;
      if (c.matchType === MATCH_DEFAULT && v !== null) return false;
      if (c.matchType === MATCH_SPECIFIED && v === null) return false;
    }
    return !req.strict || ENTITY_TYPES.every((t) => e[t] === undefined || types.has(t));
  };
  const entries = ctx.broker.security.metadata.quotas
    .entries()
    .filter((q) => matches(q.entity))
    .map((q) => ({
      entity: ENTITY_TYPES.filter((t) => q.entity[t] !== undefined).map((t) => ({ entityType: t, entityName: q.entity[t] ?? null })),
      values: [...q.values].map(([key, value]) => ({ key, value })),
    }));
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
});
