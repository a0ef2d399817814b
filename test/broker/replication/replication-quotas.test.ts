/**
 * Which replicas a broker's replication quota throttles, from a topic's list as the topic configs
 * accept it: `*` (alone or among empty entries, as Kafka's validator allows), or the entries naming
 * this broker; and the rate against the bound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerConfig } from '../../../src/broker/config/broker-config.js';
import { parseTopicOverrides } from '../../../src/broker/config/topic-configs.js';
import { ReplicationQuota } from '../../../src/broker/replication/replication-quotas.js';
import { ManualClock } from '../../../src/common/clock.js';

/** A leader-side quota of broker 1 over a topic whose list is `text`, parsed as the topic config is. */
function quota(text: string, config = new BrokerConfig(), clock = new ManualClock()): ReplicationQuota {
  const leader = parseTopicOverrides([['leader.replication.throttled.replicas', text]]).get('leader.replication.throttled.replicas') as string[];
  return new ReplicationQuota('leader', { nodeId: 1, config, clock, throttledReplicas: () => ({ leader, follower: [] }) });
}

describe('replication quota', () => {
  it('throttles the replicas its list names on this broker, every one for *', () => {
    assert.deepEqual([0, 1, 2].map((p) => quota('0:1, 2:2,1:1').isThrottled('t', p)), [true, true, false]);
    assert.deepEqual([quota('*').isThrottled('t', 7), quota(',*').isThrottled('t', 7), quota('').isThrottled('t', 0)], [true, true, false]);
  });

  it('is exceeded once the bytes recorded pass the rate over its window, never without a rate', () => {
    const clock = new ManualClock();
    const unbounded = quota('*', new BrokerConfig(), clock);
    unbounded.record(1e9);
    assert.equal(unbounded.isExceeded(), false);
    const bounded = quota('*', new BrokerConfig([['leader.replication.throttled.rate', '1000'], ['replication.quota.window.num', '2']]), clock);
    bounded.record(900);
    assert.equal(bounded.isExceeded(), false);
    bounded.record(200);
    assert.equal(bounded.isExceeded(), true);
  });
});
