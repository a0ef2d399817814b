/**
 * AlterConfigs (key 33), versions 0-2, on the controller listener (brokers forward theirs here in
 * an Envelope): replaces a topic's config overrides with the given set (configs not named revert
 * to their defaults), after validating every name and value (INVALID_CONFIG), or a broker's
 * run-time configs (a broker id, or "" for the cluster-wide default: INVALID_REQUEST for one that
 * cannot change at run time, as Kafka's; config-control.ts; new keystore and truststore values for
 * this node must load on its listeners first: own-tls-change.ts). `validateOnly` changes nothing.
 * Authorized per resource as Kafka's ControllerApis: ALTER_CONFIGS on the topic
 * (TOPIC_AUTHORIZATION_FAILED) or, for other resources, on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { AlterConfigsApi } from '../../protocol/messages/index.js';
import { alterConfigsRefusal, authorizedEach } from './controller-authorization.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';
import { ownTlsRefusals } from './own-tls-change.js';
import { replacingChanges } from '../config/config-changes.js';
import { ConfigResourceType } from '../../controller/image/image-types.js';

export const controllerAlterConfigsHandler = defineControllerHandler(AlterConfigsApi, { min: 0, max: 2 }, async (req, ctx) => {
  const base = req.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName }));
  const authorized = req.resources.filter((r) => alterConfigsRefusal(ctx, r) === undefined);
  const badTls = await ownTlsRefusals(ctx, authorized, (r) => replacingChanges(r.configs, ctx.node.image.configs(ConfigResourceType.BROKER, r.resourceName)));
  const refused = (r: (typeof req.resources)[number]) => {
    const errorCode = alterConfigsRefusal(ctx, r);
    return errorCode === undefined ? badTls.get(r) : { errorCode, errorMessage: null };
  };
  try {
    const results = await authorizedEach(req.resources, refused, (allowed) =>
      ctx.node.controller.alterConfigs(
        allowed.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, configs: r.configs.map((c) => ({ name: c.name, value: c.value })) })),
        req.validateOnly,
      ),
    );
    return { throttleTimeMs: 0, responses: results.map((r, i) => ({ ...base[i]!, ...r })) };
  } catch (err) {
    const errorCode = controllerErrorCode(err, ctx);
    return { throttleTimeMs: 0, responses: base.map((b) => ({ ...b, errorCode, errorMessage: null })) };
  }
});
