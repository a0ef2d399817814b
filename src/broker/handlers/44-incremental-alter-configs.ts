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
import { ErrorCode } from '../../protocol/error-codes.js';
import { IncrementalAlterConfigsApi } from '../../protocol/messages/index.js';
import { ResourceType, checkOwnTlsChange } from '../config/config-resources.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType as AclResource, authorize, authorizeCluster } from '../security/authorize.js';
import { forwardChecked } from '../security/forward-checked.js';

const OP = { SET: 0, DELETE: 1 } as const;

type Result = { resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null };

export const incrementalAlterConfigsHandler = defineHandler(IncrementalAlterConfigsApi, { min: 0, max: 1 }, (req, ctx) => {
  const b = ctx.broker;
  return forwardChecked(ctx, IncrementalAlterConfigsApi, {
    items: req.resources,
    local: async (r): Promise<Result | undefined> => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      if (r.resourceType === ResourceType.TOPIC) {
        return authorize(ctx, AclOperation.ALTER_CONFIGS, AclResource.TOPIC, r.resourceName) ? undefined : { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
      }
      if (r.resourceType !== ResourceType.BROKER) return undefined;
      if (!authorizeCluster(ctx, AclOperation.ALTER_CONFIGS)) return { ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
      const tls = r.configs.filter((c) => c.configOperation === OP.SET || c.configOperation === OP.DELETE);
      const bad = await checkOwnTlsChange(b, r.resourceName, tls.map((c) => ({ name: c.name, value: c.configOperation === OP.DELETE ? null : c.value })));
      return bad ? { ...base, ...bad } : undefined;
    },
    withItems: (resources) => ({ ...req, resources }),
    resultsOf: (res) => res.responses as Result[],
    respond: (responses, res) => ({ throttleTimeMs: res?.throttleTimeMs ?? 0, responses }) as never,
  });
});
