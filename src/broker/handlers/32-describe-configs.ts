/**
 * DescribeConfigs (key 32), versions 1-4 (Kafka 4's floor is 1).
 *
 * Topics: every topic config (or the keys asked for, in the order asked) with its value and source
 * — topic override (TOPIC_CONFIG), broker setting (STATIC_BROKER_CONFIG) or default
 * (DEFAULT_CONFIG) — and, only when include_synonyms is set, its synonyms as Kafka lists them
 * (topic-configs.ts: e.g. retention.ms lists none unless log.retention.ms is set), its type (v3+)
 * and documentation (v3+). Brokers: every broker config, read-only. Broker loggers answer an
 * empty list; other resource types INVALID_REQUEST.
 *
 * With an authorizer: topics need DESCRIBE_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED),
 * brokers and broker loggers DESCRIBE_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { type DescribeConfigsResponseDescribeConfigsResultInput, DescribeConfigsApi } from '../../protocol/messages/index.js';
import { ResourceType, brokerResourceError, topicResourceError } from '../config/config-resources.js';
import { type DescribedConfig, describeBrokerConfigs, describeTopicConfigs } from '../config/describe.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType as AclResource, authorize, authorizeCluster } from '../security/authorize.js';

export const describeConfigsHandler = defineHandler(DescribeConfigsApi, { min: 1, max: 4 }, (req, ctx) => {
  const b = ctx.broker;
  const v3 = ctx.apiVersion >= 3;
  const render = (c: DescribedConfig) => ({
    name: c.name,
    value: c.value,
    readOnly: c.readOnly,
    configSource: c.source,
    isSensitive: c.isSensitive,
    synonyms: req.includeSynonyms ? c.synonyms : [],
    ...(v3 ? { configType: c.configType, documentation: req.includeDocumentation ? c.documentation : null } : {}),
  });
  const results = req.resources.map((r): DescribeConfigsResponseDescribeConfigsResultInput => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    let all: DescribedConfig[];
    if (r.resourceType === ResourceType.TOPIC) {
      if (!authorize(ctx, AclOperation.DESCRIBE_CONFIGS, AclResource.TOPIC, r.resourceName)) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, configs: [] };
      const e = topicResourceError(b, r.resourceName);
      if (e) return { ...base, ...e, configs: [] };
      all = describeTopicConfigs(b.topics.overrides(r.resourceName), b.config);
    } else if ((r.resourceType === ResourceType.BROKER || r.resourceType === ResourceType.BROKER_LOGGER) && !authorizeCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) {
      return { ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, configs: [] };
    } else if (r.resourceType === ResourceType.BROKER) {
      const e = brokerResourceError(b, r.resourceName);
      if (e) return { ...base, ...e, configs: [] };
      all = describeBrokerConfigs(b.config);
    } else if (r.resourceType === ResourceType.BROKER_LOGGER) {
      all = [];
    } else {
      return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, configs: [] };
    }
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: selectConfigs(all, r.configurationKeys).map(render) };
  });
  return { throttleTimeMs: 0, results };
});

/** The configs asked for, in the order asked (each once, unknown names left out), or all of them for null or an empty list. */
function selectConfigs(all: DescribedConfig[], keys: readonly string[] | null): DescribedConfig[] {
  if (keys === null || keys.length === 0) return all;
  const byName = new Map(all.map((c) => [c.name, c]));
  return [...new Set(keys)].flatMap((k) => byName.get(k) ?? []);
}
