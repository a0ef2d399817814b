/**
 * The bundled `samsa` (package.json `bin`; scripts/bundle.ts, src/cli/bundle-loader.cts): the
 * build's code caches fit the V8 that runs them; the bundles are ASCII (one byte a character in V8); the loader runs a bundle without a cache and with
 * one V8 refuses; a run with SAMSA_CODE_CACHE_WRITE=1 writes a cache the next run uses; `samsa
 * broker` serves kcat (zstd, whose wasm stays a package of node_modules) from the bundle as from
 * tsc's modules, on the main thread and on a worker; and a broker that cannot start exits 1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { codeCacheFile, compileBundle } from '../../src/cli/bundle-loader.cjs';
import { kcat } from '../helpers/kcat.js';
import { repoRoot } from '../helpers/repo-root.js';
import { runSamsa } from '../helpers/samsa-cli.js';
import { SAMSA_BIN, childBroker, tempDir } from '../helpers/test-broker.js';

const CLI = join(repoRoot(), 'dist', 'src', 'cli');
const TINY_BUNDLE = "module.exports = { file: __filename, joined: require('node:path').join('a', 'b'), self: this === exports };\n";

describe('the bundled samsa', { timeout: 120_000 }, () => {
  it('ships code caches that V8 accepts for both bundles', () => {
    for (const bundle of ['samsa-bundle.cjs', 'samsa-broker-thread-bundle.cjs']) {
      assert.equal(compileBundle(join(CLI, bundle)).cache, 'accepted', bundle);
    }
  });

  it('bundles only ASCII (V8 keeps a script source with any other character at two bytes a character)', () => {
    for (const bundle of ['samsa-bundle.cjs', 'samsa-broker-thread-bundle.cjs']) {
      const bytes = readFileSync(join(CLI, bundle));
      const at = bytes.findIndex((b) => b > 0x7f);
      assert.equal(at, -1, `${bundle}: ${JSON.stringify(bytes.subarray(at - 40, at + 10).toString())}`);
    }
  });

  // Each run in a process of its own: V8 keeps what one isolate compiled, and would not look at a
  // second cache for a source it compiled before.
  const runInChild = (bundle: string, env: Record<string, string> = {}): unknown => {
    const code = `process.stdout.write(JSON.stringify(require(${JSON.stringify(join(CLI, 'bundle-loader.cjs'))}).runBundle(${JSON.stringify(bundle)})))`;
    const run = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, ...env }, timeout: 60_000 });
    assert.equal(run.status, 0, String(run.stderr));
    return JSON.parse(String(run.stdout));
  };

  it('runs a bundle as a CommonJS module without a cache, with a refused one, and with the one it wrote', async () => {
    const dir = await tempDir();
    try {
      const bundle = join(dir, 'tiny.cjs');
      writeFileSync(bundle, TINY_BUNDLE);
      const expected = { file: bundle, joined: join('a', 'b'), self: true };
      assert.deepEqual(runInChild(bundle), { exports: expected, cache: 'none' });
      writeFileSync(codeCacheFile(bundle), Buffer.from('not a V8 code cache'));
      assert.deepEqual(runInChild(bundle), { exports: expected, cache: 'rejected' });
      await rm(codeCacheFile(bundle));
      assert.deepEqual(runInChild(bundle, { SAMSA_CODE_CACHE_WRITE: '1' }), { exports: expected, cache: 'none' });
      assert.ok(existsSync(codeCacheFile(bundle)));
      assert.deepEqual(runInChild(bundle), { exports: expected, cache: 'accepted' });
      // A hashbang line, as the CLI's bundle has, becomes a comment.
      const withHashbang = join(dir, 'hashbang.cjs');
      writeFileSync(withHashbang, `#!/usr/bin/env node\n${TINY_BUNDLE}`);
      assert.deepEqual(runInChild(withHashbang), { exports: { ...expected, file: withHashbang }, cache: 'none' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const runs = [
    ['the bundle, on the main thread', SAMSA_BIN(), []],
    ['the bundle, on a worker thread', SAMSA_BIN(), ['--young-generation-mb', '6']],
    ["tsc's modules, on the main thread", join(CLI, 'main.js'), []],
    ["tsc's modules, on a worker thread", join(CLI, 'main.js'), ['--young-generation-mb', '6']],
  ] as const;
  for (const [name, bin, args] of runs) {
    it(`runs samsa broker from ${name}, serving kcat with zstd, and stops cleanly`, async () => {
      const dir = await tempDir();
      const broker = await childBroker(dir, ['-o', 'num.partitions=1', ...args], 30_000, bin);
      try {
        const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
        await kcat(['-b', broker.bootstrap, '-P', '-t', 'bundled', '-z', 'zstd'], lines.join('\n') + '\n');
        const out = await kcat(['-b', broker.bootstrap, '-C', '-t', 'bundled', '-o', 'beginning', '-c', String(lines.length), '-e', '-q']);
        assert.deepEqual(out.split('\n').filter(Boolean), lines);
        assert.equal(await broker.kill('SIGTERM'), 0);
      } finally {
        await broker.kill('SIGKILL');
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  for (const [name, args] of [['main', []], ['worker', ['--young-generation-mb', '6']]] as const) {
    it(`exits 1 with the reason when the broker cannot start (${name} thread)`, async () => {
      const dir = await tempDir();
      const taken = createServer().listen(0, '127.0.0.1');
      try {
        await once(taken, 'listening');
        const port = (taken.address() as AddressInfo).port;
        const run = await runSamsa(['broker', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir, '--log-level', 'silent', ...args]);
        assert.equal(run.code, 1, run.stderr);
        assert.match(run.stderr, /EADDRINUSE/);
      } finally {
        taken.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
