/** Every `samsa` subcommand, registered on the program in the order `--help` lists them. */
import type { Command } from 'commander';
import { registerBrokerCommand } from './broker.js';

export function registerCommands(program: Command): void {
  registerBrokerCommand(program);
}
