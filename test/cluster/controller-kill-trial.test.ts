/**
 * The fault trial with the active controller as the victim (test/helpers/leader-kill-trial.ts):
 * three combined `samsa broker` processes, four `kill -9`s of whichever node is the active
 * controller — the partition's leader or a follower — while idempotent acks=all producers (the
 * Samsa client and librdkafka) write; kcat then reads everything. `node
 * dist/test/cluster/leader-kill-soak.js --victim controller --kills N` runs it longer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLeaderKillTrial } from '../helpers/leader-kill-trial.js';

describe('active controller kill trial', { timeout: 280_000 }, () => {
  it('four kill -9s of the active controller: every acknowledged record read back once, in order, nothing never sent', async () => {
    const report = await runLeaderKillTrial({ kills: 4, victim: 'controller', writesBetweenKills: 50, log: (l) => console.log(`  ${l}`) });
    for (const p of report.producers) console.log(`  ${p.name}: sent ${p.sent}, acknowledged ${p.acknowledged}, failed ${p.failed}, read ${p.read}`);
    assert.equal(report.kills, 4);
    for (const f of report.failovers) assert.ok(f.samsaInFlight + f.rdkafkaInFlight > 0, `writes were in flight when node ${f.victim} was killed`);
    assert.deepEqual(report.foreign, []);
    for (const p of report.producers) {
      assert.ok(p.acknowledged >= 200, `${p.name} had writes acknowledged (${p.acknowledged})`);
      assert.deepEqual(p.missing, [], `${p.name}: acknowledged records missing`);
      assert.deepEqual(p.duplicates, [], `${p.name}: records read twice`);
      assert.deepEqual(p.outOfOrder, [], `${p.name}: records out of order`);
      assert.deepEqual(p.neverSent, [], `${p.name}: records never sent`);
    }
  });
});
