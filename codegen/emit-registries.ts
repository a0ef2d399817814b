/**
 * Emits the index modules of the record codecs: src/protocol/metadata/index.ts (Kafka's
 * MetadataRecordType: every record type of `__cluster_metadata` by API key, with a typed union of
 * decoded records) and src/protocol/coordinator/index.ts (Kafka's CoordinatorRecordType: key
 * specs by the record types they cover, each paired with its value spec).
 */
import { type MessageSpec, kebabCase } from './spec.js';

export function recordFileName(m: MessageSpec): string {
  return `${kebabCase(m.name)}.ts`;
}

function jsImport(file: string): string {
  return `./${file.replace(/\.ts$/, '.js')}`;
}

function codecFields(m: MessageSpec): string[] {
  return [`name: '${m.name}'`, `minVersion: ${m.versions.lo}`, `maxVersion: ${m.versions.hi}`, `decode: decode${m.name}`, `encode: encode${m.name}`];
}

/** The metadata records (type "metadata", with an apiKey) and the other data specs of the directory. */
export function emitMetadataIndex(header: string, specs: MessageSpec[]): string {
  const records = specs.filter((m) => m.kind === 'metadata').sort((a, b) => a.apiKey! - b.apiKey!);
  const lines = [header.trimEnd(), "import type { MetadataRecordDescriptor, AnyMetadataRecordDescriptor } from '../record-descriptor.js';"];
  for (const m of records) {
    lines.push(`import { type ${m.name}, type ${m.name}Input, decode${m.name}, encode${m.name} } from '${jsImport(recordFileName(m))}';`);
  }
  lines.push('');
  for (const m of specs) lines.push(`export * from '${jsImport(recordFileName(m))}';`);
  lines.push('', '/** Metadata record types (the API keys of the record specs) by name. */', 'export const MetadataRecordType = {');
  for (const m of records) lines.push(`  ${m.name}: ${m.apiKey},`);
  lines.push('} as const;', '');
  lines.push('/** A decoded metadata record, told apart by its type. */', 'export type MetadataRecord =');
  for (const m of records) lines.push(`  | { readonly apiKey: ${m.apiKey}; readonly version: number; readonly data: ${m.name} }`);
  lines.push(';', '', '/** A metadata record to write; `version` defaults to the highest Samsa has a codec for. */', 'export type MetadataRecordInput =');
  for (const m of records) lines.push(`  | { readonly apiKey: ${m.apiKey}; readonly version?: number; readonly data: ${m.name}Input }`);
  lines.push(';', '');
  for (const m of records) {
    lines.push(`export const ${m.name}Type: MetadataRecordDescriptor<${m.name}, ${m.name}Input> = {`);
    lines.push(`  apiKey: ${m.apiKey},`, ...codecFields(m).map((f) => `  ${f},`), '};', '');
  }
  lines.push('/** Every metadata record type Samsa has codecs for, in API key order. */');
  lines.push('export const METADATA_RECORD_TYPES: readonly AnyMetadataRecordDescriptor[] = [');
  for (const m of records) lines.push(`  ${m.name}Type,`);
  lines.push('];', '');
  lines.push('const BY_KEY = new Map<number, AnyMetadataRecordDescriptor>(METADATA_RECORD_TYPES.map((t) => [t.apiKey, t]));', '');
  lines.push('export function metadataRecordType(apiKey: number): AnyMetadataRecordDescriptor | undefined {', '  return BY_KEY.get(apiKey);', '}', '');
  return lines.join('\n');
}

/**
 * The internal topic each coordinator record is written to. Kafka keeps the specs of the three
 * topics in different modules; their record types overlap (TransactionLogKey and ShareSnapshotKey
 * are both type 0), so a record type means something only together with its topic.
 */
const COORDINATOR_TOPICS: Record<string, string> = {
  TransactionLog: '__transaction_state',
  ShareSnapshot: '__share_group_state',
  ShareUpdate: '__share_group_state',
};
const DEFAULT_COORDINATOR_TOPIC = '__consumer_offsets';

/** Pairs each `XKey` spec with its `XValue` spec. */
export function coordinatorPairs(specs: MessageSpec[]): { name: string; key: MessageSpec; value: MessageSpec }[] {
  const byName = new Map(specs.map((m) => [m.name, m]));
  const pairs: { name: string; key: MessageSpec; value: MessageSpec }[] = [];
  for (const key of specs.filter((m) => m.name.endsWith('Key'))) {
    const name = key.name.slice(0, -'Key'.length);
    const value = byName.get(`${name}Value`);
    if (!value) throw new Error(`coordinator key ${key.name} has no value spec`);
    pairs.push({ name, key, value });
  }
  const topic = (p: { name: string }) => COORDINATOR_TOPICS[p.name] ?? DEFAULT_COORDINATOR_TOPIC;
  return pairs.sort((a, b) => topic(a).localeCompare(topic(b)) || a.key.versions.lo - b.key.versions.lo);
}

export function emitCoordinatorIndex(header: string, specs: MessageSpec[]): string {
  const pairs = coordinatorPairs(specs);
  const lines = [header.trimEnd(), "import type { AnyCoordinatorRecordDescriptor, CoordinatorRecordDescriptor } from '../record-descriptor.js';"];
  for (const m of specs) {
    lines.push(`import { type ${m.name}, type ${m.name}Input, decode${m.name}, encode${m.name} } from '${jsImport(recordFileName(m))}';`);
  }
  lines.push('');
  for (const m of specs) lines.push(`export * from '${jsImport(recordFileName(m))}';`);
  lines.push('');
  for (const { name, key, value } of pairs) {
    lines.push(`export const ${name}RecordType: CoordinatorRecordDescriptor<${key.name}, ${key.name}Input, ${value.name}, ${value.name}Input> = {`);
    lines.push(`  name: '${name}',`, `  topic: '${COORDINATOR_TOPICS[name] ?? DEFAULT_COORDINATOR_TOPIC}',`, `  minType: ${key.versions.lo},`, `  maxType: ${key.versions.hi},`);
    lines.push(`  key: { ${codecFields(key).join(', ')} },`);
    lines.push(`  value: { ${codecFields(value).join(', ')} },`);
    lines.push('};', '');
  }
  lines.push('/** Every coordinator record type, by topic and then the record types (key versions) they cover. */');
  lines.push('export const COORDINATOR_RECORD_TYPES: readonly AnyCoordinatorRecordDescriptor[] = [');
  for (const { name } of pairs) lines.push(`  ${name}RecordType,`);
  lines.push('];', '');
  lines.push('/** The descriptor of `topic` whose key spec covers record type `type` (the int16 that starts a key). */');
  lines.push('export function coordinatorRecordType(topic: string, type: number): AnyCoordinatorRecordDescriptor | undefined {');
  lines.push('  return COORDINATOR_RECORD_TYPES.find((t) => t.topic === topic && type >= t.minType && type <= t.maxType);', '}', '');
  return lines.join('\n');
}
