/**
 * The values an AlterConfigs or IncrementalAlterConfigs resource gives a broker (null: removed), as
 * the broker and the controller both need them to check new keystores and truststores before the
 * change is stored (config/alter-configs-locally.ts, controller-apis/own-tls-change.ts).
 */
import { AlterConfigOp } from '../../controller/config-control.js';

export type ConfigChange = { name: string; value: string | null };

/** AlterConfigs replaces the whole set: the configs given, and those `current` has that it does not name, removed. */
export function replacingChanges(configs: readonly { name: string; value: string | null }[], current: Readonly<Record<string, unknown>>): ConfigChange[] {
  const given = new Set(configs.map((c) => c.name));
  const removed = Object.keys(current)
    .filter((n) => !given.has(n))
    .map((name) => ({ name, value: null }));
  return [...configs.map((c) => ({ name: c.name, value: c.value })), ...removed];
}

/** IncrementalAlterConfigs: what SET and DELETE name (APPEND and SUBTRACT change list configs, none of them TLS files). */
export function incrementalChanges(configs: readonly { name: string; value: string | null; configOperation: number }[]): ConfigChange[] {
  return configs.filter((c) => c.configOperation === AlterConfigOp.SET || c.configOperation === AlterConfigOp.DELETE).map((c) => ({ name: c.name, value: c.configOperation === AlterConfigOp.DELETE ? null : c.value }));
}
