/**
 * The entry of the CLI's start-up snapshot (scripts/bundle.ts builds it with `node --snapshot-blob
 * samsa.blob --build-snapshot`; the `bin` launcher, src/cli/samsa.sh, starts node from it when the
 * blob fits the node it finds). What it saves at every start: compiling the bundle and running its
 * modules' top-level code, and compiling the functions a broker's start runs: they are in the heap
 * the snapshot restores, evaluated and compiled, because this entry runs two broker starts (a fresh
 * data directory, then the directory it left) before the snapshot is taken.
 *
 * What must not be captured (docs/broker.md, "Before the broker's timer"): nothing here holds an
 * open handle once the builds' broker has closed; the native CRC-32C binding is loaded at run time
 * (crc32c.ts), as are the other native addons and pino-pretty (required on first use, through the
 * run-time `require` set below); the CLI's program, its commands' defaults (some from the
 * environment) and the version are made at run time (run-samsa.ts); the broker logger reads the pid
 * and hostname when it is made (broker-logger.ts); Math.random is reseeded by V8 when a snapshot
 * is deserialised, and the broker draws no other randomness at module level.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startupSnapshot } from 'node:v8';
import { Command } from 'commander';
import { startBroker } from '../broker/broker.js';
import { type Clock, type TimerHandle, systemClock } from '../common/clock.js';
import { loadNativeCrc32c } from '../protocol/primitives/crc32c.js';
import { registerCommands } from './commands/index.js';
// Imported here so that the snapshot holds them evaluated: the commands import them on first use.
import '../client/index.js';
import './client-config.js';
import { runSamsaMain } from './run-samsa.js';

/**
 * The `require` the bundle's own `require(...)` calls go to (the native addons, the zstd wasm
 * package, pino-pretty: scripts/bundle.ts wraps the bundle so): while the snapshot is built, Node's
 * snapshot builder's, which loads built-in modules only; at run time one made for the bundle's file.
 */
declare let __samsaRequire: NodeJS.Require;

/**
 * The system clock, its timers kept referenced (the system clock unrefs them), and every timer a
 * warm-up left pending cancelled after it. On Node 20 a timer that was unref'd while the snapshot
 * was built leaves the restored process's timers broken: later timers never fire (a consumer
 * group's join phase never ended).
 */
const pending = new Set<TimerHandle>();
const warmUpClock: Clock = {
  ...systemClock,
  setTimeout: (fn, ms) => {
    const handle: TimerHandle = systemClock.setTimeout(
      () => {
        pending.delete(handle);
        fn();
      },
      ms,
      { keepAlive: true },
    );
    pending.add(handle);
    return { cancel: () => (pending.delete(handle), handle.cancel()) };
  },
};

/** One broker start and clean close on `dir`, logging nothing: V8 compiles what a start runs. */
async function warmUpStart(dir: string): Promise<void> {
  const broker = await startBroker({ dataDir: dir, port: 0, logLevel: 'silent', logFormat: 'json', clock: warmUpClock });
  await broker.close();
}

async function warmUp(): Promise<void> {
  // Registering the commands compiles commander's paths and theirs; the program is thrown away.
  registerCommands(new Command('samsa'));
  const dir = mkdtempSync(join(tmpdir(), 'samsa-snapshot-'));
  try {
    await warmUpStart(dir);
    await warmUpStart(dir);
  } finally {
    for (const t of pending) t.cancel();
    rmSync(dir, { recursive: true, force: true });
  }
}

// No top-level await: the bundle is CommonJS. The builder takes the snapshot once the event loop
// is empty, so after this promise; a failed warm-up fails the build.
warmUp().catch((err: unknown) => {
  process.stderr.write(`snapshot warm-up failed: ${(err as Error).stack}\n`);
  process.exit(1);
});

startupSnapshot.setDeserializeMainFunction(() => {
  __samsaRequire = createRequire(fileURLToPath(import.meta.url));
  loadNativeCrc32c();
  runSamsaMain();
});
