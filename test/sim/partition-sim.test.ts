/**
 * The partition-layer simulation in CI: a sweep of seeds in both durability modes, each with 2-4
 * partitions on the three brokers and, in some seeds, unclean leader election (every failure
 * names its seed; replay it with test/sim/partition-sim-sweep.ts --seed N), and the controls that
 * show the checker can fail: with acks=all answered before the in-sync replicas have the records,
 * the sweep finds acknowledged writes lost — with unclean elections allowed too, as those explain
 * only what the unclean leader lacked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPartitionSimulation } from '../../src/sim/partition-sim.js';

const CHAOS_MS = 3000;

/** The followers' fetches over a sweep: through sessions (incremental) mostly, full ones after each start and each lost session. */
const fetches = { full: 0, incremental: 0, sessionErrors: 0 };
/** What the sweep covered: partitions per run, runs with unclean election enabled, unclean elections made. */
const covered = { runs: 0, multiPartition: 0, uncleanRuns: 0, uncleanElections: 0 };

async function sweep(from: number, count: number, fsyncBeforeAck: boolean): Promise<string[]> {
  const failures: string[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const r = await runPartitionSimulation({ seed, chaosMs: CHAOS_MS, fsyncBeforeAck });
    fetches.full += r.fetches.full;
    fetches.incremental += r.fetches.incremental;
    fetches.sessionErrors += r.fetches.sessionErrors;
    covered.runs++;
    covered.multiPartition += r.partitions > 1 ? 1 : 0;
    covered.uncleanRuns += r.uncleanElection ? 1 : 0;
    covered.uncleanElections += r.uncleanElections;
    if (!r.ok) failures.push(`seed ${seed}: ${r.violation} (replay: node --import tsx test/sim/partition-sim-sweep.ts --seed ${seed} --chaos ${CHAOS_MS} --fsync ${fsyncBeforeAck ? 'on' : 'off'})`);
  }
  return failures;
}

test('no acknowledged acks=all write is lost with fsync before ack, whatever crashes (power loss) and partitions', async () => {
  assert.deepEqual(await sweep(1, 100, true), []);
});

test('no acknowledged acks=all write is lost without fsync when crashes are kill -9', async () => {
  assert.deepEqual(await sweep(101, 100, false), []);
});

test('followers fetched through fetch sessions', () => {
  assert.ok(fetches.full > 0 && fetches.incremental > fetches.full, `incremental fetches ${fetches.incremental}, full ${fetches.full}`);
});

test('the sweep ran several partitions per broker, and unclean elections where enabled', () => {
  assert.equal(covered.multiPartition, covered.runs, 'every run has several partitions');
  assert.ok(covered.uncleanRuns > 0 && covered.uncleanElections > 0, `unclean runs ${covered.uncleanRuns}, unclean elections ${covered.uncleanElections}`);
});

test('the same seed gives the same run', async () => {
  const a = await runPartitionSimulation({ seed: 7, chaosMs: CHAOS_MS });
  const b = await runPartitionSimulation({ seed: 7, chaosMs: CHAOS_MS });
  assert.deepEqual({ ...a, trace: a.trace.join('\n') }, { ...b, trace: b.trace.join('\n') });
  assert.ok(a.ackedAll > 0 && a.consumed > 0, 'the run acknowledged and consumed records');
});

test('control: acks=all answered without the ISR is caught by the checker', async () => {
  let found: string | undefined;
  for (let seed = 1; seed <= 30 && !found; seed++) {
    const r = await runPartitionSimulation({ seed, chaosMs: CHAOS_MS, faults: { acksAllWithoutIsr: true } });
    if (!r.ok) found = `seed ${seed}: ${r.violation}`;
  }
  assert.ok(found, 'the sweep found no violation with the defect');
});

test('control: with unclean elections allowed, acks=all answered without the ISR is still caught', async () => {
  let found: string | undefined;
  for (let seed = 1; seed <= 30 && !found; seed++) {
    const r = await runPartitionSimulation({ seed, chaosMs: CHAOS_MS, uncleanElection: true, faults: { acksAllWithoutIsr: true } });
    if (!r.ok) found = `seed ${seed}: ${r.violation}`;
  }
  assert.ok(found, 'the sweep found no violation with the defect');
});
