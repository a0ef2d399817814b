/**
 * The last step of `npm run build`: bundles the `samsa` CLI and the broker's thread, each into one
 * CommonJS file next to tsc's modules in dist/src/cli/, and writes their V8 code caches.
 *
 * Why: a start spent most of its time importing ~480 ES modules (Node's loader costs about as much
 * per module as compiling it) and compiling them; one file, run from a code cache, skips both
 * (docs/broker.md, "Start-up and memory"). tsc's modules stay the library (`exports`), what tests
 * import, and what `node dist/src/cli/main.js` runs; `bin` runs the bundle (src/cli/samsa.cts).
 *
 * - dist/src/cli/samsa-bundle.cjs: src/cli/main.ts and everything it imports;
 *   samsa-broker-thread-bundle.cjs: src/cli/broker-thread.ts and everything it imports. Both stay
 *   in the directory of main.js so that paths relative to `import.meta.url` (package.json, the
 *   broker thread) resolve as they do from the modules.
 * - Native addons and the zstd wasm (which loads its .wasm file from its own directory) stay
 *   packages of node_modules, required when first used as before; so do pino-pretty and
 *   @node-rs/crc32, which are required at run time through createRequire.
 * - The code caches: `samsa broker` started and stopped cleanly with SAMSA_CODE_CACHE_WRITE=1
 *   (src/cli/bundle-loader.cts) on a fresh data directory, then twice on the directory it left (once
 *   with the broker on its worker thread, which runs the thread's bundle).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../test/helpers/repo-root.js';

const CLI = join(repoRoot(), 'dist', 'src', 'cli');
const EXTERNAL = ['lz4-napi', 'snappy', '@bokuweb/zstd-wasm', '@node-rs/crc32', 'pino-pretty'];
const WARM_UP_TIMEOUT_MS = 60_000;

async function bundle(): Promise<void> {
  await build({
    entryPoints: { 'samsa-bundle': join(CLI, 'main.js'), 'samsa-broker-thread-bundle': join(CLI, 'broker-thread.js') },
    outdir: CLI,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: EXTERNAL,
    // CommonJS has no import.meta: the modules' import.meta.url becomes the bundle's own URL.
    banner: { js: "const __samsaImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__samsaImportMetaUrl', SAMSA_BROKER_THREAD_BUNDLE: JSON.stringify('./samsa-broker-thread.cjs') },
    logLevel: 'warning',
    // Whitespace and comments out, identifiers kept (stack traces keep their function names): V8
    // keeps a script's source for as long as it runs, and the unminified bundle's source, with
    // non-ASCII characters in its comments, took 4.2 MB of heap as a two-byte string; this one 1.5.
    minifyWhitespace: true,
    minifySyntax: true,
  });
  for (const file of ['samsa-bundle.cjs', 'samsa-broker-thread-bundle.cjs']) {
    // bundle-loader runs a bundle as a vm.Script, which has no loader for import().
    if (/\bimport\(/.test(readFileSync(join(CLI, file), 'utf8'))) throw new Error(`${file} has a dynamic import(), which the bundle loader cannot run: import statically`);
  }
}

/** One `samsa broker` start and SIGTERM, writing the code caches as it exits. */
function warmUpStart(dataDir: string, args: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(CLI, 'samsa.cjs'), 'broker', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SAMSA_CODE_CACHE_WRITE: '1' },
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`code-cache warm-up: no ready line and exit in ${WARM_UP_TIMEOUT_MS} ms`));
    }, WARM_UP_TIMEOUT_MS);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes(' ready on ')) child.kill('SIGTERM');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0 && out.includes(' ready on ')) resolve();
      else reject(new Error(`code-cache warm-up: broker exited with ${code} (${out.trim()})`));
    });
  });
}

async function writeCodeCaches(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-code-cache-'));
  try {
    await warmUpStart(dir); // a fresh directory, the broker on the main thread
    await warmUpStart(dir, ['--young-generation-mb', '6']); // the directory it left, on a worker thread
    await warmUpStart(dir); // and on the main thread
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const file of ['samsa-bundle.cjs', 'samsa-broker-thread-bundle.cjs']) {
    if (!existsSync(join(CLI, `${file}.code-cache`))) throw new Error(`code-cache warm-up wrote no cache for ${file}`);
  }
}

await bundle();
await writeCodeCaches();
