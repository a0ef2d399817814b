/** A `samsa broker` child process for benchmarks, so the broker has a core of its own. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from '../test/helpers/repo-root.js';

/** The build's `samsa` as installed (its bundle), or its main.js for a build from before the bundle. */
const samsaCli = (dist: string): string => (existsSync(join(dist, 'src/cli/samsa.cjs')) ? join(dist, 'src/cli/samsa.cjs') : join(dist, 'src/cli/main.js'));

/**
 * Starts the built CLI's broker on an ephemeral port; `readyMs` is spawn to ready line; `listeners`
 * the port of each listener by name. BENCH_BROKER_NODE_FLAGS (space-separated) go to the broker's
 * node, e.g. `--single-threaded-gc`. `dist` is the build to run (default this repository's dist/;
 * another build's, to compare two builds in one run).
 */
export async function spawnBroker(dir: string, extra: string[] = [], dist = join(repoRoot(), 'dist'), moreNodeFlags: string[] = []): Promise<{ child: ChildProcess; port: number; readyMs: number; listeners: Record<string, number> }> {
  const t0 = performance.now();
  const nodeFlags = [...(process.env['BENCH_BROKER_NODE_FLAGS'] ?? '').split(' ').filter(Boolean), ...moreNodeFlags];
  const child = spawn(process.execPath, [...nodeFlags, samsaCli(dist), 'broker', '--port', '0', '--data-dir', dir, '--log-level', 'warn', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  let line = '';
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += String(d);
      const m = /ready on [^:]+:(\d+)/.exec(out);
      if (m) {
        line = out;
        // What the broker prints later is the caller's (it is not kept here).
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`broker exited ${code}`)));
  });
  const listeners = Object.fromEntries([...line.matchAll(/([A-Z_0-9]+):\/\/[^\s:]+:(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  if (Object.keys(listeners).length === 0) listeners['PLAINTEXT'] = port;
  return { child, port, readyMs: performance.now() - t0, listeners };
}

export async function stopBroker(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
