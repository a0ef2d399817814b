/**
 * A coordinator asked about a group whose partition of __consumer_offsets it has not loaded: while
 * its broker's metadata names it the partition's leader (its election not yet reached the
 * coordinator: a cluster just started, the partitions still being opened), Kafka's answer is
 * COORDINATOR_LOAD_IN_PROGRESS, which clients retry; led elsewhere, NOT_COORDINATOR.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';
import { GroupCoordinator, MemoryOffsetsStore } from '../../src/group/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { TEST_CONFIG, silent } from './helpers.js';

describe('a coordinator before its election has reached it', () => {
  it('answers COORDINATOR_LOAD_IN_PROGRESS for a partition its metadata says it leads, NOT_COORDINATOR for one led elsewhere, and serves once elected', async () => {
    const store = new MemoryOffsetsStore();
    const led = new Set<number>();
    const c = await GroupCoordinator.open({ clock: new ManualClock(1_000_000), logger: silent, store, config: TEST_CONFIG, partitions: [], ledHere: (p) => led.has(p) });
    try {
      const hb = () => c.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null });
      assert.equal(hb(), ErrorCode.NOT_COORDINATOR, 'led elsewhere');
      led.add(c.partitionFor('g'));
      assert.equal(hb(), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'led here by the metadata, not yet loaded');
      await c.onElection(c.partitionFor('g'));
      assert.equal(hb(), ErrorCode.UNKNOWN_MEMBER_ID, 'served: the group has no such member');
    } finally {
      await c.close();
    }
  });
});
