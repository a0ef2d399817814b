/**
 * `samsa broker`: runs a broker in the foreground until SIGTERM or SIGINT, which shut it down
 * cleanly (stop accepting, answer in-flight requests, flush, mark a clean shutdown). The broker
 * runs on a worker thread of this process with a small V8 young generation (see
 * broker-thread.ts); the process is still one process, so `kill -9` kills the broker.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
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
    .option('--young-generation-mb <mb>', "V8 young generation of the broker thread in MiB (0: Node's default)", int, 6)
    .action(async (opts: { host?: string; port?: number; dataDir?: string; storage?: 'disk' | 'memory'; advertisedHost?: string; advertisedPort?: number; nodeId?: number; config?: string; override?: string[]; logLevel: string; logFormat?: LogFormat; youngGenerationMb: number }) => {
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
      const worker = new Worker(brokerThreadScript(), {
        workerData: options,
        ...(opts.youngGenerationMb > 0 ? { resourceLimits: { maxYoungGenerationSizeMb: opts.youngGenerationMb } } : {}),
      });
      const exited = once(worker, 'exit') as Promise<[number]>;
      // Before the ready line: a signal sent as soon as it is read must find the handler in place
      // (without one, the process dies at once). A stop asked for during start-up waits in the
      // thread's queue until the broker is up, then closes it.
      const stop = () => worker.postMessage('stop');
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      // A failure to start (a port in use, a bad config) arrives as the thread's error.
      const [broker] = (await Promise.race([once(worker, 'message'), exited.then(([code]) => Promise.reject(new Error(`broker thread exited with code ${code}`)))])) as [BrokerThreadReady];
      const others = broker.listeners.length > 1 ? `listeners ${broker.listeners.join(' ')}, ` : '';
      process.stdout.write(`samsa broker ${broker.nodeId} ready on ${broker.bootstrap} (${others}data ${broker.dataDir}, cluster ${broker.clusterId}, ${Date.now() - started} ms)\n`);
      const [code] = await exited;
      if (code !== 0) throw new Error(`broker thread exited with code ${code}`);
    });
}
