/**
 * What a broker answers itself for one resource of AlterConfigs or IncrementalAlterConfigs, before
 * the others go to the active controller: with an authorizer, ALTER_CONFIGS on the topic
 * (TOPIC_AUTHORIZATION_FAILED) or, for a broker resource, on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED); then new keystore and truststore values for this broker, which
 * must load here first (config-resources.ts `checkOwnTlsChange`).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { RequestContext } from '../handler.js';
import { AclOperation, ResourceType as AclResource, authorize, authorizeCluster } from '../security/authorize.js';
import { ResourceType, checkOwnTlsChange } from './config-resources.js';

export type AlterConfigsResult = { resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null };

/** The answer for `r`, or undefined to forward it; `changes` gives a broker resource's new values (null: removed). */
export async function alterConfigsLocally(
  ctx: RequestContext,
  r: { resourceType: number; resourceName: string },
  changes: () => readonly { name: string; value: string | null }[],
): Promise<AlterConfigsResult | undefined> {
  const base = { resourceType: r.resourceType, resourceName: r.resourceName };
  if (r.resourceType === ResourceType.TOPIC) {
    return authorize(ctx, AclOperation.ALTER_CONFIGS, AclResource.TOPIC, r.resourceName) ? undefined : { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
  }
  if (r.resourceType !== ResourceType.BROKER) return undefined;
  if (!authorizeCluster(ctx, AclOperation.ALTER_CONFIGS)) return { ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
  const bad = await checkOwnTlsChange(ctx.broker, r.resourceName, changes());
  return bad ? { ...base, ...bad } : undefined;
}
