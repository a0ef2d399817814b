/** PhaseTimer: milliseconds per phase on the injected clock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';
import { PhaseTimer } from '../../src/common/phase-timer.js';

describe('PhaseTimer', () => {
  it('gives each phase the time since the previous mark, adding up a phase marked twice, in first-marked order', () => {
    const clock = new ManualClock(1000);
    const t = new PhaseTimer(clock);
    clock.advance(5);
    t.mark('config');
    clock.advance(20);
    t.mark('logs');
    t.mark('empty');
    clock.advance(7);
    t.mark('config');
    assert.deepEqual(t.ms, { config: 12, logs: 20, empty: 0 });
    assert.deepEqual(Object.keys(t.ms), ['config', 'logs', 'empty']);
  });
});
