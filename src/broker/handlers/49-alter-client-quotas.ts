/**
 * AlterClientQuotas (key 49), versions 0-1.
 *
 * Sets and removes quotas of user, client-id and ip entities (a null name is the default
 * entity), checked as Kafka does: known entity types, ip alone, each at most once, keys that fit
 * the entity (`connection_creation_rate` for ip; the byte rates, `request_percentage` and
 * `controller_mutation_rate` for users and client ids) and positive values, else INVALID_REQUEST
 * for that entry. `validateOnly` changes nothing. Changes are persisted before the answer and
 * apply to the next requests. The principal needs ALTER_CONFIGS on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterClientQuotasApi } from '../../protocol/messages/index.js';
import { ENTITY_TYPES, type EntityType, type QuotaEntity, type QuotaKey, quotaEntityError, quotaKeyError } from '../../security/quota/client-quotas.js';
import type { SecurityChange } from '../../security/security-metadata.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

export const alterClientQuotasHandler = defineHandler(AlterClientQuotasApi, { min: 0, max: 1 }, async (req, ctx) => {
  const allowed = authorizeCluster(ctx, AclOperation.ALTER_CONFIGS);
  const changes: SecurityChange[] = [];
  const entries = req.entries.map((e) => {
    const answer = (errorCode: number, errorMessage: string | null) => ({ errorCode, errorMessage, entity: e.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName })) });
    if (!allowed) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const entity: QuotaEntity = {};
    for (const c of e.entity) {
      if (!(ENTITY_TYPES as readonly string[]).includes(c.entityType)) return answer(ErrorCode.INVALID_REQUEST, `Unknown entity type ${c.entityType}`);
      if (entity[c.entityType as EntityType] !== undefined) return answer(ErrorCode.INVALID_REQUEST, `Duplicate entity type ${c.entityType}`);
      entity[c.entityType as EntityType] = c.entityName;
    }
    const bad = quotaEntityError(entity);
    if (bad) return answer(ErrorCode.INVALID_REQUEST, bad);
    const mine: SecurityChange[] = [];
    for (const op of e.ops) {
      const wrong = quotaKeyError(entity, op.key, op.remove ? 1 : op.value);
      if (wrong) return answer(ErrorCode.INVALID_REQUEST, wrong);
      mine.push({ type: 'quota', entity, key: op.key as QuotaKey, value: op.remove ? null : op.value });
    }
    changes.push(...mine);
    return answer(ErrorCode.NONE, null);
  });
  if (!req.validateOnly && changes.length > 0) {
    try {
      await ctx.broker.security.metadata.commit(changes);
    } catch (err) {
      ctx.log.error({ err }, 'could not persist client quotas');
      return { throttleTimeMs: 0, entries: entries.map((e) => ({ ...e, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The quotas could not be stored' })) };
    }
  }
  return { throttleTimeMs: 0, entries };
});
