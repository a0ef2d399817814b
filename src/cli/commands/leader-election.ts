/**
 * `samsa leader-election` (kafka-leader-election.sh): `--election-type preferred` moves
 * leadership back to each partition's first replica where it is in sync, for `--topic` and
 * `--partition`, or `--all-topic-partitions`; `--election-type unclean` gives a partition whose
 * leader is unavailable a leader, from outside the ISR if it must (what only the ISR had is lost). Exits non-zero when an election failed (not when it was not needed).
 */
import type { Command } from 'commander';
import { type CommonOptions, integer, withClient, withCommonOptions } from '../common.js';

const ELECTION_NOT_NEEDED = 84;

type Options = CommonOptions & { electionType: string; topic?: string; partition?: number; allTopicPartitions?: boolean };

export function registerLeaderElectionCommand(program: Command): void {
  withCommonOptions(program.command('leader-election').description('elect preferred leaders (as kafka-leader-election.sh)'))
    .requiredOption('--election-type <type>', 'preferred or unclean')
    .option('--topic <name>', 'the topic of the partition')
    .option('--partition <n>', 'the partition', integer)
    .option('--all-topic-partitions', 'every partition of every topic')
    .action(async (opts: Options) => {
      const type = opts.electionType.toLowerCase();
      if (type !== 'preferred' && type !== 'unclean') throw new Error(`--election-type must be preferred or unclean, not ${opts.electionType}`);
      if (opts.allTopicPartitions === (opts.topic !== undefined)) throw new Error('give --all-topic-partitions, or --topic with --partition');
      if (opts.topic !== undefined && opts.partition === undefined) throw new Error('--topic needs --partition');
      await withClient(opts, async (client, out) => {
        const wanted = opts.topic !== undefined ? [{ topic: opts.topic, partition: opts.partition! }] : null;
        const results = await client.admin().electLeaders(type, wanted);
        const elected = results.filter((r) => r.errorCode === 0);
        const notNeeded = results.filter((r) => r.errorCode === ELECTION_NOT_NEEDED);
        const failed = results.filter((r) => r.errorCode !== 0 && r.errorCode !== ELECTION_NOT_NEEDED);
        const names = (rs: typeof results) => rs.map((r) => `${r.topic}-${r.partition}`).join(', ');
        const lines = [
          elected.length > 0 ? `Successfully completed leader election (${type}) for partitions ${names(elected)}` : '',
          notNeeded.length > 0 ? `Valid replica already elected for partitions ${names(notNeeded)}` : '',
          ...failed.map((r) => `Election failed for ${r.topic}-${r.partition}: ${r.errorMessage ?? r.errorCode}`),
        ].filter((l) => l !== '');
        out.result(lines.length > 0 ? lines.join('\n') : 'No partition needed an election', results);
        if (failed.length > 0) process.exitCode = 1;
      });
    });
}
