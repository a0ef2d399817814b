/**
 * The leader-kill fault trial, short (test/helpers/leader-kill-trial.ts): five `kill -9`s of the
 * leader of a partition with replication factor 3 and min.insync.replicas=2 while idempotent
 * acks=all producers (the Samsa client and librdkafka) write to it; kcat then reads everything.
 * `npm run test:soak` runs it with 50 kills (test/cluster/leader-kill-soak.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLeaderKillTrial } from '../helpers/leader-kill-trial.js';

describe('leader kill trial', { timeout: 280_000 }, () => {
  it('five kill -9s of the leader: every acknowledged record read back once, in order, nothing never sent', async () => {
    const report = await runLeaderKillTrial({ kills: 5, writesBetweenKills: 50, log: (l) => console.log(`  ${l}`) });
    for (const p of report.producers) console.log(`  ${p.name}: sent ${p.sent}, acknowledged ${p.acknowledged}, failed ${p.failed}, read ${p.read}`);
    assert.equal(report.kills, 5);
    for (const f of report.failovers) assert.ok(f.samsaInFlight + f.rdkafkaInFlight > 0, `writes were in flight when node ${f.victim} was killed`);
    assert.deepEqual(report.foreign, []);
    for (const p of report.producers) {
      assert.ok(p.acknowledged >= 250, `${p.name} had writes acknowledged (${p.acknowledged})`);
      assert.deepEqual(p.missing, [], `${p.name}: acknowledged records missing`);
      assert.deepEqual(p.duplicates, [], `${p.name}: records read twice`);
      assert.deepEqual(p.outOfOrder, [], `${p.name}: records out of order`);
      assert.deepEqual(p.neverSent, [], `${p.name}: records never sent`);
    }
  });
});
