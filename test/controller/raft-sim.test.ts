/**
 * The Raft quorum under the deterministic simulator: hundreds of seeds of 1, 3 and 5 voters (some
 * with an observer) through crashes with power loss, partitions, lossy and slow links and skewed
 * clocks, with every safety invariant checked after every event and a leader and progress
 * required after the heal. A failure prints its seed and the command that replays it.
 * `npm run test:sim -- --seeds 10000` runs the long sweep.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRaftSimulation } from '../../src/sim/raft-sim.js';
import { simOptionsFor } from './raft-sim-options.js';

const SEEDS = Number(process.env['RAFT_SIM_SEEDS'] ?? 240);
const VOTERS = [1, 3, 5];
/** Shorter chaos than the sweep's 8 s, so the suite covers more seeds in its time. */
const CHAOS_MS = 5000;

describe('raft simulation', () => {
  it(`keeps every invariant and recovers after the heal, ${SEEDS} seeds of ${VOTERS.join('/')} voters`, async () => {
    const failures: string[] = [];
    let elections = 0;
    let snapshots = 0;
    let crashes = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = await runRaftSimulation(simOptionsFor(seed, VOTERS, CHAOS_MS));
      elections += r.elections;
      snapshots += r.snapshotsLoaded;
      crashes += r.crashes;
      if (!r.ok) {
        failures.push(`seed ${seed}: ${r.violation}\n${r.trace.slice(-25).map((t) => `    ${t}`).join('\n')}\n  replay: node --import tsx test/controller/raft-sim-sweep.ts --seed ${seed} --chaos ${CHAOS_MS}`);
      }
    }
    assert.deepEqual(failures, [], failures.join('\n'));
    // The runs exercised what they claim to: many elections, crashes and snapshot loads.
    assert.ok(elections > SEEDS, `${elections} elections`);
    assert.ok(crashes > SEEDS, `${crashes} crashes`);
    assert.ok(snapshots > SEEDS / 10, `${snapshots} snapshot loads`);
  });

  it('replays a seed exactly', async () => {
    const a = await runRaftSimulation(simOptionsFor(7, VOTERS));
    const b = await runRaftSimulation(simOptionsFor(7, VOTERS));
    assert.deepEqual(b, a);
    assert.ok(a.steps > 100 && a.trace.length > 5);
    const c = await runRaftSimulation(simOptionsFor(8, VOTERS));
    assert.notDeepEqual(c.trace, a.trace);
  });
});
