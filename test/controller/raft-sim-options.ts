/** The simulation options a seed stands for, shared by the test suite and the sweep script. */
import type { RaftSimOptions } from '../../src/sim/raft-sim.js';

export function simOptionsFor(seed: number, voterCounts: readonly number[], chaosMs = 8000): RaftSimOptions {
  const voters = voterCounts[seed % voterCounts.length]!;
  return { seed, voters, observers: seed % 4 === 0 ? 1 : 0, chaosMs, livenessBoundMs: 15_000 };
}
