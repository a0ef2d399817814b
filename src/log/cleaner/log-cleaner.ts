/** Placeholder until the cleaner lands (next commit). */
import type { LogEnv, PartitionLog } from '../partition-log.js';

export interface LogCleanerOptions {
  backoffMs?: number;
}

export class LogCleaner {
  constructor(private readonly opts: LogCleanerOptions & { env: LogEnv; dataDir: string; logs: () => Iterable<PartitionLog> }) {}
  start(): void {}
  async stop(): Promise<void> {}
  async writeCheckpoint(): Promise<void> {}
}
