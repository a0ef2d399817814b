/**
 * Config definitions in Kafka's style (ConfigDef): each key has Kafka's name, type, default,
 * documentation and validation, and parses from and formats to Kafka's string form, so that
 * server.properties, CreateTopics configs, DescribeConfigs and AlterConfigs all agree.
 */
import { SamsaError } from '../protocol/samsa-error.js';

/** Kafka's config types, as DescribeConfigs v3+ reports them (ConfigType ids in brackets). */
export const ConfigTypeId = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const;
export type ConfigType = keyof typeof ConfigTypeId;

export type ConfigValue = boolean | number | string | string[];

export class ConfigError extends SamsaError {
  constructor(readonly configName: string, message: string) {
    super('SAMSA_CONFIG', message);
  }
}

export interface ConfigKey {
  readonly name: string;
  readonly type: ConfigType;
  /** The default, parsed; null when the key has none. */
  readonly default: ConfigValue | null;
  readonly doc: string;
  /** Allowed values for STRING and LIST keys. */
  readonly validValues?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly sensitive?: boolean;
  /** A check of the parsed value beyond type, range and valid values: why it is invalid, or undefined. */
  readonly check?: (v: ConfigValue) => string | undefined;
}

/** Kafka's Long.MAX_VALUE, the "never" of many configs; parsed as Number.MAX_SAFE_INTEGER. */
const LONG_MAX = '9223372036854775807';

/** Parses a config value from Kafka's string form, validating it. */
export function parseConfigValue(key: ConfigKey, text: string): ConfigValue {
  const fail = (why: string): never => {
    throw new ConfigError(key.name, `Invalid value ${text} for configuration ${key.name}: ${why}`);
  };
  const t = text.trim();
  let v: ConfigValue;
  switch (key.type) {
    case 'BOOLEAN':
      if (!/^(true|false)$/i.test(t)) fail('Expected value to be either true or false');
      v = t.toLowerCase() === 'true';
      break;
    case 'INT':
    case 'SHORT':
    case 'LONG': {
      if (!/^-?\d+$/.test(t)) fail('Not a number of type ' + key.type);
      const big = BigInt(t);
      const limit = key.type === 'INT' ? 2n ** 31n : key.type === 'SHORT' ? 2n ** 15n : 2n ** 63n;
      if (big < -limit || big >= limit) fail('Not a number of type ' + key.type);
      v = t === LONG_MAX || big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
      break;
    }
    case 'DOUBLE':
      if (t === '' || !Number.isFinite(Number(t))) fail('Not a number of type DOUBLE');
      v = Number(t);
      break;
    case 'LIST':
      v = t === '' ? [] : t.split(',').map((s) => s.trim());
      for (const item of v) if (key.validValues && !key.validValues.includes(item)) fail(`String must be one of: ${key.validValues.join(', ')}`);
      break;
    default:
      v = text;
      if (key.validValues && !key.validValues.includes(t)) fail(`String must be one of: ${key.validValues.join(', ')}`);
  }
  if (typeof v === 'number') {
    if (key.min !== undefined && v < key.min) fail(`Value must be at least ${key.min}`);
    if (key.max !== undefined && v > key.max) fail(`Value must be no more than ${key.max}`);
  }
  const why = key.check?.(v);
  if (why !== undefined) fail(why);
  return v;
}

/** Formats a value in Kafka's string form (what DescribeConfigs shows). */
export function formatConfigValue(key: ConfigKey, v: ConfigValue | null): string | null {
  if (v === null) return null;
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'number' && v === Number.MAX_SAFE_INTEGER && key.type === 'LONG') return LONG_MAX;
  return String(v);
}

/** Builders for the common key shapes. */
export const key = {
  bool: (name: string, def: boolean, doc: string): ConfigKey => ({ name, type: 'BOOLEAN', default: def, doc }),
  int: (name: string, def: number | null, doc: string, min?: number, max?: number): ConfigKey => ({ name, type: 'INT', default: def, doc, ...range(min, max) }),
  short: (name: string, def: number, doc: string, min?: number): ConfigKey => ({ name, type: 'SHORT', default: def, doc, ...range(min, undefined) }),
  long: (name: string, def: number | null, doc: string, min?: number): ConfigKey => ({ name, type: 'LONG', default: def, doc, ...range(min, undefined) }),
  double: (name: string, def: number, doc: string, min?: number, max?: number): ConfigKey => ({ name, type: 'DOUBLE', default: def, doc, ...range(min, max) }),
  string: (name: string, def: string | null, doc: string, validValues?: readonly string[]): ConfigKey => ({ name, type: 'STRING', default: def, doc, ...(validValues ? { validValues } : {}) }),
  list: (name: string, def: string[], doc: string, validValues?: readonly string[]): ConfigKey => ({ name, type: 'LIST', default: def, doc, ...(validValues ? { validValues } : {}) }),
};

function range(min: number | undefined, max: number | undefined): { min?: number; max?: number } {
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

/** Parses a Java-style properties file: `key=value` or `key: value`, `#`/`!` comments, `\` continuations. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.trimStart();
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line) ?? /^((?:\\.|[^=:\s\\])+)$/.exec(line);
    if (!m) continue;
    out.set(m[1]!.replace(/\\(.)/g, '$1'), (m[2] ?? '').replace(/\\(.)/g, '$1'));
  }
  return out;
}
