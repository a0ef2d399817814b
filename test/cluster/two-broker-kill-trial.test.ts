/**
 * The fault trial with two brokers down at once (test/helpers/leader-kill-trial.ts, victim
 * `two-brokers`): one controller-only node and three broker-only `samsa broker` processes, a
 * partition with replication factor 3 and min.insync.replicas=2. Each round `kill -9`s the leader,
 * then — before it is back — its successor, while idempotent acks=all producers (the Samsa client
 * and librdkafka) write. With the last broker the ISR alone, acks=all must be refused
 * (NOT_ENOUGH_REPLICAS) and nothing acknowledged; the producers retry until both are restarted and
 * back in the ISR. kcat then reads everything: no acknowledged write was lost.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLeaderKillTrial } from '../helpers/leader-kill-trial.js';

describe('two-broker kill trial', { timeout: 280_000 }, () => {
  it('two rounds of two kill -9s in a row: refused below min.insync.replicas, every acknowledged record read back once, in order', async () => {
    const report = await runLeaderKillTrial({ kills: 2, victim: 'two-brokers', writesBetweenKills: 50, log: (l) => console.log(`  ${l}`) });
    for (const p of report.producers) console.log(`  ${p.name}: sent ${p.sent}, acknowledged ${p.acknowledged}, failed ${p.failed}, read ${p.read}`);
    assert.equal(report.kills, 4);
    assert.equal(report.twoBrokerRounds.length, 2);
    for (const f of report.failovers) assert.ok(f.samsaInFlight + f.rdkafkaInFlight > 0, `writes were in flight when node ${f.victim} was killed`);
    for (const r of report.twoBrokerRounds) {
      assert.equal(r.probeError, 'NOT_ENOUGH_REPLICAS', `node ${r.survivor}, the ISR alone, refuses acks=all`);
      assert.deepEqual([r.samsaAckedAlone, r.rdkafkaAckedAlone], [0, 0], `nothing acknowledged while node ${r.survivor} was the ISR alone`);
    }
    assert.deepEqual(report.foreign, [], 'no probe was written');
    for (const p of report.producers) {
      assert.ok(p.acknowledged >= 100, `${p.name} had writes acknowledged (${p.acknowledged})`);
      assert.deepEqual(p.missing, [], `${p.name}: acknowledged records missing`);
      assert.deepEqual(p.duplicates, [], `${p.name}: records read twice`);
      assert.deepEqual(p.outOfOrder, [], `${p.name}: records out of order`);
      assert.deepEqual(p.neverSent, [], `${p.name}: records never sent`);
    }
  });
});
