/**
 * Reads Kafka's JSON message specs (with `//` comments) into a typed model the emitters and the
 * protocol tests share. Nothing here writes files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An inclusive version range; `hi` is Infinity for an open range ("3+"), and lo > hi is empty. */
export class Versions {
  constructor(
    readonly lo: number,
    readonly hi: number,
  ) {}

  static readonly NONE = new Versions(1, 0);
  static readonly ALL = new Versions(0, Infinity);

  static parse(text: string | undefined): Versions {
    if (text === undefined || text === 'none') return Versions.NONE;
    let m = /^(\d+)\+$/.exec(text);
    if (m) return new Versions(Number(m[1]), Infinity);
    m = /^(\d+)-(\d+)$/.exec(text);
    if (m) return new Versions(Number(m[1]), Number(m[2]));
    m = /^(\d+)$/.exec(text);
    if (m) return new Versions(Number(m[1]), Number(m[1]));
    throw new Error(`bad version range ${JSON.stringify(text)}`);
  }

  get empty(): boolean {
    return this.lo > this.hi;
  }

  contains(v: number): boolean {
    return v >= this.lo && v <= this.hi;
  }

  intersect(o: Versions): Versions {
    const r = new Versions(Math.max(this.lo, o.lo), Math.min(this.hi, o.hi));
    return r.empty ? Versions.NONE : r;
  }

  covers(o: Versions): boolean {
    return o.empty || (this.lo <= o.lo && this.hi >= o.hi);
  }

  toString(): string {
    if (this.empty) return 'none';
    if (this.hi === Infinity) return `${this.lo}+`;
    return this.lo === this.hi ? `${this.lo}` : `${this.lo}-${this.hi}`;
  }
}

export type PrimitiveName = 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'string' | 'bytes' | 'records' | 'uuid';
const PRIMITIVES = new Set<string>(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

export type FieldType =
  | { kind: 'primitive'; name: PrimitiveName }
  | { kind: 'struct'; name: string }
  | { kind: 'array'; element: { kind: 'primitive'; name: PrimitiveName } | { kind: 'struct'; name: string } };

export interface FieldSpec {
  name: string;
  type: FieldType;
  versions: Versions;
  nullableVersions: Versions;
  taggedVersions: Versions;
  tag: number | undefined;
  ignorable: boolean;
  /** The spec's "default" text, if it gives one. */
  default: string | undefined;
  /** A per-field override of the message's flexible versions ("none" for RequestHeader.ClientId). */
  flexibleVersions: Versions | undefined;
  about: string | undefined;
}

export interface StructSpec {
  name: string;
  versions: Versions;
  fields: FieldSpec[];
}

export interface MessageSpec {
  file: string;
  name: string;
  kind: 'request' | 'response' | 'header' | 'data' | 'metadata';
  apiKey: number | undefined;
  listeners: string[];
  validVersions: Versions;
  flexibleVersions: Versions;
  latestVersionUnstable: boolean;
  /** The versions Samsa generates codecs for: validVersions without an unstable latest one. */
  versions: Versions;
  fields: FieldSpec[];
  /** Every struct of the message, inline or common, by name. */
  structs: Map<string, StructSpec>;
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  ignorable?: boolean;
  default?: string | number | boolean;
  flexibleVersions?: string;
  about?: string;
  fields?: RawField[];
}

interface RawMessage {
  apiKey?: number;
  type: MessageSpec['kind'];
  name: string;
  listeners?: string[];
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  fields: RawField[];
  commonStructs?: { name: string; versions: string; fields: RawField[] }[];
}

/** Strips `//` line comments (the specs never put `//` inside strings except in URLs after text). */
export function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => (/^\s*\/\//.test(line) ? '' : line))
    .join('\n');
}

function parseType(text: string): FieldType {
  const isArray = text.startsWith('[]');
  const base = isArray ? text.slice(2) : text;
  const element = PRIMITIVES.has(base)
    ? { kind: 'primitive' as const, name: base as PrimitiveName }
    : { kind: 'struct' as const, name: base };
  if (!isArray) return element;
  return { kind: 'array', element };
}

function parseField(raw: RawField, structs: Map<string, StructSpec>): FieldSpec {
  const type = parseType(raw.type);
  const versions = Versions.parse(raw.versions);
  const structName = type.kind === 'struct' ? type.name : type.kind === 'array' && type.element.kind === 'struct' ? type.element.name : undefined;
  if (raw.fields) {
    if (!structName) throw new Error(`field ${raw.name} has nested fields but type ${raw.type}`);
    if (structs.has(structName)) throw new Error(`struct ${structName} defined twice`);
    const struct: StructSpec = { name: structName, versions, fields: [] };
    structs.set(structName, struct);
    struct.fields = raw.fields.map((f) => parseField(f, structs));
  }
  return {
    name: raw.name,
    type,
    versions,
    nullableVersions: Versions.parse(raw.nullableVersions),
    taggedVersions: Versions.parse(raw.taggedVersions),
    tag: raw.tag,
    ignorable: raw.ignorable === true,
    default: raw.default === undefined ? undefined : String(raw.default),
    flexibleVersions: raw.flexibleVersions === undefined ? undefined : Versions.parse(raw.flexibleVersions),
    about: raw.about,
  };
}

export function parseMessage(file: string, text: string): MessageSpec {
  const raw = JSON.parse(stripComments(text)) as RawMessage;
  const structs = new Map<string, StructSpec>();
  for (const cs of raw.commonStructs ?? []) {
    structs.set(cs.name, { name: cs.name, versions: Versions.parse(cs.versions), fields: [] });
  }
  for (const cs of raw.commonStructs ?? []) {
    structs.get(cs.name)!.fields = cs.fields.map((f) => parseField(f, structs));
  }
  const fields = raw.fields.map((f) => parseField(f, structs));
  const validVersions = Versions.parse(raw.validVersions);
  const unstable = raw.latestVersionUnstable === true;
  const versions = unstable ? new Versions(validVersions.lo, validVersions.hi - 1) : validVersions;
  const msg: MessageSpec = {
    file,
    name: raw.name,
    kind: raw.type,
    apiKey: raw.apiKey,
    listeners: raw.listeners ?? [],
    validVersions,
    flexibleVersions: Versions.parse(raw.flexibleVersions),
    latestVersionUnstable: unstable,
    versions,
    fields,
    structs,
  };
  checkStructReferences(msg, fields);
  return msg;
}

function checkStructReferences(msg: MessageSpec, fields: FieldSpec[]): void {
  for (const f of fields) {
    const t = f.type.kind === 'array' ? f.type.element : f.type;
    if (t.kind !== 'struct') continue;
    const s = msg.structs.get(t.name);
    if (!s) throw new Error(`${msg.name}: field ${f.name} references unknown struct ${t.name}`);
    checkStructReferences(msg, s.fields);
  }
}

export function loadMessages(dir: string): MessageSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseMessage(f, readFileSync(join(dir, f), 'utf8')));
}

