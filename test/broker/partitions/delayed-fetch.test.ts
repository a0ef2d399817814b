/**
 * The fetch purgatory (delayed-fetch.ts): a held fetch of many partitions is one waiter, woken by
 * the partition that changed and checking that partition alone; answered on enough bytes, on news
 * a follower must hear, or at its timeout; its registrations gone once answered.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/common/clock.js';
import { DelayedFetchPurgatory, unchangedSinceRead } from '../../../src/broker/partitions/delayed-fetch.js';
import type { FetchOutcome, FetchParams, FetchTarget } from '../../../src/broker/partitions/fetch-messages.js';
import type { Partition } from '../../../src/broker/partitions/partition.js';

/** The part of a Partition the purgatory reads, counting how often it is looked at. */
class FakePartition {
  highWatermark = 10n;
  lastStableOffset = 10n;
  logEndOffset = 10n;
  acknowledgedEnd = 10n;
  logStartOffset = 0n;
  visible = 100;
  looks = 0;
  error: number | undefined = undefined;
  leaderError(): number | undefined {
    this.looks++;
    return this.error;
  }
  visibleBytesFor(): number {
    return this.visible;
  }
}

function held(n: number, isolation: FetchParams['isolation'], minBytes = 1) {
  const parts = Array.from({ length: n }, () => new FakePartition());
  const targets: FetchTarget[] = parts.map((p) => ({ partition: p as unknown as Partition, fetchOffset: 10n, maxBytes: 1 << 20, currentLeaderEpoch: -1 }));
  const first: FetchOutcome[] = parts.map((p) => ({ errorCode: 0, highWatermark: p.highWatermark, lastStableOffset: p.highWatermark, logStartOffset: 0n, abortedTransactions: null, chunks: [], bytes: 0, visibleBytesAtRead: p.visible }));
  return { parts, targets, first, params: { maxWaitMs: 500, minBytes, maxBytes: 1 << 20, isolation } as FetchParams };
}

const as = (p: FakePartition) => p as unknown as Partition;

describe('DelayedFetchPurgatory', () => {
  it('wakes a fetch of 1,000 partitions from the one that changed, checking that one alone', async () => {
    const clock = new ManualClock();
    const purgatory = new DelayedFetchPurgatory(clock, 100);
    const { parts, targets, first, params } = held(1000, 'log-end');
    let answered = false;
    const wait = purgatory.wait(targets, first, params).then(() => (answered = true));
    assert.equal(purgatory.size, 1);
    for (const p of parts) p.looks = 0;
    // A change that is no news to a follower (its offset not passed) wakes, checks one partition, answers nothing.
    purgatory.partitionChanged(as(parts[500]!));
    assert.equal(parts.reduce((n, p) => n + p.looks, 0), 1, 'one partition checked');
    await Promise.resolve();
    assert.equal(answered, false);
    // Records past the follower's offset in another: answered.
    parts[999]!.acknowledgedEnd = 11n;
    purgatory.partitionChanged(as(parts[999]!));
    await wait;
    assert.equal(parts.reduce((n, p) => n + p.looks, 0), 2, 'one partition checked per wake');
    assert.equal(purgatory.size, 0);
    // Answered: later changes reach it no more.
    purgatory.partitionChanged(as(parts[999]!));
    assert.equal(parts.reduce((n, p) => n + p.looks, 0), 2);
  });

  it('counts bytes made visible across partitions against minBytes', async () => {
    const clock = new ManualClock();
    const purgatory = new DelayedFetchPurgatory(clock, 100);
    const { parts, targets, first, params } = held(3, 'high-watermark', 100);
    let answered = false;
    const wait = purgatory.wait(targets, first, params).then(() => (answered = true));
    parts[0]!.visible += 60;
    purgatory.partitionChanged(as(parts[0]!));
    purgatory.partitionChanged(as(parts[0]!));
    await Promise.resolve();
    assert.equal(answered, false, '60 bytes, counted once however often woken');
    parts[2]!.visible += 40;
    purgatory.partitionChanged(as(parts[2]!));
    await wait;
    assert.equal(purgatory.size, 0);
  });

  it('answers at the timeout, on a truncation or leadership news, and at once when full or already answerable', async () => {
    const clock = new ManualClock();
    const purgatory = new DelayedFetchPurgatory(clock, 1);
    const a = held(2, 'high-watermark');
    let answered = false;
    const wait = purgatory.wait(a.targets, a.first, a.params).then(() => (answered = true));
    // The purgatory is full: the next fetch is answered at once.
    const b = held(2, 'high-watermark');
    await purgatory.wait(b.targets, b.first, b.params);
    clock.advance(499);
    await Promise.resolve();
    assert.equal(answered, false);
    clock.advance(1);
    await wait;
    assert.equal(purgatory.size, 0);

    const c = held(2, 'high-watermark');
    const truncated = purgatory.wait(c.targets, c.first, c.params);
    c.parts[1]!.highWatermark = 5n;
    purgatory.partitionChanged(as(c.parts[1]!));
    await truncated;

    const d = held(2, 'log-end');
    d.parts[0]!.acknowledgedEnd = 12n; // appended between the read and the wait
    await purgatory.wait(d.targets, d.first, d.params);
    assert.equal(purgatory.size, 0);
  });
});

describe('unchangedSinceRead', () => {
  it('keeps the first answer only of a caught-up partition whose offsets and leadership did not move', () => {
    for (const isolation of ['log-end', 'high-watermark', 'txn-committed'] as const) {
      const { parts, targets, first, params } = held(1, isolation);
      const p = parts[0]!;
      assert.equal(unchangedSinceRead(targets[0]!, first[0]!, params), true, isolation);
      p.highWatermark = 11n;
      assert.equal(unchangedSinceRead(targets[0]!, first[0]!, params), false, `${isolation}: the high watermark moved`);
      p.highWatermark = 10n;
      p.logStartOffset = 5n;
      assert.equal(unchangedSinceRead(targets[0]!, first[0]!, params), false, `${isolation}: the log start moved`);
      p.logStartOffset = 0n;
      p.error = 6;
      assert.equal(unchangedSinceRead(targets[0]!, first[0]!, params), false, `${isolation}: leadership news`);
      p.error = undefined;
      assert.equal(unchangedSinceRead(targets[0]!, { ...first[0]!, bytes: 10 }, params), false, `${isolation}: the first read found records`);
    }
    const follower = held(1, 'log-end');
    follower.parts[0]!.logEndOffset = 12n;
    assert.equal(unchangedSinceRead(follower.targets[0]!, follower.first[0]!, follower.params), false, 'a follower: records past its offset');
    const behind = held(1, 'high-watermark');
    const t = { ...behind.targets[0]!, fetchOffset: 3n };
    assert.equal(unchangedSinceRead(t, behind.first[0]!, behind.params), false, 'not at the readable end');
  });
});
