/** Every `samsa` subcommand, registered on the program in the order `--help` lists them. */
import type { Command } from 'commander';

export function registerCommands(_program: Command): void {}
