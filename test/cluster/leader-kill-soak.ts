/**
 * The fault trials, long: `node dist/test/cluster/leader-kill-soak.js --kills 50` (part of
 * `npm run test:soak`); `--victim controller|alternate|two-brokers` for the other victims
 * (test/helpers/leader-kill-trial.ts; with `two-brokers`, `--kills` counts rounds of two kills).
 * Prints each kill and the counts per producer; exits 1 if an acknowledged record is missing, a
 * record is read twice, out of order, or was never sent, or if a write was acknowledged while the
 * ISR was below min.insync.replicas.
 */
import { VICTIMS, type Victim, runLeaderKillTrial } from '../helpers/leader-kill-trial.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

const kills = arg('--kills', 50);
const started = Date.now();
const vi = process.argv.indexOf('--victim');
const victim = (vi >= 0 ? process.argv[vi + 1] : 'leader') as Victim;
if (!VICTIMS.includes(victim)) throw new Error(`--victim: one of ${VICTIMS.join(', ')}`);
const report = await runLeaderKillTrial({ kills, victim, writesBetweenKills: arg('--writes', 100), log: (l) => console.log(l) });
let bad = report.foreign.length > 0;
for (const p of report.producers) {
  console.log(`${p.name}: sent ${p.sent}, acknowledged ${p.acknowledged}, failed ${p.failed}, read ${p.read}; missing ${p.missing.length}, duplicates ${p.duplicates.length}, out of order ${p.outOfOrder.length}, never sent ${p.neverSent.length}`);
  if (p.missing.length + p.duplicates.length + p.outOfOrder.length + p.neverSent.length > 0) {
    bad = true;
    console.log(JSON.stringify({ missing: p.missing.slice(0, 20), duplicates: p.duplicates.slice(0, 20), outOfOrder: p.outOfOrder.slice(0, 20), neverSent: p.neverSent.slice(0, 20) }));
  }
}
const ms = report.failovers.map((f) => f.firstAckMs).sort((a, b) => a - b);
const noFlight = report.failovers.filter((f) => f.samsaInFlight + f.rdkafkaInFlight === 0).length;
console.log(`${report.kills} kills in ${Math.round((Date.now() - started) / 1000)} s; ${report.totalRead} records read; kill -9 to a write acknowledged by the successor: median ${ms[Math.floor(ms.length / 2)]} ms, max ${ms[ms.length - 1]} ms; kills with no write in flight: ${noFlight}`);
for (const r of report.twoBrokerRounds) if (r.samsaAckedAlone + r.rdkafkaAckedAlone > 0 || r.probeError !== 'NOT_ENOUGH_REPLICAS') bad = true;
if (report.twoBrokerRounds.length > 0) {
  const back = report.twoBrokerRounds.map((r) => r.firstAckMs).sort((a, b) => a - b);
  console.log(`${report.twoBrokerRounds.length} rounds of two kills; probes while one broker was the ISR: ${[...new Set(report.twoBrokerRounds.map((r) => r.probeError))].join(', ')}; writes acknowledged meanwhile: ${report.twoBrokerRounds.reduce((n, r) => n + r.samsaAckedAlone + r.rdkafkaAckedAlone, 0)}; second kill to a write acknowledged after both restarts: median ${back[Math.floor(back.length / 2)]} ms, max ${back[back.length - 1]} ms`);
}
if (report.kills !== (victim === 'two-brokers' ? 2 * kills : kills)) bad = true;
process.exit(bad ? 1 : 0);
