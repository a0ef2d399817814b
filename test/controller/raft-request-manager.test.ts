/**
 * The raft client sleeps until RequestManager.nextDeadline says something is due. A backoff that
 * ends between a poll (which skipped the backed-off node) and the timer's scheduling must still
 * wake the client: an observer that found every voter backed off once slept forever and never
 * learnt the leader (separate-roles.test.ts hung about one run in three).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestManager } from '../../src/controller/raft/request-manager.js';

describe('raft RequestManager deadlines', () => {
  it('a backoff that has ended since the last poll is due now, once', () => {
    const m = new RequestManager(2000, 100);
    const cid = m.onSend(1, 'Fetch', 0);
    m.onFailure(1, cid, 0); // backed off until 100
    assert.equal(m.isReady(1, 50), false);
    assert.equal(m.nextDeadline(50), 100);
    // The poll at 50 skipped node 1; by the time the timer is scheduled it is 120.
    assert.equal(m.nextDeadline(120), 120, 'due at once, not never');
    assert.equal(m.isReady(1, 120), true);
    assert.equal(m.nextDeadline(121), Infinity, 'then nothing is pending');
  });

  it('an in-flight request is due at its deadline', () => {
    const m = new RequestManager(2000, 100);
    m.onSend(2, 'Vote', 10);
    assert.equal(m.nextDeadline(20), 2010);
  });
});
