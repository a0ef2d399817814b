/**
 * `samsa broker`: runs a broker in the foreground until SIGTERM or SIGINT, which shut it down
 * cleanly (stop accepting, answer in-flight requests, flush, mark a clean shutdown).
 *
 * The broker runs on the process's main thread, with V8's young generation held at the size it
 * starts with (1 MiB semi-spaces): V8 must not let it grow towards its 16 MiB default, which made
 * full mark-compacts frequent under produce load (docs/broker.md). With `--young-generation-mb N`
 * it runs instead on a worker thread whose young generation is N MiB (broker-thread.ts), as every
 * broker did before: a worker costs ~12 MB of memory and tens of milliseconds of start-up.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { type Command, Option } from 'commander';
import type { LogFormat } from '../../broker/broker-logger.js';
import type { BrokerOptions } from '../../broker/broker.js';
import type { BrokerThreadReady } from '../broker-thread.js';

/**
 * Set by the bundler (scripts/bundle.ts) in the bundled CLI to the broker thread's own bundle, next
 * to the CLI's; undefined when the CLI runs from tsc's modules.
 */
declare const SAMSA_BROKER_THREAD_BUNDLE: string | undefined;
const brokerThreadScript = (): URL => new URL(typeof SAMSA_BROKER_THREAD_BUNDLE === 'string' ? SAMSA_BROKER_THREAD_BUNDLE : '../broker-thread.js', import.meta.url);

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${v}`);
  return n;
};

export function registerBrokerCommand(program: Command): void {
  program
    .command('broker')
    .description('run a broker (default 127.0.0.1:9092, data in ./data)')
    .option('--host <host>', 'address to listen on')
    .option('--port <port>', 'port to listen on (0 picks a free one)', int)
    .option('--data-dir <dir>', 'data directory (log.dirs)')
    .addOption(new Option('--storage <kind>', 'disk, or memory: nothing touches the file system and the data is gone when the broker stops').choices(['disk', 'memory']))
    .option('--advertised-host <host>', 'host clients are told to connect to')
    .option('--advertised-port <port>', 'port clients are told to connect to', int)
    .option('--node-id <id>', 'node id (node.id)', int)
    .option('--config <file>', 'server.properties-style config file with Kafka config names')
    .option('-o, --override <key=value...>', 'set a config by its Kafka name, e.g. -o num.partitions=3')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent', 'info')
    .addOption(new Option('--log-format <format>', 'json lines, or pretty readable lines (default: pretty when stderr is a terminal)').choices(['json', 'pretty'] satisfies LogFormat[]))
    .option('--young-generation-mb <mb>', 'run the broker on a worker thread with a V8 young generation of this many MiB (0: on the main thread with V8\'s default, growing one)', int)
    .action(async (opts: { host?: string; port?: number; dataDir?: string; storage?: 'disk' | 'memory'; advertisedHost?: string; advertisedPort?: number; nodeId?: number; config?: string; override?: string[]; logLevel: string; logFormat?: LogFormat; youngGenerationMb?: number }) => {
      const config: Record<string, string> = {};
      for (const kv of opts.override ?? []) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`--override expects key=value, got ${kv}`);
        config[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      const started = Date.now();
      const options: BrokerOptions = {
        ...(opts.host !== undefined ? { host: opts.host } : {}),
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
        ...(opts.storage !== undefined ? { storage: opts.storage } : {}),
        ...(opts.advertisedHost !== undefined ? { advertisedHost: opts.advertisedHost } : {}),
        ...(opts.advertisedPort !== undefined ? { advertisedPort: opts.advertisedPort } : {}),
        ...(opts.nodeId !== undefined ? { nodeId: opts.nodeId } : {}),
        ...(opts.config !== undefined ? { configFile: opts.config } : {}),
        config,
        logLevel: opts.logLevel,
        logFormat: opts.logFormat ?? (process.stderr.isTTY ? 'pretty' : 'json'),
      };
      const broker = opts.youngGenerationMb !== undefined && opts.youngGenerationMb > 0 ? brokerOnWorker(options, opts.youngGenerationMb) : brokerOnThisThread(options, opts.youngGenerationMb === undefined);
      // Before the ready line: a signal sent as soon as it is read must find the handler in place
      // (without one, the process dies at once). A stop asked for during start-up waits until the
      // broker is up, then closes it.
      process.once('SIGTERM', broker.stop);
      process.once('SIGINT', broker.stop);
      // A failure to start (a port in use, a bad config) rejects here.
      const ready = await broker.ready;
      const others = ready.listeners.length > 1 ? `listeners ${ready.listeners.join(' ')}, ` : '';
      process.stdout.write(`samsa broker ${ready.nodeId} ready on ${ready.bootstrap} (${others}data ${ready.dataDir}, cluster ${ready.clusterId}, ${Date.now() - started} ms)\n`);
      await broker.closed;
    });
}

/** A broker being run by this command: ready once it serves, closed once it stopped after `stop()`. */
interface BrokerRun {
  ready: Promise<BrokerThreadReady>;
  stop: () => void;
  closed: Promise<void>;
}

/** V8's semi-space growth factor: its default, and the one that keeps the young generation at its start size. */
const V8_DEFAULT_GROWTH = 2;
const FIXED_GROWTH = 1;

/**
 * The broker on this thread. `fixedYoungGeneration`: V8's young generation stays at its starting
 * size (its semi-spaces never grow). A process's heap limits are fixed when it starts, but the growth
 * factor is read at each scavenge, so setting it to 1 here holds the young generation where it is.
 */
function brokerOnThisThread(options: BrokerOptions, fixedYoungGeneration: boolean): BrokerRun {
  if (fixedYoungGeneration) setFlagsFromString(`--semi-space-growth-factor=${FIXED_GROWTH}`);
  const started = import('../../broker/broker.js').then(({ startBroker }) => startBroker(options));
  let stopped!: () => void;
  const stopAsked = new Promise<void>((resolve) => (stopped = resolve));
  const closed = Promise.all([started, stopAsked])
    .then(([broker]) => broker.close())
    .catch((err: unknown) => {
      throw new Error(`the broker did not close cleanly: ${(err as Error).message}`);
    })
    // V8's default back once the broker is closed: V8 stamps a code cache with the flags in force
    // when it is written, and the build writes the bundle's at exit (bundle-loader.cts).
    .finally(() => fixedYoungGeneration && setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH}`));
  return {
    ready: started.then((broker) => ({ nodeId: broker.nodeId, bootstrap: broker.bootstrap, dataDir: broker.dataDir, clusterId: broker.clusterId, listeners: broker.listeners.map((l) => `${l.name}://${l.bootstrap}`) })),
    stop: () => stopped(),
    closed: handledLater(closed),
  };
}

/** `p`, marked as handled: a failed start is reported through `ready`, and `closed` is then never awaited. */
function handledLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** The broker on a worker thread with a young generation of `youngGenerationMb` MiB (broker-thread.ts). */
function brokerOnWorker(options: BrokerOptions, youngGenerationMb: number): BrokerRun {
  const worker = new Worker(brokerThreadScript(), { workerData: options, resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb } });
  const exited = once(worker, 'exit') as Promise<[number]>;
  // A failure to start arrives as the thread's error.
  const ready = Promise.race([once(worker, 'message'), exited.then(([code]) => Promise.reject(new Error(`broker thread exited with code ${code}`)))]).then(([r]) => r as BrokerThreadReady);
  return {
    ready,
    // The thread's queue holds a stop asked for during start-up until the broker is up.
    stop: () => worker.postMessage('stop'),
    closed: handledLater(
      exited.then(([code]) => {
        if (code !== 0) throw new Error(`broker thread exited with code ${code}`);
      }),
    ),
  };
}
