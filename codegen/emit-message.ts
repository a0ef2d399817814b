/**
 * Emits the TypeScript for one message spec: an output interface (every field present, as
 * decoded) and an input interface (fields with defaults optional) per struct, a default factory,
 * and a reader and a writer per struct that take the version as an argument. Conditions on the
 * version are simplified against the versions the struct can occur in.
 */
import { type FieldSpec, type FieldType, type MessageSpec, type StructSpec, Versions, camelCase, structTypeName } from './spec.js';

export class Code {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text = ''): this {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
    return this;
  }

  block(open: string, body: () => void, close = '}'): this {
    this.line(open);
    this.depth++;
    body();
    this.depth--;
    return this.line(close);
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

/** A condition on `version` that is true exactly for `v` among the versions in `ctx`. */
export function versionCondition(v: Versions, ctx: Versions): string | boolean {
  const x = v.intersect(ctx);
  if (x.empty) return false;
  if (v.covers(ctx)) return true;
  const parts: string[] = [];
  if (x.lo > ctx.lo) parts.push(`version >= ${x.lo}`);
  if (x.hi < ctx.hi) parts.push(`version <= ${x.hi}`);
  return parts.join(' && ');
}

/** Joins a condition into code: true → the expression itself, false → the fallback. */
function choose(c: string | boolean, ifTrue: string, ifFalse: string): string {
  if (c === true) return ifTrue;
  if (c === false) return ifFalse;
  return `${c} ? ${ifTrue} : ${ifFalse}`;
}

const SCALAR_TS: Record<string, string> = {
  bool: 'boolean',
  int8: 'number',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  uint32: 'number',
  int64: 'bigint',
  float64: 'number',
  string: 'string',
  uuid: 'string',
  bytes: 'Buffer',
};

const SCALAR_IO: Record<string, string> = {
  bool: 'Bool',
  int8: 'Int8',
  int16: 'Int16',
  uint16: 'UInt16',
  int32: 'Int32',
  uint32: 'UInt32',
  int64: 'Int64',
  float64: 'Float64',
  uuid: 'Uuid',
};

export class MessageEmitter {
  /** Structs whose `isDefault…` function is needed (tagged struct fields). */
  private readonly defaultChecks = new Set<string>();
  readonly flexibleEver: boolean;

  constructor(
    readonly msg: MessageSpec,
    readonly code: Code,
  ) {
    this.flexibleEver = !msg.flexibleVersions.intersect(msg.versions).empty;
  }

  typeName(struct: string, input = false): string {
    return structTypeName(this.msg, struct) + (input ? 'Input' : '');
  }

  private struct(name: string): StructSpec {
    const s = this.msg.structs.get(name);
    if (!s) throw new Error(`${this.msg.name}: unknown struct ${name}`);
    return s;
  }

  /** The versions a struct's fields are evaluated against. */
  private ctxOf(struct: StructSpec | undefined): Versions {
    return struct ? this.msg.versions.intersect(struct.versions) : this.msg.versions;
  }

  private nullableIn(f: FieldSpec, ctx: Versions): string | boolean {
    return versionCondition(f.nullableVersions, f.versions.intersect(ctx));
  }

  private compact(f: FieldSpec, ctx: Versions): string {
    const flex = versionCondition(f.flexibleVersions ?? this.msg.flexibleVersions, ctx);
    if (flex === true) return 'true';
    if (flex === false) return 'false';
    return f.flexibleVersions ? `(${flex})` : 'flexible';
  }

  tsType(f: FieldSpec, input: boolean): string {
    const nullable = !f.nullableVersions.intersect(f.versions).empty;
    let base: string;
    const t = f.type;
    if (t.kind === 'primitive' && t.name === 'records') {
      return input ? 'Buffer | readonly Buffer[] | null' : 'Buffer | null';
    }
    if (t.kind === 'primitive') base = SCALAR_TS[t.name]!;
    else if (t.kind === 'struct') base = this.typeName(t.name, input);
    else {
      const e = t.element;
      const el = e.kind === 'primitive' ? SCALAR_TS[e.name]! : this.typeName(e.name, input);
      base = input ? `readonly ${el}[]` : `${el}[]`;
    }
    return nullable ? `${base} | null` : base;
  }

  defaultValue(f: FieldSpec): string {
    const t = f.type;
    if (f.default === 'null') return 'null';
    if (t.kind === 'array') return '[]';
    if (t.kind === 'struct') return `default${this.typeName(t.name)}()`;
    switch (t.name) {
      case 'bool':
        return f.default === 'true' ? 'true' : 'false';
      case 'int64':
        return `${BigInt(f.default ?? '0')}n`;
      case 'string':
        return JSON.stringify(f.default ?? '');
      case 'uuid':
        return 'ZERO_UUID';
      case 'bytes':
        return 'EMPTY_BYTES';
      case 'records':
        return 'null';
      default: {
        const n = Number(f.default ?? '0');
        if (!Number.isFinite(n)) throw new Error(`${this.msg.name}.${f.name}: bad default ${f.default}`);
        return String(n);
      }
    }
  }

  /** An expression that is true when `e` holds the field's default value. */
  private isDefaultExpr(f: FieldSpec, e: string): string {
    const t = f.type;
    const d = this.defaultValue(f);
    if (d === 'null') return `${e} === null`;
    if (t.kind === 'array') return `${e} !== null && ${e}.length === 0`;
    if (t.kind === 'struct') {
      this.defaultChecks.add(t.name);
      return `${e} !== null && isDefault${this.typeName(t.name)}(${e})`;
    }
    if (t.name === 'bytes') return `${e} !== null && ${e}.length === 0`;
    return `${e} === ${d}`;
  }

  /** In the input interface a field may be left out when it has a default to fall back on. */
  private optionalInInput(f: FieldSpec, ctx: Versions): boolean {
    return f.default !== undefined || !f.taggedVersions.empty || !f.versions.covers(ctx);
  }

  emitTypes(structName: string | undefined): void {
    const struct = structName === undefined ? undefined : this.struct(structName);
    const fields = struct ? struct.fields : this.msg.fields;
    const ctx = this.ctxOf(struct);
    const name = structName ?? this.msg.name;
    for (const input of [false, true]) {
      this.code.block(`export interface ${this.typeName(name, input)} {`, () => {
        for (const f of fields) {
          if (f.about && !input) this.code.line(`/** ${f.about.replace(/\*\//g, '*\\/')} */`);
          const opt = input && this.optionalInInput(f, ctx) ? '?' : '';
          this.code.line(`${camelCase(f.name)}${opt}: ${this.tsType(f, input)};`);
        }
        if (this.flexibleEver) {
          this.code.line('/** Tagged fields this version of Samsa does not know, kept to be written back. */');
          this.code.line(`unknownTaggedFields?: ${input ? 'readonly ' : ''}TaggedField[];`);
        }
      });
      this.code.line();
    }
  }

  emitDefaultFactory(structName: string): void {
    const s = this.struct(structName);
    const t = this.typeName(structName);
    this.code.block(`function default${t}(): ${t} {`, () => {
      this.code.block('return {', () => {
        for (const f of s.fields) this.code.line(`${camelCase(f.name)}: ${this.defaultValue(f)},`);
      }, '};');
    });
    this.code.line();
  }

  /** Emits the isDefault… functions that tagged fields asked for (call after the writers). */
  emitDefaultChecks(): void {
    const done = new Set<string>();
    while (done.size < this.defaultChecks.size) {
      for (const name of [...this.defaultChecks]) {
        if (done.has(name)) continue;
        done.add(name);
        const s = this.struct(name);
        const t = this.typeName(name, true);
        const checks = s.fields.map((f) => {
          const fieldName = camelCase(f.name);
          return `(v.${fieldName} === undefined || ${this.isDefaultExpr(f, `v.${fieldName}`)})`;
        });
        this.code.block(`function isDefault${this.typeName(name)}(v: ${t}): boolean {`, () => {
          this.code.line(`return ${checks.length ? checks.join(' &&\n    ') : 'true'};`);
        });
        this.code.line();
      }
    }
  }

  private flexibleDecl(ctx: Versions): void {
    const c = versionCondition(this.msg.flexibleVersions, ctx);
    if (typeof c === 'string') this.code.line(`const flexible = ${c};`);
  }

  private readValue(f: FieldSpec, t: FieldType, ctx: Versions, r: string): string {
    const compact = this.compact(f, ctx);
    if (t.kind === 'struct') {
      const read = `read${this.typeName(t.name)}(${r}, version)`;
      const nullable = this.nullableIn(f, ctx);
      return choose(nullable, `(${r}.readInt8() < 0 ? null : ${read})`, read);
    }
    if (t.kind === 'array') {
      const e = t.element;
      const el = e.kind === 'struct' ? `read${this.typeName(e.name)}(r, version)` : this.readScalar(e.name, compact, 'r', false);
      const fn = `(r) => ${el}`;
      return choose(this.nullableIn(f, ctx), `${r}.readNullableArray(${compact}, ${fn})`, `${r}.readArray(${compact}, ${fn})`);
    }
    const nullable = t.name === 'records' ? true : this.nullableIn(f, ctx);
    return choose(nullable, this.readScalar(t.name, compact, r, true), this.readScalar(t.name, compact, r, false));
  }

  private readScalar(name: string, compact: string, r: string, nullable: boolean): string {
    const n = nullable ? 'Nullable' : '';
    if (name === 'string') return `${r}.read${n}String(${compact})`;
    if (name === 'bytes' || name === 'records') return `${r}.read${n}Bytes(${compact})`;
    return `${r}.read${SCALAR_IO[name]}()`;
  }

  emitReader(structName: string | undefined, exportName?: string): void {
    const struct = structName === undefined ? undefined : this.struct(structName);
    const fields = struct ? struct.fields : this.msg.fields;
    const ctx = this.ctxOf(struct);
    const t = this.typeName(structName ?? this.msg.name);
    const fnName = exportName ?? `read${t}`;
    const head = exportName ? `export function ${fnName}(r: Reader, version: number): ${t} {` : `function ${fnName}(r: Reader, version: number): ${t} {`;
    this.code.block(head, () => {
      if (exportName) this.code.line(`checkVersion('${this.msg.name}', version, ${ctx.lo}, ${ctx.hi}, DecodeError);`);
      this.flexibleDecl(ctx);
      const tagged = fields.filter((f) => !f.taggedVersions.empty && !f.taggedVersions.intersect(ctx).empty);
      this.code.block(`const v: ${t} = {`, () => {
        for (const f of fields) {
          const name = camelCase(f.name);
          if (!f.taggedVersions.empty) this.code.line(`${name}: ${this.defaultValue(f)},`);
          else this.code.line(`${name}: ${choose(versionCondition(f.versions, ctx), this.readValue(f, f.type, ctx.intersect(f.versions), 'r'), this.defaultValue(f))},`);
        }
      }, '};');
      const flex = versionCondition(this.msg.flexibleVersions, ctx);
      if (flex !== false) {
        const call = () => {
          if (tagged.length === 0) {
            this.code.line('readTaggedFields(r, v, NO_KNOWN_TAGS);');
            return;
          }
          this.code.block('readTaggedFields(r, v, (tag, t) => {', () => {
            for (const f of tagged) {
              const c = versionCondition(f.taggedVersions, ctx);
              const guard = c === true ? `tag === ${f.tag}` : `tag === ${f.tag} && ${c}`;
              this.code.block(`if (${guard}) {`, () => {
                this.code.line(`v.${camelCase(f.name)} = ${this.readValue(f, f.type, ctx.intersect(f.versions), 't')};`);
                this.code.line('return true;');
              });
            }
            this.code.line('return false;');
          }, '});');
        };
        if (flex === true) call();
        else this.code.block('if (flexible) {', call);
      }
      this.code.line('return v;');
    });
    this.code.line();
  }

  private writeStatement(f: FieldSpec, ctx: Versions, value: string, w: string): string {
    const t = f.type;
    const compact = this.compact(f, ctx);
    if (t.kind === 'struct') {
      const writeOf = (x: string) => `write${this.typeName(t.name)}(${w}, version, ${x})`;
      const nullable = this.nullableIn(f, ctx);
      if (nullable === false) return `${writeOf(value)};`;
      const nullWrite = `const s = ${value}; if (s === null) ${w}.writeInt8(-1); else { ${w}.writeInt8(1); ${writeOf('s')}; }`;
      if (nullable === true) return `{ ${nullWrite} }`;
      return `if (${nullable}) { ${nullWrite} } else { ${writeOf(value)}; }`;
    }
    if (t.kind === 'array') {
      const e = t.element;
      const el = e.kind === 'struct' ? `write${this.typeName(e.name)}(w, version, e)` : this.writeScalar(e.name, compact, 'w', 'e', false);
      const fn = `(w, e) => ${el}`;
      return `${choose(this.nullableIn(f, ctx), `${w}.writeNullableArray(${value}, ${compact}, ${fn})`, `${w}.writeArray(${value}, ${compact}, ${fn})`)};`;
    }
    if (t.name === 'records') {
      const nullable = this.nullableIn(f, ctx);
      return `${w}.writeRecordsRef(${value}, ${compact}, ${nullable === true ? 'true' : nullable === false ? 'false' : `(${nullable})`});`;
    }
    return `${choose(this.nullableIn(f, ctx), this.writeScalar(t.name, compact, w, value, true), this.writeScalar(t.name, compact, w, value, false))};`;
  }

  private writeScalar(name: string, compact: string, w: string, value: string, nullable: boolean): string {
    const n = nullable ? 'Nullable' : '';
    if (name === 'string') return `${w}.write${n}String(${value}, ${compact})`;
    if (name === 'bytes') return `${w}.write${n}Bytes(${value}, ${compact})`;
    return `${w}.write${SCALAR_IO[name]}(${value})`;
  }

  emitWriter(structName: string | undefined, exportName?: string): void {
    const struct = structName === undefined ? undefined : this.struct(structName);
    const fields = struct ? struct.fields : this.msg.fields;
    const ctx = this.ctxOf(struct);
    const t = this.typeName(structName ?? this.msg.name, true);
    const fnName = exportName ?? `write${this.typeName(structName ?? this.msg.name)}`;
    const head = `${exportName ? 'export ' : ''}function ${fnName}(w: Writer, version: number, v: ${t}): void {`;
    this.code.block(head, () => {
      if (exportName) this.code.line(`checkVersion('${this.msg.name}', version, ${ctx.lo}, ${ctx.hi}, EncodeError);`);
      this.flexibleDecl(ctx);
      const tagged: FieldSpec[] = [];
      for (const f of fields) {
        if (!f.taggedVersions.empty) {
          if (!f.taggedVersions.intersect(ctx).empty) tagged.push(f);
          continue;
        }
        const name = camelCase(f.name);
        const value = this.optionalInInput(f, ctx) ? `(${this.valueOrDefault(f, `v.${name}`)})` : `v.${name}`;
        const c = versionCondition(f.versions, ctx);
        const absent = f.ignorable ? undefined : this.absentCheck(f, name);
        if (c === true) this.code.line(this.writeStatement(f, ctx, value, 'w'));
        else if (c === false) {
          if (absent) this.code.line(absent);
        } else {
          this.code.block(`if (${c}) {`, () => this.code.line(this.writeStatement(f, ctx.intersect(f.versions), value, 'w')), absent ? `} else ${absent.startsWith('if') ? absent : `{ ${absent} }`}` : '}');
        }
      }
      const flex = versionCondition(this.msg.flexibleVersions, ctx);
      if (flex === false) return;
      const body = () => {
        if (tagged.length === 0) {
          this.code.line('writeTaggedFields(w, NO_TAGGED_FIELDS, v.unknownTaggedFields);');
          return;
        }
        this.code.line('const tagged: TaggedField[] = [];');
        for (const f of tagged) {
          const name = camelCase(f.name);
          const fctx = ctx.intersect(f.versions);
          this.code.block('{', () => {
            this.code.line(`const x = ${this.valueOrDefault(f, `v.${name}`)};`);
            const c = versionCondition(f.taggedVersions, ctx);
            const guard = `${c === true ? '' : `${c} && `}!(${this.isDefaultExpr(f, 'x')})`;
            this.code.line(`if (${guard}) tagged.push(taggedField(${f.tag}, (w) => { ${this.writeStatement(f, fctx, 'x', 'w')} }));`);
          });
        }
        this.code.line('writeTaggedFields(w, tagged, v.unknownTaggedFields);');
      };
      if (flex === true) body();
      else this.code.block('if (flexible) {', body);
    });
    this.code.line();
  }

  /** An input value or, when left out, the default; an explicit null stays null where it is allowed. */
  private valueOrDefault(f: FieldSpec, e: string): string {
    const nullable = !f.nullableVersions.intersect(f.versions).empty;
    return nullable ? `${e} === undefined ? ${this.defaultValue(f)} : ${e}` : `${e} ?? ${this.defaultValue(f)}`;
  }

  /** For a non-ignorable field that a version lacks: refuse to drop a non-default value. */
  private absentCheck(f: FieldSpec, name: string): string | undefined {
    if (f.type.kind === 'struct') return undefined;
    const x = `v.${name}`;
    return `if (${x} !== undefined && !(${this.isDefaultExpr(f, x)})) throw absentField('${this.msg.name}', '${name}', version);`;
  }

  /** Every struct of the message in definition order, nested ones after their parents. */
  structOrder(): string[] {
    const out: string[] = [];
    const visit = (fields: FieldSpec[]) => {
      for (const f of fields) {
        const t = f.type.kind === 'array' ? f.type.element : f.type;
        if (t.kind !== 'struct' || out.includes(t.name)) continue;
        out.push(t.name);
        visit(this.struct(t.name).fields);
      }
    };
    visit(this.msg.fields);
    return out;
  }

  /** Everything for this message: types, defaults, readers, writers, the exported codec pair. */
  emitAll(): void {
    const structs = this.structOrder();
    this.emitTypes(undefined);
    for (const s of structs) this.emitTypes(s);
    for (const s of structs) this.emitDefaultFactory(s);
    for (const s of structs) this.emitReader(s);
    for (const s of structs) this.emitWriter(s);
    this.emitReader(undefined, `decode${this.msg.name}`);
    this.emitWriter(undefined, `encode${this.msg.name}`);
    this.emitDefaultChecks();
  }
}
