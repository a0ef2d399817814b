/**
 * AlterConfigs (key 33), versions 0-2.
 *
 * Replaces a topic's config overrides with the given set (configs not named revert to their
 * defaults), after validating every name and value (INVALID_CONFIG). `validateOnly` changes
 * nothing. Broker configs cannot be altered at run time yet (INVALID_REQUEST).
 *
 * With an authorizer, topics need ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED), the
 * broker ALTER_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED). On a broker only the
 * listener keystore and truststore configs can change (a certificate reload: security/broker-security.ts).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterConfigsApi } from '../../protocol/messages/index.js';
import { ResourceType, alterBrokerConfigs, nonTopicAlterResult, topicResourceError } from '../config/config-resources.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType as AclResource, authorize, authorizeCluster } from '../security/authorize.js';

export const alterConfigsHandler = defineHandler(AlterConfigsApi, { min: 0, max: 2 }, async (req, ctx) => {
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
      if (e) {
        responses.push({ ...base, ...e });
        continue;
      }
      const nulls = r.configs.filter((c) => c.value === null).map((c) => c.name);
      if (nulls.length > 0) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for: ${nulls.join(', ')}` });
        continue;
      }
      const error = await b.topics.setConfigs(r.resourceName, Object.fromEntries(r.configs.map((c) => [c.name, c.value!])), req.validateOnly);
      responses.push({ ...base, errorCode: error?.errorCode ?? ErrorCode.NONE, errorMessage: error?.errorMessage ?? null });
    } else if (r.resourceType === ResourceType.BROKER) {
      if (!authorizeCluster(ctx, AclOperation.ALTER_CONFIGS)) responses.push({ ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null });
      else {
        // AlterConfigs replaces the broker's run-time configs: those not given are removed.
        const given = new Set(r.configs.map((c) => c.name));
        const removed = [...b.security.metadata.brokerConfigs.keys()].filter((n) => !given.has(n)).map((name) => ({ name, value: null }));
        responses.push({ ...base, ...(await alterBrokerConfigs(b, r.resourceName, [...r.configs, ...removed], req.validateOnly)) });
      }
    } else {
      responses.push({ ...base, ...nonTopicAlterResult(b, r.resourceType, r.resourceName) });
    }
  }
  return { throttleTimeMs: 0, responses };
});
