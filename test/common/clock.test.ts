import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';

it('ManualClock fires due timers in order, including ones scheduled while advancing', () => {
  const clock = new ManualClock(1000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
  clock.setTimeout(() => {
    fired.push(`a@${clock.now()}`);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 5);
  }, 10);
  const cancelled = clock.setTimeout(() => fired.push('never'), 15);
  cancelled.cancel();
  clock.advance(14);
  assert.deepEqual(fired, ['a@1010']);
  clock.advance(100);
  assert.deepEqual(fired, ['a@1010', 'c@1015', 'b@1020']);
  assert.equal(clock.now(), 1114);
  assert.equal(clock.pendingTimers, 0);
});
