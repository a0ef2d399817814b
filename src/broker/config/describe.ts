/** Every config of a topic or of the broker, with value, source and synonyms, for DescribeConfigs and CreateTopics. */
import type { BrokerConfig } from './broker-config.js';
import { type ConfigKey, ConfigTypeId, formatConfigValue } from '../../common/config-def.js';
import { type ConfigSource, TOPIC_CONFIG_KEYS, resolveTopicConfig } from './topic-configs.js';
import type { ConfigValue } from '../../common/config-def.js';
import { isDynamicBrokerConfig } from './dynamic-broker-configs.js';

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: ConfigSource;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: ConfigSource }[];
  configType: number;
  documentation: string;
}

export function describeTopicConfigs(overrides: ReadonlyMap<string, ConfigValue>, broker: BrokerConfig): DescribedConfig[] {
  return TOPIC_CONFIG_KEYS.map((k) => {
    const r = resolveTopicConfig(k, overrides, broker.topicDefaults);
    return describe(k, formatConfigValue(k, r.value), r.source, false, r.synonyms);
  });
}

export function describeBrokerConfigs(broker: BrokerConfig): DescribedConfig[] {
  return broker.describe().map(({ key, value, source, synonyms }) => describe(key, value, source, !isDynamicBrokerConfig(key.name), synonyms));
}

function describe(k: ConfigKey, value: string | null, source: ConfigSource, readOnly: boolean, synonyms: DescribedConfig['synonyms']): DescribedConfig {
  const sensitive = k.sensitive === true;
  return {
    name: k.name,
    value: sensitive ? null : value,
    readOnly,
    source,
    isSensitive: sensitive,
    synonyms: sensitive ? synonyms.map((s) => ({ ...s, value: null })) : synonyms,
    configType: ConfigTypeId[k.type],
    documentation: k.doc,
  };
}
