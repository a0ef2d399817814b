/**
 * The generator's model of every message it generated codecs for, written beside the codecs as
 * one JSON file (test/fixtures/protocol-schemas.json) so that the protocol tests can build sample
 * messages without Kafka's specs, which are not part of this repository. It is derived (field
 * names, types and version ranges as the generator understood them, no descriptions) and checked
 * for drift with the codecs by `npm run codegen -- --check`.
 */
import { type FieldSpec, type FieldType, type MessageSpec, type StructSpec, Versions } from './spec.js';

export const SCHEMA_FILE = 'test/fixtures/protocol-schemas.json';

interface FieldJson {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  ignorable?: true;
  default?: string;
  flexibleVersions?: string;
}

interface MessageJson {
  name: string;
  kind: MessageSpec['kind'];
  apiKey?: number;
  listeners: string[];
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: true;
  fields: FieldJson[];
  structs: { name: string; versions: string; fields: FieldJson[] }[];
}

function typeText(t: FieldType): string {
  return t.kind === 'array' ? `[]${t.element.name}` : t.name;
}

function fieldJson(f: FieldSpec): FieldJson {
  const out: FieldJson = { name: f.name, type: typeText(f.type), versions: String(f.versions) };
  if (!f.nullableVersions.empty) out.nullableVersions = String(f.nullableVersions);
  if (!f.taggedVersions.empty) out.taggedVersions = String(f.taggedVersions);
  if (f.tag !== undefined) out.tag = f.tag;
  if (f.ignorable) out.ignorable = true;
  if (f.default !== undefined) out.default = f.default;
  if (f.flexibleVersions !== undefined) out.flexibleVersions = String(f.flexibleVersions);
  return out;
}

/** The schema file's text for `messages`, in the order given. */
export function schemaFileText(messages: readonly MessageSpec[]): string {
  const json: MessageJson[] = messages.map((m) => ({
    name: m.name,
    kind: m.kind,
    ...(m.apiKey !== undefined ? { apiKey: m.apiKey } : {}),
    listeners: m.listeners,
    validVersions: String(m.validVersions),
    flexibleVersions: String(m.flexibleVersions),
    ...(m.latestVersionUnstable ? { latestVersionUnstable: true as const } : {}),
    fields: m.fields.map(fieldJson),
    structs: [...m.structs.values()].map((s) => ({ name: s.name, versions: String(s.versions), fields: s.fields.map(fieldJson) })),
  }));
  return `${JSON.stringify(json, null, 1)}\n`;
}

function parseFieldType(text: string, structs: ReadonlyMap<string, StructSpec>): FieldType {
  const isArray = text.startsWith('[]');
  const base = isArray ? text.slice(2) : text;
  const element = structs.has(base) ? { kind: 'struct' as const, name: base } : { kind: 'primitive' as const, name: base as Extract<FieldType, { kind: 'primitive' }>['name'] };
  return isArray ? { kind: 'array', element } : element;
}

function parseField(f: FieldJson, structs: ReadonlyMap<string, StructSpec>): FieldSpec {
  return {
    name: f.name,
    type: parseFieldType(f.type, structs),
    versions: Versions.parse(f.versions),
    nullableVersions: Versions.parse(f.nullableVersions),
    taggedVersions: Versions.parse(f.taggedVersions),
    tag: f.tag,
    ignorable: f.ignorable === true,
    default: f.default,
    flexibleVersions: f.flexibleVersions === undefined ? undefined : Versions.parse(f.flexibleVersions),
    about: undefined,
  };
}

/** Reads a schema file back into the generator's model. */
export function parseSchemaFile(text: string): MessageSpec[] {
  return (JSON.parse(text) as MessageJson[]).map((m) => {
    const structs = new Map<string, StructSpec>(m.structs.map((s) => [s.name, { name: s.name, versions: Versions.parse(s.versions), fields: [] }]));
    for (const s of m.structs) structs.get(s.name)!.fields = s.fields.map((f) => parseField(f, structs));
    const validVersions = Versions.parse(m.validVersions);
    const unstable = m.latestVersionUnstable === true;
    return {
      file: `${m.name}.json`,
      name: m.name,
      kind: m.kind,
      apiKey: m.apiKey,
      listeners: m.listeners,
      validVersions,
      flexibleVersions: Versions.parse(m.flexibleVersions),
      latestVersionUnstable: unstable,
      versions: unstable ? new Versions(validVersions.lo, validVersions.hi - 1) : validVersions,
      fields: m.fields.map((f) => parseField(f, structs)),
      structs,
    };
  });
}
