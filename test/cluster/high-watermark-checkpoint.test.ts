/**
 * The high-watermark checkpoint across a restart, on three in-process nodes with their logs on
 * disk: a leader holds records its followers have not fetched (its high watermark below its log
 * end), shuts down, and comes back as a follower that cannot reach its new leader yet. It starts
 * from the high watermark it had (replication-offset-checkpoint), not from its log end — which
 * holds records the cluster never committed.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunningBroker } from '../../src/broker/broker.js';
import { SamsaClient, stringSerde } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { inProcessClusterSuite, inProcessNode } from '../helpers/test-cluster.js';
import { eventually } from '../helpers/eventually.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


interface Internals {
  replicaManager: { getPartition(t: string, p: number): { highWatermark: bigint; logEndOffset: bigint } | undefined };
}

const partitionOf = (n: RunningBroker) => (n as unknown as Internals).replicaManager.getPartition('hw', 0);

const CONFIG = { 'broker.session.timeout.ms': 2000, 'broker.heartbeat.interval.ms': 300, 'replica.lag.time.max.ms': 30000, 'replica.fetch.backoff.ms': 100, 'auto.leader.rebalance.enable': 'false' };

describe('high-watermark checkpoint', { timeout: 120_000 }, () => {
  const cluster = inProcessClusterSuite(3, {}, CONFIG);

  it('a restarted replica starts from the high watermark it had, not from its log end', async () => {
    const client = new SamsaClient({ bootstrapServers: cluster.nodes.map((n) => n.bootstrap) });
    try {
      await client.admin().createTopics([{ name: 'hw', partitions: 1, replicationFactor: 3 }]);
      for (const n of cluster.nodes) await eventually('the topic everywhere with a full ISR', 10_000, () => n.metadata.topic('hw')?.partitions[0]?.isr.length === 3);
      const leaderId = cluster.nodes[0]!.metadata.topic('hw')!.partitions[0]!.leader;
      const leader = cluster.nodes.find((n) => n.nodeId === leaderId)!;
      const all = client.producer({ valueSerializer: stringSerde, acks: 'all' });
      for (let i = 0; i < 5; i++) await all.send('hw', { value: `c${i}` });
      // Followers get nothing more from this leader: what it takes now with acks=1 stays above its high watermark.
      leader.faults.inject({ apiKey: ApiKey.Fetch, topic: 'hw' }, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR });
      await sleep(1000);
      const one = client.producer({ valueSerializer: stringSerde, acks: 1, idempotent: false });
      for (let i = 0; i < 5; i++) await one.send('hw', { value: `u${i}` });
      assert.deepEqual([partitionOf(leader)!.highWatermark, partitionOf(leader)!.logEndOffset], [5n, 10n]);
      await one.close();
      await all.close();
      await leader.close();
      cluster.nodes = cluster.nodes.filter((n) => n !== leader);
      const file = await readFile(join(cluster.layout.dirs.get(leaderId)!, 'replication-offset-checkpoint'), 'utf8');
      assert.match(file, /^0\n\d+\n/, 'version and count');
      assert.ok(file.split('\n').includes('hw 0 5'), `the high watermark at shutdown in the checkpoint: ${JSON.stringify(file)}`);
      await eventually('a new leader', 10_000, () => cluster.nodes.every((n) => { const p = n.metadata.topic('hw')!.partitions[0]!; return p.leader >= 0 && p.leader !== leaderId; }));
      const newLeader = cluster.nodes.find((n) => n.nodeId === cluster.nodes[0]!.metadata.topic('hw')!.partitions[0]!.leader)!;
      // The restarted node may not fetch or truncate yet: its high watermark is the one it started with.
      newLeader.faults.inject({ apiKey: ApiKey.Fetch, topic: 'hw' }, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR });
      newLeader.faults.inject({ apiKey: ApiKey.OffsetForLeaderEpoch, topic: 'hw' }, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR });
      const restarted = await inProcessNode(cluster.layout, leaderId, {}, CONFIG);
      cluster.nodes.push(restarted);
      await eventually('the restarted node holds the partition', 10_000, () => partitionOf(restarted) !== undefined);
      const p = partitionOf(restarted)!;
      assert.equal(p.logEndOffset, 10n, 'not truncated yet');
      assert.equal(p.highWatermark, 5n, 'the checkpointed high watermark, not the log end');
    } finally {
      await client.close();
    }
  });
});
