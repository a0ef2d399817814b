/**
 * Brokers for tests: in-process (startBroker) or as a `samsa broker` child process, each on an
 * ephemeral port of 127.0.0.1 with its own temporary data directory, removed afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { type BrokerOptions, type RunningBroker, startBroker } from '../../src/broker/broker.js';
import { repoRoot } from './repo-root.js';

/** The lowest port the kernel hands out by itself (`listen(0)`, outgoing connections' local ports). */
function firstAutoPort(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/**
 * A port of 127.0.0.1 free a moment ago, for a broker that must come back on the same port. Taken
 * at random below the kernel's automatic range: a port from that range, once its broker is killed,
 * can be given to any new connection's local end (a client's, another test's) before the broker
 * restarts, and the restart fails with EADDRINUSE (seen in the leader-kill trial).
 */
export async function freePort(): Promise<number> {
  const low = 10_000;
  const high = firstAutoPort();
  for (let attempt = 0; attempt < 100 && high > low; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await bindable(port)) return port;
  }
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function bindable(port: number): Promise<boolean> {
  const s = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', resolve);
    });
  } catch {
    return false;
  }
  await new Promise((r) => s.close(r));
  return true;
}

export async function tempDir(prefix = 'samsa-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** An in-process broker on an ephemeral port; `stop()` closes it and removes its data. */
export async function testBroker(options: BrokerOptions = {}): Promise<RunningBroker & { stop(): Promise<void> }> {
  const dataDir = options.dataDir ?? (await tempDir());
  let broker: RunningBroker;
  try {
    broker = await startBroker({ host: '127.0.0.1', port: 0, logLevel: process.env['SAMSA_TEST_LOG'] ?? 'silent', ...options, dataDir });
  } catch (err) {
    // A start a test expects to fail (a bad config) must not leave its directory behind either.
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return Object.assign(broker, {
    async stop() {
      await broker.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  });
}

export interface ChildBroker {
  process: ChildProcess;
  bootstrap: string;
  port: number;
  /** Every listener's advertised `host:port` by name (from the ready line). */
  listeners: Record<string, string>;
  /** Sends a signal and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** The built CLI, as `npx samsa` runs it (package.json `bin`: the bundle, scripts/bundle.ts). */
export const SAMSA_BIN = () => join(repoRoot(), 'dist', 'src', 'cli', 'samsa.cjs');

/** Starts `samsa broker` (`bin`: another build of the CLI, such as main.js) as a child process and waits for its ready line. */
export async function childBroker(dataDir: string, args: string[] = [], timeoutMs = 15000, bin = SAMSA_BIN()): Promise<ChildBroker> {
  const child = spawn(process.execPath, [bin, 'broker', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  let readyLine = '';
  const ready = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      // A broker that never became ready must not outlive the test.
      child.kill('SIGKILL');
      reject(new Error(`broker not ready in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /ready on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        readyLine = out;
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code}: ${stderr}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    bootstrap: ready,
    port: Number(ready.split(':').pop()),
    listeners: Object.fromEntries([...readyLine.matchAll(/([A-Z_0-9]+):\/\/(\S+?:\d+)/g)].map((m) => [m[1]!, m[2]!])),
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
