/**
 * IncrementalAlterConfigs (key 44), versions 0-1.
 *
 * Topic resources are forwarded to the active controller (controller-apis/44-incremental-alter-configs.ts:
 * SET, DELETE, APPEND, SUBTRACT on a topic's or a broker's run-time overrides, validated); the
 * answer comes back once this broker's metadata has the new overrides. A broker resource is a
 * broker id or "" for the cluster-wide default (config/dynamic-broker-configs.ts says which configs
 * change at run time); new keystore and truststore values for this broker must load here first.
 *
 * With an authorizer, topics need ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED), the
 * broker ALTER_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED), answered here
 * (security/forward-checked.ts).
 */
import { IncrementalAlterConfigsApi } from '../../protocol/messages/index.js';
import { type AlterConfigsResult, alterConfigsLocally } from '../config/alter-configs-locally.js';
import { incrementalChanges } from '../config/config-changes.js';
import { defineHandler } from '../handler.js';
import { forwardChecked } from '../security/forward-checked.js';

export const incrementalAlterConfigsHandler = defineHandler(IncrementalAlterConfigsApi, { min: 0, max: 1 }, (req, ctx) => {
  return forwardChecked(ctx, IncrementalAlterConfigsApi, {
    items: req.resources,
    local: (r) => alterConfigsLocally(ctx, r, () => incrementalChanges(r.configs)),
    withItems: (resources) => ({ ...req, resources }),
    resultsOf: (res) => res.responses as AlterConfigsResult[],
    respond: (responses, res) => ({ throttleTimeMs: res?.throttleTimeMs ?? 0, responses }) as never,
  });
});
