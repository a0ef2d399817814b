/**
 * Config overrides as the controller changes them (Kafka's ConfigurationControlManager):
 * AlterConfigs replaces a topic's overrides, IncrementalAlterConfigs changes them one by one (SET,
 * DELETE, APPEND, SUBTRACT); each result is validated (INVALID_CONFIG) and written as ConfigRecords
 * (a null value removes an override). Broker resources (a broker id, or "" for the cluster-wide
 * default) work the same way on BROKER ConfigRecords, which every broker applies from its image:
 * the config definitions (ControllerConfig.validateBrokerConfigs) refuse configs that cannot
 * change at run time with Kafka's message (INVALID_REQUEST) and accept unknown names.
 */
import { topicNameError } from '../common/topic-name.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { MetadataRecordType } from '../protocol/metadata/index.js';
import type { ControllerConfig } from './controller-config.js';
import type { ControllerWriter } from './controller-writer.js';
import { ConfigResourceType } from './image/image-types.js';
import type { MetadataImage } from './image/metadata-image.js';

export interface ConfigResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface ConfigResource {
  readonly resourceType: number;
  readonly resourceName: string;
}

/** IncrementalAlterConfigs operation ids. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface IncrementalAlteration {
  readonly name: string;
  readonly configOperation: number;
  readonly value: string | null;
}

const ok: ConfigResult = { errorCode: ErrorCode.NONE, errorMessage: null };
const fail = (errorCode: number, errorMessage: string): ConfigResult => ({ errorCode, errorMessage });

export const DYNAMIC_BROKER_CONFIGS_UNSUPPORTED = 'Samsa does not support altering broker configs at run time here; set them in the config file or flags and restart';

/** Why a resource cannot be altered here, or undefined for a topic that exists or a broker resource. */
function resourceError(image: MetadataImage, config: ControllerConfig, r: ConfigResource): ConfigResult | undefined {
  if (r.resourceType === ConfigResourceType.TOPIC) {
    const bad = topicNameError(r.resourceName);
    if (bad) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
    if (!image.topic(r.resourceName)) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${r.resourceName} does not exist`);
    return undefined;
  }
  if (r.resourceType === ConfigResourceType.BROKER) {
    // A registered broker or a controller (a controller-only node is no registered broker, but has run-time configs too). Kafka's controller takes any base-10 number.
    const id = /^\d+$/.test(r.resourceName) ? Number(r.resourceName) : undefined;
    const known = r.resourceName === '' || (id !== undefined && (image.broker(id) !== undefined || (config.controllerIds ?? []).includes(id)));
    if (!known) return fail(ErrorCode.INVALID_REQUEST, `Unexpected broker id ${r.resourceName}: no such broker or controller`);
    return config.validateBrokerConfigs ? undefined : fail(ErrorCode.INVALID_REQUEST, DYNAMIC_BROKER_CONFIGS_UNSUPPORTED);
  }
  return fail(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}`);
}

/** AlterConfigs: each resource's overrides become exactly the given set. */
export function alterConfigs(w: ControllerWriter, config: ControllerConfig, resources: readonly (ConfigResource & { configs: readonly { name: string; value: string | null }[] })[], validateOnly: boolean): ConfigResult[] {
  return resources.map((r) => {
    const e = resourceError(w.image, config, r);
    if (e) return e;
    const nulls = r.configs.filter((c) => c.value === null).map((c) => c.name);
    if (nulls.length > 0) return fail(ErrorCode.INVALID_REQUEST, `Null value not supported for: ${nulls.join(', ')}`);
    const next = Object.fromEntries(r.configs.map((c) => [c.name, c.value!]));
    return replaceOverrides(w, config, r, next, validateOnly);
  });
}

/** IncrementalAlterConfigs: each resource's overrides changed one operation at a time. */
export function incrementalAlterConfigs(w: ControllerWriter, config: ControllerConfig, resources: readonly (ConfigResource & { configs: readonly IncrementalAlteration[] })[], validateOnly: boolean): ConfigResult[] {
  return resources.map((r) => {
    const e = resourceError(w.image, config, r);
    if (e) return e;
    const next = applyOperations(config, r.resourceType, w.image.configs(r.resourceType, r.resourceName), r.configs);
    if ('error' in next) return next.error;
    return replaceOverrides(w, config, r, next.ok, validateOnly);
  });
}

/**
 * Validates the resource's new overrides and writes the difference from the current ones. A
 * broker's are checked as Kafka checks dynamic broker configs: a failure is INVALID_REQUEST.
 */
function replaceOverrides(w: ControllerWriter, config: ControllerConfig, r: ConfigResource, next: Record<string, string>, validateOnly: boolean): ConfigResult {
  if (r.resourceType === ConfigResourceType.BROKER) {
    const invalid = config.validateBrokerConfigs!(Object.entries(next), r.resourceName !== '');
    if (invalid) return fail(ErrorCode.INVALID_REQUEST, invalid);
  } else {
    const invalid = config.validateTopicConfigs(Object.entries(next));
    if (invalid) return fail(ErrorCode.INVALID_CONFIG, invalid);
  }
  if (validateOnly) return ok;
  const current = w.image.configs(r.resourceType, r.resourceName);
  const emit = (name: string, value: string | null) =>
    w.emit({ apiKey: MetadataRecordType.ConfigRecord, data: { resourceType: r.resourceType, resourceName: r.resourceName, name, value } });
  for (const [name, value] of Object.entries(next)) if (current[name] !== value) emit(name, value);
  for (const name of Object.keys(current)) if (!(name in next)) emit(name, null);
  return ok;
}

/** Applies the operations to a copy of the overrides. */
function applyOperations(config: ControllerConfig, resourceType: number, current: Record<string, string>, ops: readonly IncrementalAlteration[]): { ok: Record<string, string> } | { error: ConfigResult } {
  const broker = resourceType === ConfigResourceType.BROKER;
  const next = { ...current };
  const seen = new Set<string>();
  const fail = (errorCode: number, errorMessage: string) => ({ error: { errorCode, errorMessage } });
  for (const op of ops) {
    if (seen.has(op.name)) return fail(ErrorCode.INVALID_REQUEST, `Config ${op.name} appears more than once`);
    seen.add(op.name);
    // A broker resource takes names Samsa does not know (stored, as Kafka 4 does); a topic does not.
    const key = broker ? config.brokerConfigKey?.(op.name) : config.topicConfigKey(op.name);
    if (!key && !broker) return fail(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${op.name}`);
    if (op.configOperation === AlterConfigOp.DELETE) {
      delete next[op.name];
      continue;
    }
    if (op.value === null) return fail(ErrorCode.INVALID_REQUEST, `Null value for config ${op.name}`);
    if (op.configOperation === AlterConfigOp.SET) {
      next[op.name] = op.value;
      continue;
    }
    if (op.configOperation !== AlterConfigOp.APPEND && op.configOperation !== AlterConfigOp.SUBTRACT) return fail(ErrorCode.INVALID_REQUEST, `Unknown config operation ${op.configOperation}`);
    if (key?.type !== 'LIST') return fail(ErrorCode.INVALID_CONFIG, `Config ${op.name} is not a list: APPEND and SUBTRACT apply to lists only`);
    const now = (next[op.name] ?? ((key.default as string[] | null) ?? []).join(',')).split(',').filter((s) => s !== '');
    const items = op.value.split(',').map((s) => s.trim());
    const result = op.configOperation === AlterConfigOp.APPEND ? [...now, ...items.filter((i) => !now.includes(i))] : now.filter((i) => !items.includes(i));
    next[op.name] = result.join(',');
  }
  return { ok: next };
}
