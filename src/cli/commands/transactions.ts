/**
 * `samsa transactions list|describe|describe-producers`, as Kafka's kafka-transactions.sh:
 * `list` prints every transactional id the coordinators hold (optionally only some states,
 * producer ids, or transactions open longer than `--duration-filter` ms), `describe` one id's
 * coordinator, producer, state, timeout, start time, duration and partitions, and
 * `describe-producers` the producers of a partition with their open transaction's first offset
 * (what to look at for a hanging transaction). `--json` for scripts.
 */
import type { Command } from 'commander';
import { type CommonOptions, collect, integer, withClient, withCommonOptions } from '../common.js';

export function registerTransactionsCommand(program: Command): void {
  const txns = program.command('transactions').description('list and describe transactions and the producers of a partition');

  withCommonOptions(txns.command('list').description('list the transactional ids the coordinators hold, with their state'))
    .option('-s, --state <state>', 'only transactions in this state: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence (repeatable)', collect, [])
    .option('--producer-id <id>', 'only transactions of this producer id (repeatable)', collect, [])
    .option('--duration-filter <ms>', 'only transactions open longer than this many milliseconds', integer)
    .action(async (opts: CommonOptions & { state: string[]; producerId: string[]; durationFilter?: number }) =>
      withClient(opts, async (client, out) => {
        const list = await client.admin().listTransactions({ states: opts.state, producerIds: opts.producerId.map((p) => BigInt(p)), ...(opts.durationFilter !== undefined ? { durationMs: opts.durationFilter } : {}) });
        out.table(['transactional id', 'coordinator', 'producer id', 'state'], list.map((t) => [t.transactionalId, t.coordinatorId, t.producerId, t.state]), list);
      }),
    );

  withCommonOptions(txns.command('describe [transactional-id]').description("a transactional id's producer, state, timeout, start and partitions"))
    .option('--transactional-id <id>', 'the transactional id (as kafka-transactions.sh takes it)')
    .action(async (positional: string | undefined, opts: CommonOptions & { transactionalId?: string }) =>
      withClient(opts, async (client, out) => {
        const id = positional ?? opts.transactionalId;
        if (id === undefined) throw new Error('give the transactional id (samsa transactions describe <id>, or --transactional-id <id>)');
        const [t] = await client.admin().describeTransactions([id]);
        const open = t!.startTimeMs >= 0n;
        const durationMs = open ? BigInt(Date.now()) - t!.startTimeMs : null;
        const partitions = t!.topics.flatMap((x) => x.partitions.map((p) => `${x.topic}-${p}`));
        out.table(
          ['coordinator', 'transactional id', 'producer id', 'producer epoch', 'state', 'timeout ms', 'start time ms', 'duration ms', 'partitions'],
          [[t!.coordinatorId, t!.transactionalId, t!.producerId, t!.producerEpoch, t!.state, t!.timeoutMs, open ? t!.startTimeMs : null, durationMs, partitions.join(',') || null]],
          { ...t!, durationMs },
        );
      }),
    );

  withCommonOptions(txns.command('describe-producers').description('the producers of a partition, with the first offset of each open transaction'))
    .requiredOption('-t, --topic <topic>', 'the topic')
    .requiredOption('-p, --partition <n>', 'the partition', integer)
    .action(async (opts: CommonOptions & { topic: string; partition: number }) =>
      withClient(opts, async (client, out) => {
        const producers = await client.admin().describeProducers(opts.topic, opts.partition);
        out.table(
          ['producer id', 'producer epoch', 'coordinator epoch', 'last sequence', 'last timestamp', 'txn start offset'],
          producers.map((p) => [p.producerId, p.producerEpoch, p.coordinatorEpoch, p.lastSequence, p.lastTimestamp, p.currentTransactionStartOffset < 0n ? null : p.currentTransactionStartOffset]),
          producers,
        );
      }),
    );
}
