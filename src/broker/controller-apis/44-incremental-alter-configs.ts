/**
 * IncrementalAlterConfigs (key 44), versions 0-1, on the controller listener (brokers forward
 * theirs here in an Envelope): changes a topic's config overrides one by one — SET (0), DELETE
 * (1: back to the default), APPEND (2) and SUBTRACT (3) for list configs such as cleanup.policy.
 * Each resulting value is validated (INVALID_CONFIG); a config named twice in one resource is
 * INVALID_REQUEST; APPEND or SUBTRACT on a non-list config is INVALID_CONFIG. Broker resources
 * (a broker id, or "" for the cluster-wide default) take the same operations on their run-time
 * configs (config-control.ts); new keystore and truststore values for this node must load on its
 * listeners first (own-tls-change.ts).
 * Authorized per resource as Kafka's ControllerApis: ALTER_CONFIGS on the topic
 * (TOPIC_AUTHORIZATION_FAILED) or, for other resources, on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { IncrementalAlterConfigsApi } from '../../protocol/messages/index.js';
import { alterConfigsRefusal, authorizedEach } from './controller-authorization.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';
import { ownTlsRefusals } from './own-tls-change.js';
import { incrementalChanges } from '../config/config-changes.js';

export const controllerIncrementalAlterConfigsHandler = defineControllerHandler(IncrementalAlterConfigsApi, { min: 0, max: 1 }, async (req, ctx) => {
  const base = req.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName }));
  const authorized = req.resources.filter((r) => alterConfigsRefusal(ctx, r) === undefined);
  const badTls = await ownTlsRefusals(ctx, authorized, (r) => incrementalChanges(r.configs));
  const refused = (r: (typeof req.resources)[number]) => {
    const errorCode = alterConfigsRefusal(ctx, r);
    return errorCode === undefined ? badTls.get(r) : { errorCode, errorMessage: null };
  };
  try {
    const results = await authorizedEach(req.resources, refused, (allowed) =>
      ctx.node.controller.incrementalAlterConfigs(
        allowed.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, configs: r.configs.map(({ name, configOperation, value }) => ({ name, configOperation, value })) })),
        req.validateOnly,
      ),
    );
    return { throttleTimeMs: 0, responses: results.map((r, i) => ({ ...base[i]!, ...r })) };
  } catch (err) {
    const errorCode = controllerErrorCode(err, ctx);
    return { throttleTimeMs: 0, responses: base.map((b) => ({ ...b, errorCode, errorMessage: null })) };
  }
});
