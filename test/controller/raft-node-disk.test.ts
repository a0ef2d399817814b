/**
 * The Raft client on the real disk (NodeDisk) and the real clock: a lone voter in a temporary
 * directory leads, commits, and after a restart finds its records and its epoch in files named
 * and formatted as Kafka's.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { systemClock } from '../../src/common/clock.js';
import { systemRandom } from '../../src/common/random.js';
import { type CommittedBatch, RaftClient, type RaftListener, quorumConfig } from '../../src/controller/raft/index.js';
import { nodeDisk } from '../../src/storage/node-disk.js';

function listener(): RaftListener & { records: string[] } {
  const records: string[] = [];
  return {
    records,
    handleCommit: (b: CommittedBatch) => void records.push(...b.records.map((r) => r.toString())),
    handleLoadSnapshot: () => undefined,
  };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

it('a lone voter on the real disk leads, commits, and keeps its log and epoch across a restart', async () => {
  const root = await mkdtemp(join(tmpdir(), 'samsa-raft-'));
  const logDir = join(root, 'meta', '__cluster_metadata-0');
  const transport = { send: () => Promise.reject(new Error('no peers')) };
  try {
    const l1 = listener();
    const a = new RaftClient({ nodeId: 1, config: quorumConfig([1]), logDir, disk: nodeDisk, clock: systemClock, random: systemRandom, transport, listener: l1 });
    await a.start();
    await until(() => a.leaderAndEpoch().leaderId === 1);
    a.append([Buffer.from('a=1'), Buffer.from('b=2')]);
    await until(() => l1.records.length === 2);
    await a.close();
    const files = (await readdir(logDir)).sort();
    assert.deepEqual(files, ['00000000000000000000.log', 'quorum-state']);
    const state = JSON.parse(await readFile(join(logDir, 'quorum-state'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(state, { clusterId: '', leaderId: 1, leaderEpoch: 1, votedId: 1, appliedOffset: 0, currentVoters: [{ voterId: 1 }], data_version: 0 });

    const l2 = listener();
    const b = new RaftClient({ nodeId: 1, config: quorumConfig([1]), logDir, disk: nodeDisk, clock: systemClock, random: systemRandom, transport, listener: l2 });
    await b.start();
    await until(() => b.leaderAndEpoch().leaderId === 1 && l2.records.length === 2);
    assert.equal(b.leaderAndEpoch().epoch, 2);
    assert.deepEqual(l2.records, ['a=1', 'b=2']);
    await b.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
