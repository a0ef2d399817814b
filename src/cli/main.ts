#!/usr/bin/env node
/**
 * The `samsa` command line. Each command lives in src/cli/commands/ and registers itself here.
 * Exit codes: 0 success, 1 a failure the command reports (a Kafka error, an unreachable broker,
 * records that failed), 2 bad usage (an unknown command or option, a missing argument).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('samsa')
  .description('Samsa: a Kafka-compatible event-streaming platform')
  .version(pkg.version)
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (text, write) => write(text) })
  // Set before the commands are added, so they inherit it.
  .exitOverride((err) => process.exit(['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code) ? 0 : 2));

/** Registers the commands this run needs, then runs the one asked for. */
async function main(): Promise<void> {
  if (process.argv[2] === 'broker') {
    // `samsa broker` loads its own command only: the others' modules would delay the broker's start.
    const { registerBrokerCommand } = await import('./commands/broker.js');
    registerBrokerCommand(program);
  } else {
    // A reader that went away (`samsa topics list | head -1`) ends the command quietly, as Kafka's
    // scripts carry on and C tools die of SIGPIPE: not with an unhandled EPIPE and its stack.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(0);
    });
    const { registerCommands } = await import('./commands/index.js');
    registerCommands(program);
  }
  await program.parseAsync(process.argv);
}

// No top-level await: this entry is also bundled as CommonJS (scripts/bundle.ts), which has none.
main().catch((err: unknown) => {
  process.stderr.write(`samsa: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
