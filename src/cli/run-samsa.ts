/**
 * The `samsa` command line. Each command lives in src/cli/commands/ and registers itself here.
 * Exit codes: 0 success, 1 a failure the command reports (a Kafka error, an unreachable broker,
 * records that failed), 2 bad usage (an unknown command or option, a missing argument).
 *
 * Run by main.ts (tsc's modules and the code-cache bundle) and by the start-up snapshot's main
 * function (snapshot-entry.ts). Everything here runs at run time, never while a snapshot is built:
 * the version is read from package.json, and the commands' defaults (some from the environment)
 * are set as the commands register.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';

/** Registers the commands this run needs, then runs the one asked for. */
export async function runSamsa(argv: string[]): Promise<void> {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const program = new Command('samsa')
    .description('Samsa: a Kafka-compatible event-streaming platform')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text) })
    // Set before the commands are added, so they inherit it.
    .exitOverride((err) => process.exit(['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code) ? 0 : 2));
  if (argv[2] === 'broker') {
    // `samsa broker` loads its own command only: the others' modules would delay the broker's start.
    const { registerBrokerCommand } = await import('./commands/broker.js');
    registerBrokerCommand(program);
  } else {
    const { registerCommands } = await import('./commands/index.js');
    registerCommands(program);
  }
  await program.parseAsync(argv);
}

/** Runs `samsa` with this process's arguments; a failure is printed and sets the exit code 1. */
export function runSamsaMain(): void {
  runSamsa(process.argv).catch((err: unknown) => {
    process.stderr.write(`samsa: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
