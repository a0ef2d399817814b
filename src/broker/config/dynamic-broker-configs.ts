/**
 * Broker configs that change at run time (Kafka's DynamicBrokerConfig), set by AlterConfigs or
 * IncrementalAlterConfigs on a BROKER resource — a broker id, or "" for the cluster-wide default —
 * and kept in the metadata log as ConfigRecords of resource type BROKER, which every broker applies
 * from its image (BrokerConfig.applyDynamic). Samsa takes these at run time:
 *
 * - the broker defaults of topic configs (every synonym: `log.retention.ms`, `log.segment.bytes`,
 *   `log.cleanup.policy`, `message.max.bytes`, `min.insync.replicas`, `compression.type`, ...):
 *   topics without an override of their own follow them at once, as in Kafka's DynamicLogConfig;
 * - the listener keystore and truststore configs (per broker only, as Kafka's): the listeners
 *   reload their certificates, the controller listener's included (cluster/dynamic-config-publisher.ts);
 * - the replication quotas `leader.replication.throttled.rate` and `follower.replication.throttled.rate`
 *   (KIP-73, replication/replication-quotas.ts), read at each check;
 * - the connection quotas `max.connections`, `max.connections.per.ip`,
 *   `max.connections.per.ip.overrides` and `max.connection.creation.rate` (`max.connections` and
 *   `max.connection.creation.rate` also listener-prefixed, as Kafka's ConnectionQuotas reconfigures
 *   them per listener), on client and controller listeners: the next connection is admitted by the
 *   new values; a lowered `max.connections` leaves the connections already open.
 *
 * Any other config Samsa knows is refused with Kafka's message (INVALID_REQUEST), including some
 * Kafka alters at run time but Samsa applies only at start (SASL settings);
 * a name Samsa does not know is accepted and stored, unused, as Kafka 4 stores unknown keys.
 */
import { ConfigError, parseConfigValue } from '../../common/config-def.js';
import { parseIpOverrides } from '../security/connection-admission.js';
import { isDynamicSslConfig } from '../security/listener-tls-set.js';
import { brokerConfigKey } from './broker-config.js';
import { listenerPrefixedBase } from './security-configs.js';
import { topicSynonymKeys } from './topic-configs.js';

/** What a run-time change of the config affects. */
export type DynamicKind = 'topic-default' | 'ssl' | 'connection-quota' | 'replication-quota';

const TOPIC_DEFAULTS = new Set(topicSynonymKeys().map(({ synonym }) => synonym.name));
/** Read at each check (replication/replication-quotas.ts): nothing to apply. */
const REPLICATION_QUOTAS = new Set(['leader.replication.throttled.rate', 'follower.replication.throttled.rate']);
const CONNECTION_QUOTAS = new Set(['max.connections', 'max.connections.per.ip', 'max.connections.per.ip.overrides', 'max.connection.creation.rate']);
/** The connection quotas a listener may have its own of (`listener.name.<l>.<name>`). */
const LISTENER_CONNECTION_QUOTAS = new Set(['max.connections', 'max.connection.creation.rate']);

/** How a config Samsa alters at run time takes effect, or undefined when it does not. */
export function dynamicKind(name: string): DynamicKind | undefined {
  if (isDynamicSslConfig(name)) return 'ssl';
  if (CONNECTION_QUOTAS.has(name)) return 'connection-quota';
  if (REPLICATION_QUOTAS.has(name)) return 'replication-quota';
  const prefixed = listenerPrefixedBase(name);
  if (prefixed && prefixed.mechanism === null && LISTENER_CONNECTION_QUOTAS.has(prefixed.base)) return 'connection-quota';
  if (TOPIC_DEFAULTS.has(name)) return 'topic-default';
  return undefined;
}

export function isDynamicBrokerConfig(name: string): boolean {
  return dynamicKind(name) !== undefined;
}

/**
 * Why these values cannot be set on a broker resource (`perBroker`: a broker id; else the
 * cluster-wide default), in Kafka's words, or undefined. Unknown names pass.
 */
export function brokerConfigChangeError(configs: readonly (readonly [string, string])[], perBroker: boolean): string | undefined {
  const known = configs.filter(([name]) => brokerConfigKey(name) !== undefined);
  const nonDynamic = known.filter(([name]) => !isDynamicBrokerConfig(name)).map(([name]) => name);
  if (nonDynamic.length > 0) return `Cannot update these configs dynamically: Set(${nonDynamic.join(', ')})`;
  const brokerOnly = known.filter(([name]) => dynamicKind(name) === 'ssl').map(([name]) => name);
  if (!perBroker && brokerOnly.length > 0) return `Cannot update these configs at default cluster level, broker id must be specified: Set(${brokerOnly.join(', ')})`;
  try {
    for (const [name, value] of known) {
      parseConfigValue(brokerConfigKey(name)!, value);
      if (name === 'max.connections.per.ip.overrides') parseIpOverrides(value);
    }
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return undefined;
}
