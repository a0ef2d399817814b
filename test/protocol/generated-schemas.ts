/**
 * The message schemas the generator wrote beside the codecs (codegen/schema-file.ts), so the
 * protocol tests need nothing outside the repository. The list of APIs and their version ranges
 * come from the generated registry (API_DESCRIPTORS); the schemas give each message's fields.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA_FILE, parseSchemaFile } from '../../codegen/schema-file.js';
import type { MessageSpec } from '../../codegen/spec.js';
import { repoRoot } from '../helpers/repo-root.js';

export const GENERATED_SCHEMAS: readonly MessageSpec[] = parseSchemaFile(readFileSync(join(repoRoot(), SCHEMA_FILE), 'utf8'));

const BY_NAME = new Map(GENERATED_SCHEMAS.map((m) => [m.name, m]));

/** The schema of a generated message, by its name (`ProduceRequest`, `RequestHeader`). */
export function schemaOf(name: string): MessageSpec {
  const m = BY_NAME.get(name);
  if (!m) throw new Error(`no generated schema for ${name}`);
  return m;
}
