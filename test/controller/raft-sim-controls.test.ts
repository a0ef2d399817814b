/**
 * Controls for the simulator: nodes with a deliberate defect must be caught. Each defect is a
 * classic way to break Raft; the checker must report a violation within a bounded number of
 * seeds, with a seed that replays it. If a control stops failing, the simulator has gone blind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RaftFaults } from '../../src/controller/raft/raft-core.js';
import { runRaftSimulation } from '../../src/sim/raft-sim.js';
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
    console.log(`  caught at seed ${found.seed}: ${found.violation}`);
    assert.match(found.violation, /lacks the entry|committed entry changed|not the committed entry|below its high watermark/);
  });

  it('acknowledging without fsync loses committed entries on power loss', async () => {
    const found = await firstViolation({ skipFsync: true }, 150);
    assert.ok(found, 'no violation in 150 seeds');
    console.log(`  caught at seed ${found.seed}: ${found.violation}`);
  });

  it('the correct node passes the same seeds', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = await runRaftSimulation(simOptionsFor(seed, [3, 5]));
      assert.ok(r.ok, `seed ${seed}: ${r.violation}`);
    }
  });
});
