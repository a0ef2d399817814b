/** Config resources as DescribeConfigs, AlterConfigs and IncrementalAlterConfigs name them. */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import { topicNameError } from '../../common/topic-name.js';
import { isDynamicSslConfig } from '../security/broker-security.js';

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

export const DYNAMIC_BROKER_CONFIGS_UNSUPPORTED: ResourceError = {
  errorCode: ErrorCode.INVALID_REQUEST,
  errorMessage: 'Samsa alters only listener keystore and truststore configs at run time (to reload certificates); set others in the config file or flags and restart',
};

/** The answer of AlterConfigs and IncrementalAlterConfigs for a resource that is neither a topic nor a broker. */
export function nonTopicAlterResult(b: BrokerContext, resourceType: number, resourceName: string): ResourceError {
  if (resourceType === ResourceType.BROKER) return brokerResourceError(b, resourceName) ?? DYNAMIC_BROKER_CONFIGS_UNSUPPORTED;
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resourceType}` };
}

/**
 * Alters broker configs at run time: only the listener keystore and truststore configs, whose
 * change reloads the listeners' certificates (Kafka's dynamic SSL configs; `kafka-configs --alter
 * --entity-type brokers` with the same file name reloads it). Others answer INVALID_REQUEST.
 */
export async function alterBrokerConfigs(b: BrokerContext, resourceName: string, changes: readonly { name: string; value: string | null }[], validateOnly: boolean): Promise<ResourceError> {
  const e = brokerResourceError(b, resourceName);
  if (e) return e;
  const unsupported = changes.find((c) => !isDynamicSslConfig(c.name));
  if (unsupported) return { ...DYNAMIC_BROKER_CONFIGS_UNSUPPORTED, errorMessage: `Cannot alter ${unsupported.name} at run time: ${DYNAMIC_BROKER_CONFIGS_UNSUPPORTED.errorMessage}` };
  const r = await b.security.alterBrokerConfigs(changes, validateOnly);
  return r ?? { errorCode: ErrorCode.NONE, errorMessage: '' };
}
