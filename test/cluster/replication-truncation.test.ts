/**
 * Truncation by leader epoch (KIP-101/KIP-279) on three in-process nodes with their logs on disk:
 * a leader appends records with acks=1 that no follower fetched, shuts down, a follower becomes
 * leader with a new epoch and takes other records at the same offsets; the old leader, restarted,
 * truncates what diverges and ends with exactly the new leader's batches (offsets and epochs).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SamsaClient, stringSerde } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { inProcessClusterSuite, inProcessNode } from '../helpers/test-cluster.js';
import { replicaBatches } from '../helpers/replica-batches.js';
import { eventually as eventuallyHolds } from '../helpers/eventually.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check`; a check that throws counts as not yet (reading a follower's log races with its truncation). */
const eventually = (what: string, ms: number, check: () => boolean | Promise<boolean>) => eventuallyHolds(what, ms, check, { tolerateErrors: true });

const CONFIG = { 'broker.session.timeout.ms': 2000, 'broker.heartbeat.interval.ms': 300, 'replica.lag.time.max.ms': 30000, 'replica.fetch.backoff.ms': 100 };

describe('truncation by leader epoch', { timeout: 120_000 }, () => {
  const cluster = inProcessClusterSuite(3, {}, CONFIG);

  it('a restarted leader cuts the records it alone had and takes the new leader\'s', async () => {
    const client = new SamsaClient({ bootstrapServers: cluster.nodes.map((n) => n.bootstrap) });
    try {
      const admin = client.admin();
      await admin.createTopics([{ name: 'div', partitions: 1, replicationFactor: 3 }]);
      for (const n of cluster.nodes) await eventually('the topic everywhere with a full ISR', 10_000, () => n.metadata.topic('div')?.partitions[0]?.isr.length === 3);
      const leaderId = cluster.nodes[0]!.metadata.topic('div')!.partitions[0]!.leader;
      const leader = cluster.nodes.find((n) => n.nodeId === leaderId)!;
      const all = client.producer({ valueSerializer: stringSerde, acks: 'all' });
      for (let i = 0; i < 5; i++) await all.send('div', { value: `c${i}` });
      for (const n of cluster.nodes) await eventually('the committed records on every replica', 5000, async () => (await replicaBatches(n, 'div')).length === 5);
      // Followers get nothing more from this leader; what it takes now with acks=1 is its alone.
      leader.faults.inject({ apiKey: ApiKey.Fetch, topic: 'div' }, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR });
      // Fetches already waiting at the leader (replica.fetch.wait.max.ms, 500 ms) are answered first.
      await sleep(1000);
      const one = client.producer({ valueSerializer: stringSerde, acks: 1, idempotent: false });
      for (let i = 0; i < 5; i++) await one.send('div', { value: `lost${i}` });
      const diverged = await replicaBatches(leader, 'div');
      assert.equal(diverged.length, 10);
      await one.close();
      await all.close();
      await leader.close();
      cluster.nodes = cluster.nodes.filter((n) => n !== leader);
      await eventually('a new leader', 10_000, () => cluster.nodes.every((n) => { const p = n.metadata.topic('div')!.partitions[0]!; return p.leader >= 0 && p.leader !== leaderId; }));
      const newLeader = cluster.nodes.find((n) => n.nodeId === cluster.nodes[0]!.metadata.topic('div')!.partitions[0]!.leader)!;
      const epoch = newLeader.metadata.topic('div')!.partitions[0]!.leaderEpoch;
      const fresh = new SamsaClient({ bootstrapServers: cluster.nodes.map((n) => n.bootstrap) });
      const next = fresh.producer({ valueSerializer: stringSerde, acks: 'all' });
      for (let i = 0; i < 3; i++) await next.send('div', { value: `n${i}` });
      await fresh.close();
      const expected = await replicaBatches(newLeader, 'div');
      assert.deepEqual(expected.slice(5), [`5-5@${epoch}`, `6-6@${epoch}`, `7-7@${epoch}`]);
      const restarted = await inProcessNode(cluster.layout, leaderId, {}, CONFIG);
      cluster.nodes.push(restarted);
      await eventually('the restarted node holds exactly the new leader\'s batches', 20_000, async () => JSON.stringify(await replicaBatches(restarted, 'div')) === JSON.stringify(expected));
      await eventually('the restarted node back in the ISR', 20_000, () => restarted.metadata.topic('div')!.partitions[0]!.isr.includes(leaderId));
      assert.deepEqual(diverged.slice(0, 5), expected.slice(0, 5), 'the committed prefix is untouched');
    } finally {
      await client.close();
    }
  });
});
