/**
 * The examples of docs/testing.md run as their readers would run them: with the Node test runner,
 * Jest and Vitest, each importing `samsa` by its package name (the built package, dist/).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/repo-root.js';

const EXAMPLES = join('docs', 'examples', 'testing');

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_TEST_CONTEXT: undefined, NO_COLOR: '1', CI: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // eslint-disable-next-line no-control-regex
      resolve({ code, output: output.replace(/\x1b\[[0-9;]*m/g, '') });
    });
  });
}

describe('docs/testing.md examples', { timeout: 300_000 }, () => {
  it('node:test', async () => {
    const r = await run(['--test', '--test-reporter=tap', join(EXAMPLES, 'node-test.test.mjs')]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /^# pass 2$/m, r.output);
  });

  it('Jest', async () => {
    const r = await run(['--experimental-vm-modules', join('node_modules', 'jest', 'bin', 'jest.js'), '--rootDir', join(EXAMPLES, 'jest')]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Tests: +2 passed, 2 total/, r.output);
  });

  it('Vitest', async () => {
    const r = await run([join('node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', join(EXAMPLES, 'vitest')]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Tests +4 passed \(4\)/, r.output);
  });
});
