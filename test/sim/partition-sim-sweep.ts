/**
 * Runs many seeds of the partition-layer simulation (src/sim/partition-sim.ts) and reports every
 * failure with its seed and how to replay it. `npm run test:psim -- --seeds 1000` (built), or
 * `node --import tsx test/sim/partition-sim-sweep.ts --seed 17` to replay one with its trace.
 *
 *   --seeds N       how many seeds (default 200)
 *   --from S        the first seed (default 1)
 *   --seed S        run exactly this seed and print its trace
 *   --chaos MS      chaos phase length in simulated ms (default 6000)
 *   --fsync on|off  samsa.fsync.before.ack (default: chosen by each seed)
 *   --crash power|kill  how brokers crash (default: power loss with fsync on, kill -9 with it off)
 *   --partitions N  the topic's partitions (default: 2 to 4, chosen by each seed)
 *   --unclean on|off  unclean.leader.election.enable (default: chosen by each seed)
 *   --fault NAME    run with a deliberate defect (acksAllWithoutIsr), to replay a control
 */
import { runPartitionSimulation } from '../../src/sim/partition-sim.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const single = arg('seed');
const count = single !== undefined ? 1 : Number(arg('seeds') ?? 200);
const from = single !== undefined ? Number(single) : Number(arg('from') ?? 1);
const chaosMs = Number(arg('chaos') ?? 6000);
const fsync = arg('fsync');
const fault = arg('fault');
const crash = arg('crash');
const partitions = arg('partitions');
const unclean = arg('unclean');

const t0 = performance.now();
let failures = 0;
let acked = 0;
const totals = { uncleanRuns: 0, uncleanElections: 0, lostToUnclean: 0, partitions: 0, full: 0, incremental: 0 };
for (let i = 0; i < count; i++) {
  const seed = from + i;
  const report = await runPartitionSimulation({ seed, chaosMs, ...(fsync ? { fsyncBeforeAck: fsync === 'on' } : {}), ...(fault ? { faults: { [fault]: true } } : {}), ...(crash ? { crashes: crash === 'power' ? ('power-loss' as const) : ('kill' as const) } : {}), ...(partitions ? { partitions: Number(partitions) } : {}), ...(unclean ? { uncleanElection: unclean === 'on' } : {}) });
  acked += report.ackedAll;
  totals.uncleanRuns += report.uncleanElection ? 1 : 0;
  totals.uncleanElections += report.uncleanElections;
  totals.lostToUnclean += report.lostToUnclean;
  totals.partitions += report.partitions;
  totals.full += report.fetches.full;
  totals.incremental += report.fetches.incremental;
  if (!report.ok || single !== undefined) {
    if (!report.ok) failures++;
    console.log(`seed ${seed}: ${report.ok ? 'ok' : `VIOLATION ${report.violation}`} (fsync.before.ack=${report.fsyncBeforeAck}, min.isr=${report.minInsyncReplicas}, ${report.partitions} partitions, unclean ${report.uncleanElection ? `on: ${report.uncleanElections} elections, ${report.lostToUnclean} acks=all records lost to them` : 'off'}, ${report.ackedAll} acks=all acknowledged, epoch ${report.leaderEpoch}, steps ${report.steps}, t=${report.simTimeMs} ms)`);
    console.log(report.trace.map((t) => `  ${t}`).join('\n'));
    console.log(`  replay: node --import tsx test/sim/partition-sim-sweep.ts --seed ${seed} --chaos ${chaosMs}${fsync ? ` --fsync ${fsync}` : ''}${fault ? ` --fault ${fault}` : ''}${crash ? ` --crash ${crash}` : ''}${partitions ? ` --partitions ${partitions}` : ''}${unclean ? ` --unclean ${unclean}` : ''}`);
  }
  if (single === undefined && (i + 1) % 100 === 0) console.log(`${i + 1} seeds, ${failures} failures, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const secs = (performance.now() - t0) / 1000;
console.log(`${count} partition seeds from ${from}: ${failures} failures; ${acked} acks=all acknowledged in ${secs.toFixed(1)} s`);
console.log(`  ${totals.partitions} partitions; follower fetches ${totals.full} full, ${totals.incremental} incremental; unclean election enabled in ${totals.uncleanRuns} runs: ${totals.uncleanElections} unclean elections, ${totals.lostToUnclean} acknowledged acks=all records lost to them`);
process.exitCode = failures > 0 ? 1 : 0;
