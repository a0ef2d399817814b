/** Config resources as DescribeConfigs, AlterConfigs and IncrementalAlterConfigs name them. */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import { topicNameError } from '../../common/topic-name.js';
import { isDynamicSslConfig } from '../security/listener-tls-set.js';

/** ConfigResource.Type ids. */
export const ResourceType = { UNKNOWN: 0, TOPIC: 2, GROUP: 32, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16 } as const;

export interface ResourceError {
  errorCode: number;
  errorMessage: string;
}

/** Why a topic resource cannot be used, or undefined when the topic exists. */
export function topicResourceError(b: BrokerContext, name: string): ResourceError | undefined {
  const bad = topicNameError(name);
  if (bad) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: bad };
  if (!b.metadata.topic(name)) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${name} does not exist` };
  return undefined;
}

/** A broker resource is this node's id, or "" for the cluster-wide defaults. */
export function brokerResourceError(b: BrokerContext, name: string): ResourceError | undefined {
  if (name === '' || name === String(b.nodeId)) return undefined;
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id ${name}: this is broker ${b.nodeId}` };
}

/**
 * Checks run-time keystore and truststore values meant for this broker before they are forwarded
 * to the controller (Kafka validates a broker's own dynamic SSL configs where it receives them):
 * the listeners must load the new certificates. Other brokers' and the cluster default's values
 * go as they are; each broker applies what the metadata log then says (dynamic-broker-configs.ts).
 */
export async function checkOwnTlsChange(b: BrokerContext, resourceName: string, changes: readonly { name: string; value: string | null }[]): Promise<ResourceError | undefined> {
  if (resourceName !== String(b.nodeId)) return undefined;
  return b.security.validateTlsChange(changes.filter((c) => isDynamicSslConfig(c.name)));
}
