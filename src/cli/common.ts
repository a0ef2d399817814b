/**
 * What the client commands share: `--bootstrap-server` (default 127.0.0.1:9092, or
 * SAMSA_BOOTSTRAP_SERVER), `--command-config` (Kafka's client configs for TLS and SASL, as Kafka's
 * tools take them), `--json`, `key=value` option parsing, and a client that is closed when the
 * command ends.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { SamsaClient } from '../client/index.js';
import { Output } from './output.js';

export interface CommonOptions {
  bootstrapServer: string;
  commandConfig?: string;
  json?: boolean;
}

export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('-b, --bootstrap-server <host:port>', 'broker to connect to (comma-separated for several)', process.env['SAMSA_BOOTSTRAP_SERVER'] ?? '127.0.0.1:9092')
    .option('--command-config <file>', "Kafka client configs: security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location, …", process.env['SAMSA_COMMAND_CONFIG'])
    .option('--json', 'print JSON for scripts instead of tables');
}

/** Runs `fn` with a client and an output, closing the client afterwards. */
export async function withClient<T>(opts: CommonOptions, fn: (client: SamsaClient, out: Output) => Promise<T>): Promise<T> {
  // Loaded here, so that `samsa broker` and `--help` do not load the client.
  const { SamsaClient } = await import('../client/index.js');
  const security = opts.commandConfig ? (await import('./client-config.js')).clientOptionsFromFile(opts.commandConfig) : {};
  const client = new SamsaClient({ bootstrapServers: opts.bootstrapServer.split(',').map((s) => s.trim()), clientId: 'samsa-cli', retry: { retries: 2, initialBackoffMs: 100 }, ...security });
  try {
    return await fn(client, new Output(opts.json === true));
  } finally {
    await client.close();
  }
}

/** Collects repeated `key=value` options into a record. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`not an integer: ${value}`);
  return n;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
