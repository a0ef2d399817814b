import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/common/clock.js';
import { type DelayedOperation, Purgatory } from '../../../src/broker/partitions/purgatory.js';

/** An operation that completes once `ready()` says so, recording how it ended. */
function op(ready: () => boolean): DelayedOperation & { ended: string[] } {
  const ended: string[] = [];
  return {
    ended,
    tryComplete() {
      if (!ready()) return false;
      ended.push('completed');
      return true;
    },
    expire() {
      ended.push('expired');
    },
  };
}

describe('Purgatory', () => {
  it('completes at once what can complete, watches the rest until checked or expired', () => {
    const clock = new ManualClock();
    const p = new Purgatory(clock, 10);
    const now = op(() => true);
    p.tryCompleteElseWatch(now, ['a'], 1000);
    assert.deepEqual(now.ended, ['completed']);
    assert.equal(p.size, 0);

    let ready = false;
    const later = op(() => ready);
    p.tryCompleteElseWatch(later, ['a', 'b'], 1000);
    assert.equal(p.size, 1);
    p.checkAndComplete('b');
    assert.deepEqual(later.ended, [], 'not ready yet');
    ready = true;
    p.checkAndComplete('c');
    assert.deepEqual(later.ended, [], 'a key it does not watch');
    p.checkAndComplete('b');
    assert.deepEqual(later.ended, ['completed']);
    assert.equal(p.size, 0);
    clock.advance(5000);
    assert.deepEqual(later.ended, ['completed'], 'its timer was cancelled');
    assert.equal(clock.pendingTimers, 0);
  });

  it('expires an operation once its timeout passes, once', () => {
    const clock = new ManualClock();
    const p = new Purgatory(clock, 10);
    const o = op(() => false);
    p.tryCompleteElseWatch(o, ['a'], 100);
    clock.advance(99);
    assert.deepEqual(o.ended, []);
    clock.advance(1);
    assert.deepEqual(o.ended, ['expired']);
    p.checkAndComplete('a');
    assert.deepEqual(o.ended, ['expired']);
    assert.equal(p.size, 0);
  });

  it('is bounded: beyond maxOperations, or without keys, an operation expires at once', () => {
    const clock = new ManualClock();
    const p = new Purgatory(clock, 2);
    const ops = [op(() => false), op(() => false), op(() => false)];
    for (const o of ops) p.tryCompleteElseWatch(o, ['a'], 100);
    assert.deepEqual(
      ops.map((o) => o.ended),
      [[], [], ['expired']],
    );
    const keyless = op(() => false);
    p.tryCompleteElseWatch(keyless, [], 100);
    assert.deepEqual(keyless.ended, ['expired']);
    p.expireAll();
    assert.deepEqual(
      ops.map((o) => o.ended),
      [['expired'], ['expired'], ['expired']],
    );
    assert.equal(p.size, 0);
    assert.equal(clock.pendingTimers, 0);
  });
});
