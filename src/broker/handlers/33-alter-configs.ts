/**
 * AlterConfigs (key 33), versions 0-2.
 *
 * Topic and broker resources are forwarded to the active controller (controller-apis/33-alter-configs.ts:
 * a topic's or a broker's run-time overrides replaced by the given set, validated); the answer
 * comes back once this broker's metadata has the new overrides. A broker resource is a broker id
 * or "" for the cluster-wide default (config/dynamic-broker-configs.ts says which configs change
 * at run time); new keystore and truststore values for this broker must load here first (a
 * certificate reload); AlterConfigs replaces the whole set, so those not given are removed.
 *
 * With an authorizer, topics need ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED), the
 * broker ALTER_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED), answered here
 * (security/forward-checked.ts).
 */
import { AlterConfigsApi } from '../../protocol/messages/index.js';
import { ConfigResourceType } from '../../controller/image/image-types.js';
import { type AlterConfigsResult, alterConfigsLocally } from '../config/alter-configs-locally.js';
import { replacingChanges } from '../config/config-changes.js';
import { defineHandler } from '../handler.js';
import { forwardChecked } from '../security/forward-checked.js';

export const alterConfigsHandler = defineHandler(AlterConfigsApi, { min: 0, max: 2 }, (req, ctx) => {
  return forwardChecked(ctx, AlterConfigsApi, {
    items: req.resources,
    local: (r) =>
      alterConfigsLocally(ctx, r, () => replacingChanges(r.configs, ctx.broker.metadata.configs(ConfigResourceType.BROKER, r.resourceName))),
    withItems: (resources) => ({ ...req, resources }),
    resultsOf: (res) => res.responses as AlterConfigsResult[],
    respond: (responses, res) => ({ throttleTimeMs: res?.throttleTimeMs ?? 0, responses }) as never,
  });
});
