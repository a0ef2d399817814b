/**
 * Controls for the simulator: nodes with a deliberate defect must be caught. Each defect is a
 * classic way to break Raft; the checker must report a violation within a bounded number of
 * seeds, with a seed that replays it. If a control stops failing, the simulator has gone blind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RaftFaults } from '../../src/controller/raft/raft-core.js';
import { runRaftSimulation } from '../../src/sim/raft-sim.js';
import { InvariantViolation, SimCluster, type SimNode } from '../../src/sim/sim-cluster.js';
import { simOptionsFor } from './raft-sim-options.js';

async function firstViolation(faults: RaftFaults, maxSeeds: number): Promise<{ seed: number; violation: string } | undefined> {
  for (let seed = 1; seed <= maxSeeds; seed++) {
    const r = await runRaftSimulation({ ...simOptionsFor(seed, [3, 5]), faults });
    if (!r.ok) return { seed, violation: r.violation! };
  }
  return undefined;
}

describe('raft simulation controls: a broken node is caught', () => {
  it('votes granted without the log-up-to-date check lose committed entries', async () => {
    const found = await firstViolation({ grantVotesWithoutLogCheck: true }, 60);
    assert.ok(found, 'no violation in 60 seeds');
    console.log(`  caught at seed ${found.seed}: ${found.violation}\n  replay: node --import tsx test/controller/raft-sim-sweep.ts --seed ${found.seed} --voters 3,5 --fault grantVotesWithoutLogCheck`);
    assert.match(found.violation, /lacks the entry|committed entry changed|not the committed entry|below its high watermark/);
  });

  it('acknowledging without fsync loses committed entries on power loss', async () => {
    const found = await firstViolation({ skipFsync: true }, 150);
    assert.ok(found, 'no violation in 150 seeds');
    console.log(`  caught at seed ${found.seed}: ${found.violation}\n  replay: node --import tsx test/controller/raft-sim-sweep.ts --seed ${found.seed} --voters 3,5 --fault skipFsync`);
  });

  it("Raft's figure 8: a leader that counts replicas of an older epoch's entry commits what a later leader erases", async () => {
    const faulty = await figure8({ commitOlderEpochs: true });
    assert.ok(faulty.violation, 'the defect is caught');
    console.log(`  caught: ${faulty.violation}`);
    const correct = await figure8({});
    assert.equal(correct.violation, undefined, correct.violation);
    assert.ok(correct.reachedEnd, 'the correct run went through every step');
  });

  it('the correct node passes the same seeds', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = await runRaftSimulation(simOptionsFor(seed, [3, 5]));
      assert.ok(r.ok, `seed ${seed}: ${r.violation}`);
    }
  });
});

/**
 * Figure 8 of the Raft paper, in KRaft terms, on five voters with one batch per Fetch:
 * 1. leader L writes X in its epoch; only A gets it; A goes down;
 * 2. the other three elect M, whose LeaderChange lands at X's offset; M goes down at once;
 * 3. L (the only one left with X) is elected again and sends X to the two others P and Q; the
 *    answers to their next fetches (which would carry L's own LeaderChange) are lost, so X is on
 *    a majority but no entry of L's new epoch is;
 * 4. L goes down; M returns and, its last epoch being higher than X's, is elected by P and Q and
 *    truncates X.
 * X was committed only if L counted it in step 3: the defect. With the correct rule L commits
 * nothing in step 3, and losing X is no violation.
 */
async function figure8(faults: RaftFaults): Promise<{ violation: string | undefined; reachedEnd: boolean }> {
  const c = new SimCluster({ seed: 3, voters: 5, diskLatencyMs: 0, faults, config: { fetchMaxBytes: 1 } });
  c.startAll();
  const leaderAmong = (ns: readonly SimNode[]) => c.leaders().find((n) => ns.includes(n));
  try {
    await c.runUntil(() => c.leaders().length === 1, 5000);
    const L = c.leaders()[0]!;
    await c.run(500);
    const [A, ...rest] = c.nodes.filter((n) => n !== L);
    c.network.partition([[L.id, A!.id], rest.map((n) => n.id)]);
    const x = L.client.log.endOffset;
    L.client.append([Buffer.from('X=1')]);
    await c.runUntil(() => A!.client.log.flushedEndOffset > x, 5000, 1);
    A!.crash(false);
    let M: SimNode | undefined;
    await c.runUntil(() => (M = leaderAmong(rest)) !== undefined, 5000, 1);
    M!.crash(false);
    const [P, Q] = rest.filter((n) => n !== M);
    c.network.healLinks();
    await c.runUntil(() => L.client.quorum.state.name === 'Leader' && L.client.quorum.epoch > 2, 10_000, 1);
    // Step 3: once P or Q holds X, L's answers to it are lost.
    const cutOnceHoldingX = () => {
      for (const n of [P!, Q!]) if (n.client.log.endOffset > x) c.network.cutLink(L.id, n.id);
    };
    const until = c.world.now + 2000;
    while (L.client.highWatermark <= x && c.world.now < until) await c.run(1, cutOnceHoldingX);
    assert.ok([P!, Q!].every((n) => n.client.log.endOffset === x + 1), 'P and Q hold X and nothing of the new epoch');
    L.crash(false);
    c.network.healLinks();
    void M!.start();
    await c.runUntil(() => leaderAmong([M!, P!, Q!]) === M, 10_000);
    await c.run(2000);
    return { violation: c.checker.violation, reachedEnd: true };
  } catch (err) {
    if (err instanceof InvariantViolation) return { violation: err.message, reachedEnd: false };
    throw err;
  }
}
