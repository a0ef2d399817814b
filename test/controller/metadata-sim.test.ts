/**
 * The metadata quorum under the deterministic simulator: every node runs the real metadata image
 * (MetadataLoader) and the real QuorumController on its Raft client, driven by simulated brokers
 * (registration, heartbeats) and clients (topics, partitions, configs, producer ids) through
 * crashes, partitions, lossy links and skewed clocks. Checked after every event: each node's image
 * equals the image rebuilt from the committed log at the offset it applied (snapshot loads
 * included), and every answer a controller gave matches the committed log (metadata-workload.ts).
 * Controls: controllers with deliberate defects are caught. `npm run test:sim -- --workload metadata`
 * runs a long sweep.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RaftSimulation, runRaftSimulation } from '../../src/sim/raft-sim.js';
import type { MetadataFaults } from '../../src/sim/metadata-state-machine.js';
import { simOptionsFor } from './raft-sim-options.js';

const SEEDS = Number(process.env['METADATA_SIM_SEEDS'] ?? 150);
const VOTERS = [1, 3, 5];
const CHAOS_MS = 5000;

const options = (seed: number, voters = VOTERS) => ({ ...simOptionsFor(seed, voters, CHAOS_MS), workload: 'metadata' as const });

async function firstViolation(metadataFaults: MetadataFaults, maxSeeds: number): Promise<{ seed: number; violation: string } | undefined> {
  for (let seed = 1; seed <= maxSeeds; seed++) {
    const r = await runRaftSimulation({ ...options(seed, [3, 5]), metadataFaults });
    if (!r.ok) return { seed, violation: r.violation! };
  }
  return undefined;
}

describe('metadata quorum simulation', () => {
  it(`keeps every node's image equal to the committed log's and every answer true to it, ${SEEDS} seeds of ${VOTERS.join('/')} voters`, async () => {
    const failures: string[] = [];
    let acknowledged = 0;
    let snapshots = 0;
    let elections = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const sim = new RaftSimulation(options(seed));
      const r = await sim.run();
      acknowledged += sim.acknowledgedOperations;
      snapshots += r.snapshotsLoaded;
      elections += r.elections;
      if (!r.ok) failures.push(`seed ${seed}: ${r.violation}\n${r.trace.slice(-20).map((t) => `    ${t}`).join('\n')}\n  replay: node --import tsx test/controller/raft-sim-sweep.ts --workload metadata --seed ${seed} --chaos ${CHAOS_MS}`);
    }
    assert.deepEqual(failures, [], failures.join('\n'));
    assert.ok(acknowledged > SEEDS * 20, `${acknowledged} controller answers checked`);
    assert.ok(snapshots > SEEDS / 4, `${snapshots} snapshot loads`);
    assert.ok(elections > SEEDS, `${elections} elections`);
  });

  it('catches a controller that answers before its records are committed', async () => {
    const found = await firstViolation({ answerBeforeCommit: true }, 50);
    assert.ok(found, 'no violation in 50 seeds');
    assert.match(found.violation, /no committed|handed out before it was committed|overlaps/);
  });

  it('catches a controller that decides on the committed image, ignoring what it has pending', async () => {
    const found = await firstViolation({ readCommittedState: true }, 50);
    assert.ok(found, 'no violation in 50 seeds');
    assert.match(found.violation, /overlaps|no committed/);
  });

  it('catches snapshots that leave part of the image out', async () => {
    const found = await firstViolation({ omitConfigsFromSnapshots: true }, 50);
    assert.ok(found, 'no violation in 50 seeds');
    assert.match(found.violation, /differs from the state rebuilt from the committed log/);
  });

  it('replays a seed exactly', async () => {
    const a = await runRaftSimulation(options(11));
    const b = await runRaftSimulation(options(11));
    assert.deepEqual(b, a);
    assert.ok(a.committedOffset > 20);
  });
});