export interface ApiSpec {
  apiKey: number;
  request: MessageSpec;
  response: MessageSpec;
}

/** The APIs a broker or controller serves (request and response), by API key. */
export function brokerApis(messages: MessageSpec[]): ApiSpec[] {
  const byKey = new Map<number, { request?: MessageSpec; response?: MessageSpec }>();
  for (const m of messages) {
    if (m.apiKey === undefined || (m.kind !== 'request' && m.kind !== 'response')) continue;
    const entry = byKey.get(m.apiKey) ?? {};
    entry[m.kind] = m;
    byKey.set(m.apiKey, entry);
  }
  const apis: ApiSpec[] = [];
  for (const [apiKey, { request, response }] of [...byKey].sort((a, b) => a[0] - b[0])) {
    if (!request || !response) throw new Error(`api ${apiKey} lacks a request or a response spec`);
    if (!request.listeners.some((l) => l === 'broker' || l === 'controller')) continue;
    apis.push({ apiKey, request, response });
  }
  return apis;
}

/** The name of a field or API in camelCase: `ThrottleTimeMs` → `throttleTimeMs`, `ACLs` → `acls`. */
export function camelCase(name: string): string {
  const m = /^[A-Z]+(?=[A-Z][a-z]|$|[0-9])/.exec(name);
  if (m && m[0].length > 1) return m[0].toLowerCase() + name.slice(m[0].length);
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** `DescribeTopicPartitions` → `describe-topic-partitions`. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** The struct name used in generated code: prefixed with the message's name so it is unique. */
export function structTypeName(msg: MessageSpec, struct: string): string {
  return struct === msg.name ? struct : `${msg.name}${struct}`;
}

/** Whether a field is written in the compact encoding in version `v`. */
export function isCompact(msg: MessageSpec, field: FieldSpec, v: number): boolean {
  return (field.flexibleVersions ?? msg.flexibleVersions).contains(v);
}
