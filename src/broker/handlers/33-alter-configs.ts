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
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterConfigsApi } from '../../protocol/messages/index.js';
import { ConfigResourceType } from '../../controller/image/image-types.js';
import { ResourceType, checkOwnTlsChange } from '../config/config-resources.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType as AclResource, authorize, authorizeCluster } from '../security/authorize.js';
import { forwardChecked } from '../security/forward-checked.js';

type Result = { resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null };

export const alterConfigsHandler = defineHandler(AlterConfigsApi, { min: 0, max: 2 }, (req, ctx) => {
  const b = ctx.broker;
  return forwardChecked(ctx, AlterConfigsApi, {
    items: req.resources,
    local: async (r): Promise<Result | undefined> => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      if (r.resourceType === ResourceType.TOPIC) {
        return authorize(ctx, AclOperation.ALTER_CONFIGS, AclResource.TOPIC, r.resourceName) ? undefined : { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
      }
      if (r.resourceType !== ResourceType.BROKER) return undefined;
      if (!authorizeCluster(ctx, AclOperation.ALTER_CONFIGS)) return { ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
      const given = new Set(r.configs.map((c) => c.name));
      const removed = Object.keys(b.metadata.configs(ConfigResourceType.BROKER, r.resourceName)).filter((n) => !given.has(n)).map((name) => ({ name, value: null }));
      const bad = await checkOwnTlsChange(b, r.resourceName, [...r.configs, ...removed]);
      return bad ? { ...base, ...bad } : undefined;
    },
    withItems: (resources) => ({ ...req, resources }),
    resultsOf: (res) => res.responses as Result[],
    respond: (responses, res) => ({ throttleTimeMs: res?.throttleTimeMs ?? 0, responses }) as never,
  });
});
