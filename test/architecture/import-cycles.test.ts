/**
 * No import cycles under src/ (DESIGN.md: layers depend in one direction). Every import and
 * re-export of every source file counts, `import type` included: a cycle of types is still two
 * modules that cannot be understood (or moved) one without the other.
 *
 * KNOWN_CYCLES lists the cycles that existed when this test was written. The list may only
 * shrink: a new cycle fails the test, and so does a listed one that no longer exists (remove it).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { repoRoot } from '../helpers/repo-root.js';

/** Each entry: the files of one strongly connected component, relative to src/, sorted. */
const KNOWN_CYCLES: readonly (readonly string[])[] = [
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The source file a relative specifier names ('./x.js' -> x.ts, './dir' -> dir/index.ts), if under src/. */
function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
}

/** Files each file imports (static, dynamic, type-only and re-exports alike). */
export function importGraph(srcDir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(srcDir)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles.map((f) => resolveImport(file, f.fileName)).filter((t): t is string => t !== undefined);
    graph.set(relative(srcDir, file), [...new Set(targets.map((t) => relative(srcDir, t)))]);
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** One path around a component, for the failure message: a -> b -> ... -> a. */
function describeCycle(graph: Map<string, string[]>, component: readonly string[]): string {
  const inside = new Set(component);
  const start = component[0]!;
  const path = [start];
  const seen = new Set([start]);
  for (let v = start; ; ) {
    const targets = (graph.get(v) ?? []).filter((w) => inside.has(w));
    const back = targets.find((w) => w === start);
    if (back && path.length > 1) return [...path, start].join(' -> ');
    const w = targets.find((x) => !seen.has(x)) ?? back ?? targets[0]!;
    if (seen.has(w)) return [...path, w].join(' -> ');
    path.push(w);
    seen.add(w);
    v = w;
  }
}

describe('import cycles', () => {
  const srcDir = join(repoRoot(), 'src');
  const graph = importGraph(srcDir);

  it('parses the imports of every source file', () => {
    assert.ok(graph.size > 100, `${graph.size} files under src/`);
    assert.ok(graph.get('log/index.ts')!.includes('log/log-manager.ts'), 'a re-export counts as an import');
  });

  it('finds a cycle when there is one (the detector itself)', () => {
    const g = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']], ['e.ts', ['e.ts']]]);
    assert.deepEqual(cycles(g), [['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
    assert.deepEqual(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', []]])), []);
  });

  it('has no cycle under src/ beyond the known ones, and every known one still exists', () => {
    const found = cycles(graph);
    const key = (c: readonly string[]) => c.join(' ');
    const known = new Set(KNOWN_CYCLES.map(key));
    const fresh = found.filter((c) => !known.has(key(c)));
    assert.deepEqual(fresh.map((c) => `${describeCycle(graph, c)} (all of: ${key(c)})`), [], 'new import cycles');
    const gone = KNOWN_CYCLES.filter((c) => !found.some((f) => key(f) === key(c)));
    assert.deepEqual(gone.map(key), [], 'known cycles that no longer exist (or changed): update KNOWN_CYCLES');
  });
});
