/**
 * `samsa metadata-quorum describe --status|--replication`: the metadata quorum (KRaft) as Kafka's
 * kafka-metadata-quorum.sh shows it, asked of any broker (which forwards DescribeQuorum to the
 * active controller). `--status`: cluster id, leader, epoch, high watermark, follower lag, voters
 * and observers; `--replication`: each voter's and observer's log end, lag and last fetch.
 */
import type { Command } from 'commander';
import type { QuorumDescription, QuorumReplica } from '../../client/index.js';
import { type CommonOptions, withClient, withCommonOptions } from '../common.js';

export function registerMetadataQuorumCommand(program: Command): void {
  const quorum = program.command('metadata-quorum').description('describe the metadata quorum (KRaft), as kafka-metadata-quorum.sh');
  withCommonOptions(quorum.command('describe').description('the quorum: --status (leader, epoch, high watermark, voters) or --replication (each replica\'s progress)'))
    .option('--status', 'leader, epoch, high watermark, lag, voters and observers')
    .option('--replication', 'log end offset, lag and last fetch of every voter and observer')
    .action(async (opts: CommonOptions & { status?: boolean; replication?: boolean }) => {
      if (opts.status === opts.replication) throw new Error('describe needs exactly one of --status and --replication');
      await withClient(opts, async (client, out) => {
        const admin = client.admin();
        const [q, cluster] = await Promise.all([admin.describeQuorum(), admin.describeCluster()]);
        if (opts.status) {
          const s = status(q, cluster.clusterId, Date.now());
          if (out.json) return out.result('', s);
          return out.line(
            [
              `ClusterId:              ${s.clusterId}`,
              `LeaderId:               ${s.leaderId}`,
              `LeaderEpoch:            ${s.leaderEpoch}`,
              `HighWatermark:          ${s.highWatermark}`,
              `MaxFollowerLag:         ${s.maxFollowerLag}`,
              `MaxFollowerLagTimeMs:   ${s.maxFollowerLagTimeMs}`,
              `CurrentVoters:          [${s.voters.join(',')}]`,
              `CurrentObservers:       [${s.observers.join(',')}]`,
            ].join('\n'),
          );
        }
        const rows = replication(q);
        out.table(['nodeId', 'logEndOffset', 'lag', 'lastFetchTimestamp', 'lastCaughtUpTimestamp', 'status'], rows.map((r) => [r.nodeId, r.logEndOffset, r.lag, r.lastFetchTimestamp, r.lastCaughtUpTimestamp, r.status]), rows);
      });
    });
}

/** Kafka's --status figures: lag is the leader's log end minus a voter's; lag time, now minus the oldest catch-up. */
export function status(q: QuorumDescription, clusterId: string | null, now: number) {
  const leader = q.voters.find((v) => v.nodeId === q.leaderId);
  const followers = q.voters.filter((v) => v.nodeId !== q.leaderId);
  const leaderEnd = leader?.logEndOffset ?? q.highWatermark;
  const maxLag = followers.reduce((m, f) => (leaderEnd - f.logEndOffset > m ? leaderEnd - f.logEndOffset : m), 0n);
  const caughtUp = followers.map((f) => Number(f.lastCaughtUpTimestamp)).filter((t) => t >= 0);
  return {
    clusterId,
    leaderId: q.leaderId,
    leaderEpoch: q.leaderEpoch,
    highWatermark: q.highWatermark,
    maxFollowerLag: maxLag,
    maxFollowerLagTimeMs: followers.length === 0 ? 0 : caughtUp.length < followers.length ? -1 : Math.max(0, now - Math.min(...caughtUp)),
    voters: q.voters.map((v) => v.nodeId),
    observers: q.observers.map((o) => o.nodeId),
  };
}

export function replication(q: QuorumDescription) {
  const leaderEnd = q.voters.find((v) => v.nodeId === q.leaderId)?.logEndOffset ?? q.highWatermark;
  const row = (r: QuorumReplica, status: string) => ({ nodeId: r.nodeId, logEndOffset: r.logEndOffset, lag: leaderEnd > r.logEndOffset ? leaderEnd - r.logEndOffset : 0n, lastFetchTimestamp: r.lastFetchTimestamp, lastCaughtUpTimestamp: r.lastCaughtUpTimestamp, status });
  return [...q.voters.map((v) => row(v, v.nodeId === q.leaderId ? 'Leader' : 'Follower')), ...q.observers.map((o) => row(o, 'Observer'))];
}
