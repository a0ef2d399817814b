/**
 * AlterClientQuotas (key 49), versions 0-1, on the controller listener (brokers forward theirs in
 * an Envelope): entries are checked as Kafka's ClientQuotaControlManager checks them (known entity
 * types, ip alone, keys that fit the entity, positive values: INVALID_REQUEST) and written as
 * ClientQuotaRecords, answered once committed (controller/security-control.ts); `validateOnly`
 * writes nothing. The forwarding broker has checked ALTER_CONFIGS on the cluster.
 */
import { AlterClientQuotasApi } from '../../protocol/messages/index.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const controllerAlterClientQuotasHandler = defineControllerHandler(AlterClientQuotasApi, { min: 0, max: 1 }, async (req, ctx) => {
  const entity = (e: (typeof req.entries)[number]) => e.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName }));
  try {
    const results = await ctx.node.controller.alterClientQuotas(req.entries, req.validateOnly);
    return { throttleTimeMs: 0, entries: results.map((r, i) => ({ ...r, entity: entity(req.entries[i]!) })) };
  } catch (err) {
    const errorCode = controllerErrorCode(err, ctx);
    return { throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode, errorMessage: null, entity: entity(e) })) };
  }
});
