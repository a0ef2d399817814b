/** A `samsa broker` child process for benchmarks, so the broker has a core of its own. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from '../test/helpers/repo-root.js';

/**
 * Starts the built CLI's broker on an ephemeral port; `readyMs` is spawn to ready line.
 * BENCH_BROKER_NODE_FLAGS (space-separated) go to the broker's node, e.g. `--single-threaded-gc`.
 */
export async function spawnBroker(dir: string, extra: string[] = []): Promise<{ child: ChildProcess; port: number; readyMs: number }> {
  const t0 = performance.now();
  const nodeFlags = (process.env['BENCH_BROKER_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeFlags, join(repoRoot(), 'dist/src/cli/main.js'), 'broker', '--port', '0', '--data-dir', dir, '--log-level', 'warn', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /ready on [^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`broker exited ${code}`)));
  });
  return { child, port, readyMs: performance.now() - t0 };
}

export async function stopBroker(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
