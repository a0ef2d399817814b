/**
 * Runs many seeds of the Raft simulation and reports every failure with its seed (replay one with
 * `--seed N`). `npm run test:sim -- --seeds 10000` (built) or
 * `node --import tsx test/controller/raft-sim-sweep.ts --seeds 200 --voters 3,5`.
 *
 *   --seeds N       how many seeds (default 1000)
 *   --from S        the first seed (default 1)
 *   --seed S        run exactly this seed and print its trace
 *   --voters 1,3,5  voter counts to cycle through (default 1,3,5)
 *   --chaos MS      chaos phase length in simulated ms (default 8000)
 *   --intensity X   how often chaos strikes, relative (default 1)
 *   --fault NAME    run every node with a deliberate defect (a RaftFaults key: grantVotesWithoutLogCheck,
 *                   skipFsync, commitOlderEpochs; with --workload metadata also a MetadataFaults key:
 *                   answerBeforeCommit, omitConfigsFromSnapshots, readCommittedState), to replay a control
 *   --workload W    kv (default: key=value records) or metadata (the metadata image and the controller)
 */
import { runRaftSimulation } from '../../src/sim/raft-sim.js';
import { simOptionsFor } from './raft-sim-options.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const single = arg('seed');
const count = single !== undefined ? 1 : Number(arg('seeds') ?? 1000);
const from = single !== undefined ? Number(single) : Number(arg('from') ?? 1);
const voterCounts = (arg('voters') ?? '1,3,5').split(',').map(Number);
const chaosMs = Number(arg('chaos') ?? 8000);
const intensity = Number(arg('intensity') ?? 1);
const fault = arg('fault');
const workload = arg('workload') === 'metadata' ? 'metadata' : 'kv';
const METADATA_FAULTS = ['answerBeforeCommit', 'omitConfigsFromSnapshots', 'readCommittedState'];
const faultOption = !fault ? {} : METADATA_FAULTS.includes(fault) ? { metadataFaults: { [fault]: true } } : { faults: { [fault]: true } };

const t0 = performance.now();
let failures = 0;
let steps = 0;
let elections = 0;
for (let i = 0; i < count; i++) {
  const seed = from + i;
  const report = await runRaftSimulation({ ...simOptionsFor(seed, voterCounts, chaosMs), chaosIntensity: intensity, workload, ...faultOption });
  steps += report.steps;
  elections += report.elections;
  if (!report.ok || single !== undefined) {
    if (!report.ok) failures++;
    console.log(`seed ${seed}: ${report.ok ? 'ok' : `VIOLATION ${report.violation}`} (steps ${report.steps}, t=${report.simTimeMs} ms, committed ${report.committedOffset})`);
    console.log(report.trace.map((t) => `  ${t}`).join('\n'));
    console.log(`  replay: node --import tsx test/controller/raft-sim-sweep.ts --seed ${seed} --voters ${voterCounts.join(',')} --chaos ${chaosMs} --intensity ${intensity} --workload ${workload}${fault ? ` --fault ${fault}` : ''}`);
  }
  if (single === undefined && (i + 1) % 500 === 0) console.log(`${i + 1} seeds, ${failures} failures, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const secs = (performance.now() - t0) / 1000;
console.log(`${count} ${workload} seeds from ${from}: ${failures} failures; ${steps} steps, ${elections} elections in ${secs.toFixed(1)} s`);
process.exitCode = failures > 0 ? 1 : 0;
