/**
 * What commands print: aligned tables and `key: value` blocks for people, or JSON (one document,
 * or one object per line for streams) with `--json` for scripts. Everything goes through `Output`,
 * so a command never decides the format itself.
 */
import { Writable } from 'node:stream';

export type Cell = string | number | bigint | boolean | null | undefined;

function text(c: Cell): string {
  if (c === null || c === undefined) return '-';
  return String(c);
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = rows.map((r) => headers.map((_, i) => text(r[i])));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || typeof r[i] === 'bigint' || r[i] === null || r[i] === undefined));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/** JSON with bigints as numbers when exact, strings otherwise; Buffers as UTF-8 text. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) return Buffer.from((v as { data: number[] }).data).toString('utf8');
    return v;
  });
}

export class Output {
  constructor(
    readonly json: boolean,
    private readonly out: Writable = process.stdout,
    private readonly err: Writable = process.stderr,
  ) {}

  /** A table for people; with --json, the rows as objects keyed by the headers. */
  table(headers: readonly string[], rows: readonly (readonly Cell[])[], jsonValue?: unknown): void {
    if (this.json) this.out.write(toJson(jsonValue ?? rows.map((r) => Object.fromEntries(headers.map((h, i) => [h, r[i] ?? null])))) + '\n');
    else this.out.write(rows.length === 0 ? '(none)\n' : formatTable(headers, rows));
  }

  /** A finished result: a sentence for people, the value for scripts. */
  result(sentence: string, jsonValue: unknown): void {
    this.out.write(this.json ? toJson(jsonValue) + '\n' : sentence + '\n');
  }

  /** A raw line on stdout (records a consumer prints). */
  line(s: string): boolean {
    return this.out.write(s + '\n');
  }

  /** Progress and notes for people, on stderr so stdout stays clean for pipes. */
  note(s: string): void {
    this.err.write(s + '\n');
  }
}
