/** Every `samsa` subcommand, registered on the program in the order `--help` lists them. */
import type { Command } from 'commander';
import { registerAclsCommand } from './acls.js';
import { registerBrokerCommand } from './broker.js';
import { registerClusterCommand } from './cluster.js';
import { registerConsumeCommand } from './consume.js';
import { registerDumpLogCommand } from './dump-log.js';
import { registerGroupsCommand } from './groups.js';
import { registerLeaderElectionCommand } from './leader-election.js';
import { registerLogDirsCommand } from './log-dirs.js';
import { registerMetadataQuorumCommand } from './metadata-quorum.js';
import { registerPerfCommand } from './perf.js';
import { registerProduceCommand } from './produce.js';
import { registerQuotasCommand } from './quotas.js';
import { registerReassignPartitionsCommand } from './reassign-partitions.js';
import { registerStorageCommand } from './storage.js';
import { registerTopicsCommand } from './topics.js';
import { registerTransactionsCommand } from './transactions.js';
import { registerUsersCommand } from './users.js';

export function registerCommands(program: Command): void {
  registerBrokerCommand(program);
  registerTopicsCommand(program);
  registerProduceCommand(program);
  registerConsumeCommand(program);
  registerGroupsCommand(program);
  registerTransactionsCommand(program);
  registerPerfCommand(program);
  registerAclsCommand(program);
  registerUsersCommand(program);
  registerQuotasCommand(program);
  registerClusterCommand(program);
  registerMetadataQuorumCommand(program);
  registerReassignPartitionsCommand(program);
  registerLeaderElectionCommand(program);
  registerLogDirsCommand(program);
  registerStorageCommand(program);
  registerDumpLogCommand(program);
}
