/**
 * AlterClientQuotas (key 49), versions 0-1.
 *
 * Sets and removes quotas of user, client-id and ip entities (a null name is the default entity).
 * Forwarded to the active controller (controller-apis/49-alter-client-quotas.ts), which checks
 * them as Kafka does (known entity types, ip alone, each at most once, keys that fit the entity,
 * positive values, else INVALID_REQUEST for that entry) and writes them to the metadata log; the
 * answer comes back once this broker's metadata has them, and every broker holds its clients to
 * them once its metadata catches up. `validateOnly` changes nothing. The principal needs
 * ALTER_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED), checked here before forwarding.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterClientQuotasApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

export const alterClientQuotasHandler = defineHandler(AlterClientQuotasApi, { min: 0, max: 1 }, async (req, ctx) => {
  if (!authorizeCluster(ctx, AclOperation.ALTER_CONFIGS)) {
    return { throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, entity: e.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName })) })) };
  }
  return ctx.broker.forwarder.forward(ctx, AlterClientQuotasApi, req);
});
