/**
 * IncrementalAlterConfigs (key 44), versions 0-1.
 *
 * Changes a topic's config overrides one by one: SET (0), DELETE (1: back to the default),
 * APPEND (2) and SUBTRACT (3) for list configs such as cleanup.policy. Each resulting value is
 * validated (INVALID_CONFIG); a config named twice in one resource is INVALID_REQUEST; APPEND or
 * SUBTRACT on a non-list config is INVALID_CONFIG. Broker configs cannot be altered yet.
 *
 * With an authorizer, topics need ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED), the
 * broker ALTER_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED). On a broker only the
 * listener keystore and truststore configs can be SET or DELETEd (a certificate reload).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { IncrementalAlterConfigsApi, type IncrementalAlterConfigsRequestAlterableConfig } from '../../protocol/messages/index.js';
import { type ResourceError, ResourceType, alterBrokerConfigs, nonTopicAlterResult, topicResourceError } from '../config/config-resources.js';
import { topicConfigKey } from '../config/topic-configs.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType as AclResource, authorize, authorizeCluster } from '../security/authorize.js';

const OP = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

const fail = (errorCode: number, errorMessage: string) => ({ error: { errorCode, errorMessage } });

/** Applies the operations to a copy of the overrides; returns the new overrides or an error message. */
function apply(current: Record<string, string>, ops: IncrementalAlterConfigsRequestAlterableConfig[]): { ok: Record<string, string> } | { error: ResourceError } {
  const next = { ...current };
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.name)) return fail(ErrorCode.INVALID_REQUEST, `Config ${op.name} appears more than once`);
    seen.add(op.name);
    const key = topicConfigKey(op.name);
    if (!key) return fail(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${op.name}`);
    if (op.configOperation === OP.DELETE) {
      delete next[op.name];
      continue;
    }
    if (op.value === null) return fail(ErrorCode.INVALID_REQUEST, `Null value for config ${op.name}`);
    if (op.configOperation === OP.SET) {
      next[op.name] = op.value;
      continue;
    }
    if (op.configOperation !== OP.APPEND && op.configOperation !== OP.SUBTRACT) return fail(ErrorCode.INVALID_REQUEST, `Unknown config operation ${op.configOperation}`);
    if (key.type !== 'LIST') return fail(ErrorCode.INVALID_CONFIG, `Config ${op.name} is not a list: APPEND and SUBTRACT apply to lists only`);
    const now = (next[op.name] ?? (key.default as string[]).join(',')).split(',').filter((s) => s !== '');
    const items = op.value.split(',').map((s) => s.trim());
    const result = op.configOperation === OP.APPEND ? [...now, ...items.filter((i) => !now.includes(i))] : now.filter((i) => !items.includes(i));
    next[op.name] = result.join(',');
  }
  return { ok: next };
}

export const incrementalAlterConfigsHandler = defineHandler(IncrementalAlterConfigsApi, { min: 0, max: 1 }, async (req, ctx) => {
  const b = ctx.broker;
  const responses = [];
  for (const r of req.resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    if (r.resourceType === ResourceType.TOPIC) {
      if (!authorize(ctx, AclOperation.ALTER_CONFIGS, AclResource.TOPIC, r.resourceName)) {
        responses.push({ ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null });
        continue;
      }
      const e = topicResourceError(b, r.resourceName);
      const next = e ? { error: e } : apply(b.metadata.topic(r.resourceName)!.configs, r.configs);
      if ('error' in next) {
        responses.push({ ...base, ...next.error });
        continue;
      }
      const error = await b.topics.setConfigs(r.resourceName, next.ok, req.validateOnly);
      responses.push({ ...base, errorCode: error?.errorCode ?? ErrorCode.NONE, errorMessage: error?.errorMessage ?? null });
    } else if (r.resourceType === ResourceType.BROKER) {
      if (!authorizeCluster(ctx, AclOperation.ALTER_CONFIGS)) responses.push({ ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null });
      else if (r.configs.some((c) => c.configOperation !== OP.SET && c.configOperation !== OP.DELETE)) responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Only SET and DELETE apply to these broker configs' });
      else responses.push({ ...base, ...(await alterBrokerConfigs(b, r.resourceName, r.configs.map((c) => ({ name: c.name, value: c.configOperation === OP.DELETE ? null : c.value })), req.validateOnly)) });
    } else {
      responses.push({ ...base, ...nonTopicAlterResult(b, r.resourceType, r.resourceName) });
    }
  }
  return { throttleTimeMs: 0, responses };
});
