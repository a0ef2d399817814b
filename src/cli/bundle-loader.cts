/**
 * Runs one of the CLI's bundles (scripts/bundle.ts: the whole program in one CommonJS file, so a
 * start reads and links one file instead of ~480 modules) with V8's code cache: the bytecode of
 * every function a `samsa broker` start compiled, written next to the bundle at build time. With
 * it V8 deserialises the functions instead of parsing and compiling them again.
 *
 * The cache is V8's own format and V8 checks it (its version, its flags, the source's hash): a
 * cache that does not fit, or a missing one, is ignored and the bundle is compiled as usual, so a
 * stale or absent cache only costs time. `SAMSA_CODE_CACHE_WRITE=1` makes the run write the cache
 * when the thread exits, with what it compiled by then; the build does this with one broker start
 * (scripts/bundle.ts). Nothing is written otherwise: an installed package's files stay as they are.
 *
 * CommonJS (this file compiles to .cjs) because Node 20 has no code cache for ES modules; the
 * bundle is wrapped as Node wraps a CommonJS module and runs as one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

const WRAPPER_START = Buffer.from('(function (exports, require, module, __filename, __dirname) { ');
const WRAPPER_END = Buffer.from('\n})');

/** The code cache's file for a bundle. */
export const codeCacheFile = (bundle: string): string => `${bundle}.code-cache`;

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Whether V8 used the bundle's code cache: `none` when there is none, `rejected` when it did not fit. */
export type CodeCacheUse = 'accepted' | 'rejected' | 'none';

/** Compiles `bundle` (an absolute path) as a CommonJS module's script, from its code cache if V8 accepts it. */
export function compileBundle(bundle: string): { script: Script; cache: CodeCacheUse } {
  const cachedData = readCache(codeCacheFile(bundle));
  const source = readFileSync(bundle);
  // A hashbang line (main.ts's, kept by the bundler) is only valid at a script's start: made a comment.
  if (source[0] === 0x23 && source[1] === 0x21) source.write('//', 0, 'latin1');
  // Node's CommonJS wrapper, on the bundle's first line, so line numbers in stack traces match the
  // file. Joined as bytes and decoded once: V8 keeps the script's source (lazy functions compile
  // from it), and a string of the file joined to the wrapper would leave a second copy of the
  // bundle for the next full GC, which an idle broker may not run for a long time.
  const wrapped = Buffer.concat([WRAPPER_START, source, WRAPPER_END]).toString('utf8');
  const script = new Script(wrapped, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  return { script, cache: cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'accepted' };
}

/** Runs `bundle` (an absolute path) as a CommonJS module of its own; returns its exports and whether its cache was used. */
export function runBundle(bundle: string): { exports: unknown; cache: CodeCacheUse } {
  const { script, cache } = compileBundle(bundle);
  if (process.env['SAMSA_CODE_CACHE_WRITE'] === '1') {
    // At exit every function the run needed has been compiled; V8 serialises their bytecode.
    process.once('exit', () => writeFileSync(codeCacheFile(bundle), script.createCachedData()));
  }
  const module = { exports: {} };
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return { exports: module.exports, cache };
}
